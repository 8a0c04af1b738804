"""The input-budget rule: an article too long for one request is cut between paragraphs, losing nothing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefing.extract.model.budget import estimate_tokens, split_to_budget
from briefing.text import split_sentences


def paragraph(n: int, sentences: int = 4) -> str:
    return " ".join(
        f"Paragraph {n} sentence {i} reports that the harbour works moved on." for i in range(sentences)
    )


def test_estimate_errs_high_for_scripts_that_cost_more() -> None:
    assert estimate_tokens("abcd" * 10) == 10
    assert estimate_tokens("港口工程继续进行") == 8
    assert estimate_tokens("") == 0


def test_an_article_within_the_budget_is_one_part_unchanged() -> None:
    text = "Title\n\n" + paragraph(1)
    assert split_to_budget(text, 1000) == [text]


def test_parts_take_whole_paragraphs_in_order_and_each_fits() -> None:
    paragraphs = [paragraph(n) for n in range(12)]
    text = "\n\n".join(paragraphs)
    budget = estimate_tokens(text) // 4

    parts = split_to_budget(text, budget)

    assert 4 <= len(parts) <= 6
    assert all(estimate_tokens(p) <= budget for p in parts)
    assert [q for p in parts for q in p.split("\n\n")] == paragraphs, "every paragraph, whole, in order"


def test_a_paragraph_over_the_budget_is_cut_between_sentences() -> None:
    long = paragraph(1, sentences=30)
    budget = estimate_tokens(long) // 3

    parts = split_to_budget("Short lead.\n\n" + long, budget)

    assert len(parts) >= 3
    assert all(estimate_tokens(p) <= budget for p in parts)
    pieces = [s for p in parts for s in p.split("\n\n")]
    assert pieces[0] == "Short lead."
    assert pieces[1:] == split_sentences(long), "cut only where a sentence ends"


def test_one_sentence_over_the_budget_is_cut_between_words() -> None:
    words = [f"word{i}" for i in range(400)]
    parts = split_to_budget(" ".join(words), 100)
    assert all(estimate_tokens(p) <= 100 for p in parts)
    assert " ".join(parts).split() == words


def test_a_budget_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        split_to_budget("text", 0)


@given(
    st.lists(st.text(alphabet="abc xyz.\n港", min_size=0, max_size=80), max_size=12),
    st.integers(min_value=5, max_value=60),
)
def test_nothing_is_lost_and_every_part_fits(blocks: list[str], budget: int) -> None:
    text = "\n\n".join(blocks)
    parts = split_to_budget(text, budget)
    assert "".join("".join(parts).split()) == "".join(text.split())
    for part in parts:
        assert estimate_tokens(part) <= budget or len(part.split()) == 1, part
