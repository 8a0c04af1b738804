"""A day's articles become an edition: separate stories, ranked, each cited only from its own reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Story, StoryMember
from briefing.merge.edition import rank_key
from briefing.pipeline import BackendChoice, BuildOptions, build, build_edition
from briefing.render.brief import render_json, render_markdown
from briefing.render.edition import render_edition_email_html, render_edition_markdown

ROOT = Path(__file__).resolve().parent.parent
DAY = ROOT / "tests" / "eval" / "days" / "2025-06-12"
ARTICLES = DAY / "articles"
EXAMPLE = ROOT / "examples" / "london-talks"
LABELS = json.loads((DAY / "labels.json").read_text(encoding="utf-8"))
LABEL_OF = {name: label for label, story in LABELS["stories"].items() for name in story["articles"]}
# Model settings from the environment would change the backend; the day is built offline.
OPTIONS = BuildOptions(backend=BackendChoice.extractive, date="2025-06-12")
OFFLINE = {"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None, "BRIEFING_MODEL": None, "BRIEFING_CONFIG": None}


def _build(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["build", *args, "--date", "2025-06-12"], env=OFFLINE)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@pytest.fixture(scope="module")
def markdown() -> str:
    return _build(str(ARTICLES), "-q")[0]


@pytest.fixture(scope="module")
def edition() -> dict:
    return json.loads(_build(str(ARTICLES), "-q", "--format", "json")[0])


def _label(source: dict) -> str:
    return LABEL_OF[Path(source["path"]).name]


def _sections(markdown: str) -> dict[str, str]:
    """Each story's Markdown section, by its number, and the closing 'Also reported' list."""
    parts = re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]
    return {part.split(".", 1)[0] if part[0].isdigit() else "also": part for part in parts}


def test_stories_come_as_labelled_in_rank_order(edition: dict) -> None:
    ranked = [{_label(s) for s in story["sources"]} for story in edition["stories"]]
    assert ranked == [{"air-india-crash"}, {"geneva-talks"}, {"london-talks"}, {"nations-league-final"}]
    # Each story holds every article its label gives it (the copy inside its original).
    for story in edition["stories"]:
        label = _label(story["sources"][0])
        files = {Path(s["path"]).name for s in story["sources"]}
        files |= {Path(c["path"]).name for s in story["sources"] for c in s["copies"]}
        assert files == set(LABELS["stories"][label]["articles"])
    assert [s["independent_outlets"] for s in edition["stories"]] == [9, 4, 3, 3]


def test_single_source_stories_are_one_line_each_under_also_reported(edition: dict, markdown: str) -> None:
    singles = {label for label, story in LABELS["stories"].items() if len(story["articles"]) == 1}
    also = edition["also_reported"]
    assert {_label(item["sources"][0]) for item in also} == singles
    assert all(len(item["sources"]) == 1 and item["statement"] for item in also)
    lines = [line for line in _sections(markdown)["also"].splitlines() if line.startswith("- ")]
    assert len(lines) == len(singles)
    assert any("Sly Stone" in line and "*Crescent Times*" in line for line in lines)


def test_each_story_cites_only_its_own_articles(markdown: str, edition: dict) -> None:
    sections = _sections(markdown)
    crash, geneva, london = sections["1"], sections["2"], sections["3"]
    assert crash.startswith("1. Air India jet")
    for figure in ("145%", "30%", "rare earth", "tariff"):
        assert figure not in crash
    for toll in ("242", "Ahmedabad", "Air India"):
        assert toll not in london and toll not in geneva
    # Every story numbers its citations from 1 and cites no number past its own sources.
    for number, story in enumerate(edition["stories"], start=1):
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", sections[str(number)])}
        assert cited and max(cited) <= len(story["brief"]["sources"])
        titles = {s["title"] for s in story["brief"]["sources"]}
        assert titles == {s["title"] for s in story["sources"]}


def test_every_source_language_of_the_day_is_named(markdown: str) -> None:
    crash = _sections(markdown)["1"]
    for name in ("Albanian", "Telugu", "Gujarati", "Hindi", "Italian", "Portuguese"):
        assert name + ", not translated)" in crash
    assert not re.search(r"\((sq|te|gu), not translated\)", crash)


def test_the_edition_opens_with_its_contents(markdown: str) -> None:
    contents = markdown.split("\n## ", 1)[0]
    assert contents.startswith("# 📰 In this edition\n\n*2025-06-12 · 4 stories, 6 more in brief")
    assert (
        "1. **Air India jet with 242 aboard crashes after take-off in Ahmedabad** · 9 outlets · new"
        in contents
    )
    assert "· 4 outlets (3 independent) · new" in contents


def test_json_lists_each_source_with_its_path_and_its_copies(edition: dict) -> None:
    for story in [*edition["stories"], *edition["also_reported"]]:
        for source in story["sources"]:
            assert (ARTICLES / Path(source["path"]).name).is_file()
    london = edition["stories"][2]
    copies = [c for s in london["sources"] for c in s["copies"]]
    assert [Path(c["path"]).name for c in copies] == ["riverside-post-london-framework.txt"]
    assert london["outlets"] == 4 and london["independent_outlets"] == 3
    assert all(s["status"] == "new" for s in edition["stories"])


def test_the_order_of_inputs_does_not_change_the_bytes(markdown: str, edition: dict) -> None:
    files = sorted(str(p) for p in ARTICLES.glob("*.txt"))
    shuffled = files[1::2][::-1] + files[::2]
    assert sorted(shuffled) == files
    assert _build(*shuffled, "-q")[0] == markdown
    assert json.loads(_build(*shuffled, "-q", "--format", "json")[0]) == edition


