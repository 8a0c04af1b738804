"""Merge and render on hand-labelled gold extractions of the bundled example."""

import itertools
import re
from pathlib import Path

import pytest
from gold import gold_extracted, labels

from briefing.contracts import Brief
from briefing.merge.brief import merge
from briefing.render.brief import render_json, render_markdown


@pytest.fixture(scope="module")
def brief() -> Brief:
    return merge(gold_extracted(), date="2025-06-10")


def stems(brief: Brief, article_ids: list[str]) -> list[str]:
    by_id = {e.article.id: Path(e.article.path or "").stem for e in gold_extracted()}
    return sorted(by_id[a] for a in article_ids)


def test_every_labelled_spelling_group_is_one_entity(brief: Brief) -> None:
    for group in labels()["entity_groups"]:
        owners = {e.id for e in brief.entities for v in group if v in e.variants}
        assert len(owners) == 1, f"{group} split across {owners}"
        entity = next(e for e in brief.entities if e.id in owners)
        assert set(group) <= set(entity.variants)


def test_labelled_distinct_people_stay_apart(brief: Brief) -> None:
    for a, b in labels()["distinct_entities"]:
        owner_a = {e.id for e in brief.entities if a in e.variants}
        owner_b = {e.id for e in brief.entities if b in e.variants}
        assert owner_a and owner_b and not owner_a & owner_b, (a, b)


def test_labelled_discrepancies_are_found_with_their_sources(brief: Brief) -> None:
    for expected in labels()["discrepancies"]:
        found = [
            d
            for d in brief.discrepancies
            if d.kind == expected["kind"] and set(expected["values"]) == {v.value for v in d.values}
        ]
        assert len(found) == 1, expected
        for value in found[0].values:
            assert stems(brief, value.article_ids) == sorted(expected["sources"][value.value])


def test_no_false_discrepancies(brief: Brief) -> None:
    banned = set(labels()["not_discrepancy_values"])
    assert len(brief.discrepancies) == len(labels()["discrepancies"])
    for d in brief.discrepancies:
        assert not banned & {v.value for v in d.values}


def test_shared_facts_cite_every_supporting_source(brief: Brief) -> None:
    venue = [c for c in brief.claims if "Lancaster House" in c.statement and c.source_count >= 3]
    assert venue, "the venue, reported by all four sources, should be one multi-source item"
    assert venue[0].id in brief.lede_claim_ids
    for claim in brief.claims:
        assert claim.article_ids, claim
        assert claim.single_source == (claim.source_count == 1)


def test_markdown_statement_lines_all_carry_citations(brief: Brief) -> None:
    md = render_markdown(brief)
    highlights = md.split("## ⚖️")[0]
    body = [line for line in highlights.splitlines() if line.startswith(("- ", "1. ", "2. ", "3. ", "4. "))]
    assert body
    for line in body:
        assert re.search(r"\[\d+\]", line), line
    assert "34.5% [1][3] · 34-35% [4]" in md
    assert "President [2][3][4] · former President [1]" in md
    assert '**He Lifeng** is also written "He Lap Phong" [3]' in md
    assert "4. **Northgate Wire**" in md


def test_every_article_order_gives_identical_bytes() -> None:
    base = gold_extracted()
    expected_md = render_markdown(merge(base))
    expected_json = render_json(merge(base))
    for order in itertools.permutations(range(len(base))):
        shuffled = [base[i] for i in order]
        assert render_markdown(merge(shuffled)) == expected_md
        assert render_json(merge(shuffled)) == expected_json
