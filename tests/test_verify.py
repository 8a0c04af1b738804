"""`briefing verify`: a finished brief re-checked against its sources."""

from pathlib import Path

import pytest
from gold import EXAMPLE, gold_extracted
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.check.verify import verify
from briefing.contracts import Article, Brief
from briefing.ingest.read import ingest
from briefing.merge.brief import merge
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render.brief import render_json


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return ingest([str(EXAMPLE)]).articles


@pytest.fixture
def brief() -> Brief:
    return merge(gold_extracted(), date="2025-06-10")


def shown_claim(brief: Brief, needle: str):  # type: ignore[no-untyped-def]
    ids = set(brief.lede_claim_ids) | {i for s in brief.sections for i in s.claim_ids}
    return next(c for c in brief.claims if c.id in ids and needle in c.statement)


def test_a_built_brief_verifies(brief: Brief, articles: list[Article]) -> None:
    report = verify(brief, articles)
    assert report.ok, [f.line() for f in report.unsupported]
    assert report.checked == len(brief.lede_claim_ids) + sum(len(s.claim_ids) for s in brief.sections) + len(
        brief.interpretation
    )


def test_made_up_figure_is_named(brief: Brief, articles: list[Article]) -> None:
    claim = shown_claim(brief, "34.5%")
    claim.statement = claim.statement.replace("34.5%", "41.2%")
    report = verify(brief, articles)
    assert not report.ok
    assert [f.reason for f in report.unsupported] == ["figure 41.2% is in no cited source's evidence"]
    assert "41.2%" in report.unsupported[0].statement


def test_misattributed_quote_is_named(brief: Brief, articles: list[Article]) -> None:
    claim = next(c for c in brief.claims if "good reports" in c.statement)
    brief.lede_claim_ids.append(claim.id)
    assert verify(brief, articles).ok
    numbers = {s.article_id: s.number for s in brief.sources}
    other = next(s.article_id for s in brief.sources if s.article_id not in claim.article_ids)
    claim.article_ids = [other]
    reasons = [f.reason for f in verify(brief, articles).unsupported]
    assert f"[{numbers[other]}] does not contain the statement's evidence" in reasons
    assert 'quote "good reports" is not verbatim in any cited source' in reasons


def test_reworded_quote_is_caught(brief: Brief, articles: list[Article]) -> None:
    claim = next(c for c in brief.claims if "good reports" in c.statement)
    brief.lede_claim_ids.append(claim.id)
    claim.statement = claim.statement.replace('"good reports"', '"excellent progress reports"')
    reasons = [f.reason for f in verify(brief, articles).unsupported]
    assert reasons == ['quote "excellent progress reports" is not verbatim in any cited source']


def test_invented_name_is_caught_but_merged_spellings_are_not(brief: Brief, articles: list[Article]) -> None:
    claim = shown_claim(brief, "Scott Bessent")
    besant = next(a.id for a in articles if "Scott Besant" in a.text)
    # Cited only by the source that spells him "Besant": the merged spelling still verifies.
    claim.article_ids = [besant]
    assert verify(brief, articles).ok
    claim.statement = claim.statement.replace("Scott Bessent", "Walter Brennan")
    reasons = [f.reason for f in verify(brief, articles).unsupported]
    assert (
        len(reasons) == 1 and "Walter Brennan" in reasons[0] and reasons[0].endswith("is in no cited source")
    )


def test_a_name_given_as_a_possessive_is_the_name(tmp_path: Path) -> None:
    # "Her office" resolved to "[Maren Holt’s] office" names Maren Holt, whom the source
    # names without "’s" (and it has no other possessive to stand in for it).
    (tmp_path / "storm.txt").write_text(
        "Source: Coast Wire\n\nStorm hits the coast\n\nGovernor Maren Holt toured the flooded towns on "
        "Tuesday. Her office said about 150 soldiers had been put on standby in Vessmouth.\n",
        encoding="utf-8",
    )
    ingested = ingest([str(tmp_path)]).articles
    brief = build([str(tmp_path)], BuildOptions(backend=BackendChoice.extractive))
    assert any("[Maren Holt’s] office" in c.statement for c in brief.claims)
    report = verify(brief, ingested)
    assert report.ok, [f.line() for f in report.unsupported]


def test_missing_source_is_unsupported(brief: Brief, articles: list[Article]) -> None:
    report = verify(brief, articles[1:])
    assert not report.ok
    assert all("not among the given sources" in f.reason for f in report.unsupported)


def test_cli_verify_exit_codes_and_lines(brief: Brief, tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good.json"
    good.write_text(render_json(brief), encoding="utf-8")
    result = runner.invoke(app, ["verify", str(good), str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("statements supported")

    claim = shown_claim(brief, "34.5%")
    claim.statement = claim.statement.replace("34.5%", "41.2%")
    bad = tmp_path / "bad.json"
    bad.write_text(render_json(brief), encoding="utf-8")
    result = runner.invoke(app, ["verify", str(bad), str(EXAMPLE)])
    assert result.exit_code == 1
    unsupported = [line for line in result.stdout.splitlines() if line.startswith("UNSUPPORTED")]
    assert len(unsupported) == 1 and "figure 41.2%" in unsupported[0] and "41.2%" in unsupported[0]

    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["verify", str(junk), str(EXAMPLE)])
    assert result.exit_code == 2
    assert "not a brief or an edition written with --format json" in result.stderr
    assert "Traceback" not in result.output