def test_max_stories_caps_full_stories_and_lists_the_rest(edition: dict) -> None:
    capped = json.loads(_build(str(ARTICLES), "-q", "--format", "json", "--max-stories", "2")[0])
    assert [s["id"] for s in capped["stories"]] == [s["id"] for s in edition["stories"][:2]]
    moved = [item for item in capped["also_reported"] if item["independent_outlets"] > 1]
    assert [m["id"] for m in moved] == [s["id"] for s in edition["stories"][2:]]
    assert len(capped["also_reported"]) == len(edition["also_reported"]) + 2
    text = _build(str(ARTICLES), "-q", "--max-stories", "2")[0]
    assert "*2025-06-12 · 2 stories, 8 more in brief" in text
    assert (
        "US and China agree a framework to revive their truce after London talks" in text.split("## Also")[1]
    )


def test_one_story_renders_exactly_as_its_brief() -> None:
    brief = build([str(EXAMPLE)], OPTIONS)
    assert _build(str(EXAMPLE), "-q")[0] == render_markdown(brief)
    assert _build(str(EXAMPLE), "-q", "--format", "json")[0] == render_json(brief)


def _story(story_id: str, outlets: int, *dates: str) -> Story:
    members = [
        StoryMember(article_id=f"{story_id}{i}", source=f"o{i}", title="t", published=d)
        for i, d in enumerate(dates)
    ]
    return Story(id=story_id, headline="h", independent_outlets=outlets, outlets=outlets, members=members)


def test_ranking_is_outlets_then_recency_then_id() -> None:
    stories = [
        _story("s-b", 2, "2025-06-10", "2025-06-12"),
        _story("s-a", 2, "2025-06-12"),
        _story("s-c", 2, "2025-06-11"),
        _story("s-d", 3, "2025-06-01"),
        _story("s-e", 2),
    ]
    assert [s.id for s in sorted(stories, key=rank_key)] == ["s-d", "s-a", "s-b", "s-c", "s-e"]


def test_the_email_shows_the_edition_as_its_markdown_does(markdown: str) -> None:
    edition = build_edition([str(ARTICLES)], OPTIONS)
    assert render_edition_markdown(edition) == markdown
    html = render_edition_email_html(edition, recipient="reader@example.org")
    assert "<h1" in html and "In this edition" in html
    assert html.count("<h2") == len(edition.stories) + 1  # each story, then Also reported
    assert "<title>Air India jet with 242 aboard crashes after take-off in Ahmedabad</title>" in html
    assert "reader@example.org" in html


def test_stories_of_one_source_each_are_all_one_line(tmp_path: Path) -> None:
    rents = "Zürich rents climb\n\nCafé owners in Zürich say rents rose 12% this year, the most since 2008.\n"
    (tmp_path / "rents.txt").write_text(rents, encoding="utf-8")
    (tmp_path / "talks.txt").write_bytes(sorted(EXAMPLE.glob("*.txt"))[0].read_bytes())
    text = _build(str(tmp_path), "-q")[0]
    assert text.startswith("# 📰 In this edition\n\n*2025-06-12 · 2 stories in brief*\n\n")
    assert "\n- Also reported: 2 stories, one line each\n" in text
    assert "\n## 1." not in text
    also = text.split("\n## Also reported\n\n")[1].splitlines()
    assert len(also) == 2 and all(line.startswith("- **") for line in also)
    assert any("Zürich rents climb" in line and "(*unknown outlet*)" in line for line in also)


def test_verify_checks_every_story_and_each_also_reported_line(tmp_path: Path) -> None:
    runner = CliRunner()
    built = tmp_path / "edition.json"
    result = runner.invoke(
        app, ["build", str(ARTICLES), "--format", "json", "-o", str(built), "-q"], env=OFFLINE
    )
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ["verify", str(built), str(ARTICLES)], env=OFFLINE)
    assert checked.exit_code == 0, checked.output
    assert re.search(r"^(\d+) of \1 statements supported$", checked.stdout, re.MULTILINE), checked.stdout

    data = json.loads(built.read_text(encoding="utf-8"))
    story = data["stories"][0]["brief"]
    shown = set(story["lede_claim_ids"]) | {i for s in story["sections"] for i in s["claim_ids"]}
    claim, number = next(
        (c, m.group())
        for c in story["claims"]
        if c["id"] in shown
        for m in [re.search(r"\b\d{3}(?= (?:people|passengers)\b)", c["statement"])]
        if m
    )
    claim["statement"] = claim["statement"].replace(number, number + "0", 1)
    line = next(a for a in data["also_reported"] if a["statement"] and " 82" in a["statement"])
    line["statement"] = line["statement"].replace(" 82", " 28")
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    refused = runner.invoke(app, ["verify", str(changed), str(ARTICLES)], env=OFFLINE)
    assert refused.exit_code == 1, refused.output
    unsupported = [x for x in refused.stdout.splitlines() if x.startswith("UNSUPPORTED")]
    assert any(x.startswith("UNSUPPORTED Story 1: ") and number + "0" in x for x in unsupported), unsupported
    assert any("Also reported: " in x and "number 28 is in no cited source" in x for x in unsupported), (
        unsupported
    )


def test_a_line_in_another_language_is_marked_as_the_briefs_items_are(markdown: str) -> None:
    also = markdown.split("\n## Also reported\n\n")[1].splitlines()
    portuguese = [line for line in also if "Vinícius Júnior" in line]
    assert len(portuguese) == 1 and portuguese[0].endswith(" *(in Portuguese)*"), portuguese
    english = [line for line in also if "Karen Bass" in line]
    assert len(english) == 1 and "*(in " not in english[0], english
