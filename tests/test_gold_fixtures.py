"""The hand-labelled fixtures are only worth testing against if they are right.

Checks, without running the pipeline, that every gold `ArticleExtraction` in
tests/gold/<story>/ is valid and grounded in its article (evidence and quotes verbatim,
figures inside their evidence, names present), that each story's labels (its one
labels file, tests/eval/<story>/labels.json, which `briefing eval` reads too) agree with
the gold extractions, and that the evaluation clusters in tests/eval/ are consistent with
their articles. "Verbatim" means character for character after collapsing runs of whitespace:
stricter than `briefing.check.grounding`, which also folds typography and case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from unidecode import unidecode

from briefing.check.grounding import check_extraction
from briefing.contracts import ArticleExtraction
from briefing.ingest.read import ingest
from briefing.text import comparable

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
EVAL = ROOT / "tests" / "eval"
EXAMPLES = ROOT / "examples"

GOLD_FILES = sorted(GOLD.glob("*/*.json"))
EVAL_LABELS = sorted(EVAL.glob("*/labels.json"))


def ws(text: str) -> str:
    return " ".join(text.split())


def folded(text: str) -> str:
    """The form keywords are matched in: typography folded, ASCII, case-folded."""
    return unidecode(comparable(text)).casefold()


def article_path(gold_file: Path) -> Path:
    return EXAMPLES / gold_file.parent.name / f"{gold_file.stem}.txt"


def load_gold(gold_file: Path) -> ArticleExtraction:
    return ArticleExtraction.model_validate_json(gold_file.read_text(encoding="utf-8"))


def eval_articles(labels_file: Path) -> dict[str, str]:
    labels = json.loads(labels_file.read_text(encoding="utf-8"))
    folder = (labels_file.parent / labels["articles_dir"]).resolve()
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def test_fixtures_exist() -> None:
    assert GOLD_FILES, "no gold extractions found"
    assert len(EVAL_LABELS) >= 3


@pytest.mark.parametrize("story", sorted({p.parent.name for p in GOLD_FILES}))
def test_each_gold_story_has_eval_labels_over_the_same_articles(story: str) -> None:
    labels = json.loads((EVAL / story / "labels.json").read_text(encoding="utf-8"))
    assert (EVAL / story / labels["articles_dir"]).resolve() == (EXAMPLES / story).resolve()


@pytest.mark.parametrize("story", sorted({p.parent.name for p in GOLD_FILES}))
def test_every_example_article_has_gold_and_vice_versa(story: str) -> None:
    articles = {p.stem for p in (EXAMPLES / story).glob("*.txt")}
    gold = {p.stem for p in (GOLD / story).glob("*.json")}
    assert articles == gold


@pytest.mark.parametrize("gold_file", GOLD_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_gold_is_verbatim_in_its_article(gold_file: Path) -> None:
    extraction = load_gold(gold_file)
    text = ws(article_path(gold_file).read_text(encoding="utf-8"))
    assert len(extraction.headline.split()) <= 14
    assert 8 <= len(extraction.claims) <= 16
    for claim in extraction.claims:
        assert ws(claim.evidence) in text, claim.evidence
        for figure in claim.figures:
            assert figure.value in claim.evidence, (figure.value, claim.evidence)
    for quote in extraction.quotes:
        assert ws(quote.text) in text, quote.text
    for point in extraction.interpretation:
        assert ws(point.evidence) in text, point.evidence
        assert 2 <= len(point.lead.split()) <= 6, point.lead
    for entity in extraction.entities:
        assert entity.name in text, entity.name
        if entity.role:
            assert entity.role in text, entity.role


@pytest.mark.parametrize("gold_file", GOLD_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_gold_passes_the_grounding_check_after_ingest(gold_file: Path) -> None:
    (article,) = ingest([str(article_path(gold_file))]).articles
    _, reasons = check_extraction(load_gold(gold_file), article.text)
    assert reasons == []


@pytest.mark.parametrize("story", sorted({p.parent.name for p in GOLD_FILES}))
def test_gold_labels_agree_with_gold_extractions(story: str) -> None:
    labels = json.loads((EVAL / story / "labels.json").read_text(encoding="utf-8"))
    gold = {p.stem: load_gold(p) for p in (GOLD / story).glob("*.json")}
    names = {e.name for g in gold.values() for e in g.entities}
    for group in labels["entity_groups"]:
        assert set(group) <= names, group
    for d in labels["discrepancies"]:
        assert set(d["sources"]) == set(d["values"])
        for value, stems in d["sources"].items():
            for stem in stems:
                if d["kind"] == "figure":
                    assert value in {f.value for c in gold[stem].claims for f in c.figures}, (value, stem)
                else:
                    roles = {e.role for e in gold[stem].entities if e.name == d["subject"]}
                    assert roles == {value}, (d["subject"], stem, roles)
    figures = {f.value for g in gold.values() for c in g.claims for f in c.figures}
    assert set(labels["not_discrepancy_values"]) <= figures


@pytest.mark.parametrize("labels_file", EVAL_LABELS, ids=lambda p: p.parent.name)
def test_eval_labels_match_their_articles(labels_file: Path) -> None:
    labels: dict[str, Any] = json.loads(labels_file.read_text(encoding="utf-8"))
    articles = eval_articles(labels_file)
    assert 3 <= len(articles) <= 4
    every = folded(" ".join(articles.values()))
    for group in labels["entity_groups"]:
        for variant in group:
            assert any(variant in text for text in articles.values()), variant
    for d in labels["discrepancies"]:
        assert d["kind"] in ("figure", "role")
        assert set(d["sources"]) == set(d["values"])
        for value, stems in d["sources"].items():
            for stem in stems:
                assert value in articles[stem], (value, stem)
    for fact in labels["key_facts"]:
        assert fact["sources"] and set(fact["sources"]) <= set(articles), fact
        for keyword in fact["keywords"]:
            assert any(folded(keyword) in folded(articles[s]) for s in fact["sources"]), (
                keyword,
                fact["fact"],
            )
    for quote in labels["quotes"]:
        for stem in quote["sources"]:
            assert ws(quote["text"]) in ws(articles[stem]), quote
    for value in labels["not_discrepancy_values"]:
        assert folded(value) in every, value


@pytest.mark.parametrize("labels_file", EVAL_LABELS, ids=lambda p: p.parent.name)
def test_planted_page_debris_is_what_ingest_cleans(labels_file: Path) -> None:
    labels = json.loads(labels_file.read_text(encoding="utf-8"))
    folder = (labels_file.parent / labels["articles_dir"]).resolve()
    for stem, expected in labels["ingest"].items():
        raw = (folder / f"{stem}.txt").read_text(encoding="utf-8")
        (article,) = ingest([str(folder / f"{stem}.txt")]).articles
        if "repeated_paragraphs" in expected:
            assert f"dropped {expected['repeated_paragraphs']} repeated paragraph(s)" in article.notes
        for line in expected.get("debris_lines", []):
            assert f"\n{line}\n" in raw and line not in article.text
        if "truncated_last_sentence" in expected:
            assert raw.rstrip().endswith(expected["truncated_last_sentence"])
            assert article.text.endswith(expected["truncated_last_sentence"])
        if "source_line" in expected:
            assert article.source == expected["source_line"]
