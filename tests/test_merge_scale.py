"""Merge's shortcuts for days of thousands of claims give what their plain definitions give.

`_conflict_components` skips the pairs that cannot change a component (two readings of
one value, two readings already joined): it is compared with testing every pair of every
bucket, on readings of real sentences (many sources, few values, a timeline). The lede's
likeness to the titles (`_title_support`) looks only at titles sharing a word with a
claim: it is compared with comparing every claim with every title, to the last bit. So
are the story's issues, read from the title words alone; a figure's basis, looked for only
in statements holding one of its words; the currency before a number,
looked up by how it ends; and the cycle collector, paused while a merge runs and then left
as it was found.
"""

from __future__ import annotations

import gc
import threading

import pytest
from factories import article as make_article
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.contracts import (
    ArticleExtraction,
    Backend,
    ClaimCategory,
    Evidence,
    ExtractedArticle,
    ExtractionMeta,
    MergedClaim,
)
from briefing.merge.brief import _story_terms, _StoryTerms, _title_support, _words
from briefing.merge.claims import _BASIS_PATTERNS, _basis
from briefing.merge.collector import without_cycle_collection
from briefing.merge.disagreements import (
    Located,
    _buckets,
    _conflict,
    _conflict_components,
    find_disagreements,
)
from briefing.merge.numbers import CURRENCY_PREFIXES, _currency_before, _prefix_fits
from briefing.merge.quantities import Reading, readings
from briefing.merge.similarity import content_tokens

SENTENCES = (
    "About {v}% of residents responded to the consultation, according to the council.",
    "Some {v}% of residents answered the council's consultation.",
    "Turnout in the vote was {v}%.",
    "Turnout was {v}% at the vote.",
    "Tariffs on Chinese goods will be cut to {v}% from 145%.",
    "The US will lower its tariff to {v} percent from 145 percent.",
    "At least {v} people died in Myanmar on Monday.",
    "The death toll in Myanmar rose to {v} by Tuesday.",
    "The plan will cost ${v} million over three years, officials said.",
    "The talks lasted {v} days.",
)
VALUES = (10, 11, 30, 80, 144, 2056)

sources = st.lists(
    st.tuples(
        st.integers(0, 7),  # article
        st.integers(0, 2),  # merged item
        st.sampled_from(SENTENCES),
        st.sampled_from(VALUES),
    ),
    max_size=60,
)


def _located(rows: list[tuple[int, int, str, int]]) -> list[Located]:
    out: list[Located] = []
    for n, (article, cluster, sentence, value) in enumerate(rows):
        for reading in readings(sentence.format(v=value), "Monday"):
            out.append(Located(item=n, article_id=f"a{article}", cluster=cluster, reading=reading))
    return out


def _stated(located: list[Located]) -> dict[tuple[int, str], list[Reading]]:
    stated: dict[tuple[int, str], list[Reading]] = {}
    for loc in located:
        stated.setdefault((loc.item, loc.reading.unit), []).append(loc.reading)
    return stated


def _every_pair(located: list[Located]) -> list[list[int]]:
    """The components found by testing every pair of every bucket."""
    stated = _stated(located)
    edges = [
        (a, b)
        for members in _buckets(located)
        for i, a in enumerate(members)
        for b in members[i + 1 :]
        if _conflict(located[a], located[b], stated)
    ]
    component = {n: {n} for pair in edges for n in pair}
    for a, b in edges:
        if component[a] is not component[b]:
            joined = component[a] | component[b]
            for n in joined:
                component[n] = joined
    unique = {id(c): sorted(c) for c in component.values()}
    return sorted(unique.values(), key=min)


@settings(max_examples=300, deadline=None)
@given(sources)
def test_the_components_are_those_of_every_pair(rows: list[tuple[int, int, str, int]]) -> None:
    located = _located(rows)
    found = _conflict_components(located, _buckets(located), _stated(located))
    assert found == _every_pair(located)


def test_many_sources_of_few_values_make_one_disagreement_citing_each_source_once() -> None:
    rows = [(n, 0, SENTENCES[0], VALUES[n % 3]) for n in range(60)]
    located = _located(rows)
    assert [len(c) for c in _every_pair(located)] == [60]
    (disagreement,) = find_disagreements(located)
    assert [len(group) for group in disagreement.values] == [20, 20, 20]
    assert [group[0].reading.value for group in disagreement.values] == ["10%", "11%", "30%"]


WORDS = ("tariff", "truce", "china", "talks", "geneva", "cut", "rare", "earths", "pause", "quake", "toll")
phrases = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


def _claim(n: int, statement: str) -> MergedClaim:
    return MergedClaim(
        id=f"c{n}",
        statement=statement,
        category=ClaimCategory.event,
        evidence=[Evidence(article_id="a", text=statement)],
        article_ids=["a"],
        source_count=1,
        single_source=True,
        score=0.0,
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(phrases, max_size=2), min_size=2, max_size=12),
    st.lists(phrases, min_size=1, max_size=8),
)
def test_title_support_is_every_claim_against_every_title(
    titles: list[list[str]], statements: list[str]
) -> None:
    story = _StoryTerms(
        titles={
            f"a{n}": tuple(w for w in (content_tokens(t) for t in article) if w)
            for n, article in enumerate(titles)
        },
        issues=frozenset(),
    )
    claims = [_claim(n, s) for n, s in enumerate(statements)]
    expected = {}
    for c in claims:
        words = content_tokens(c.statement)
        best = [max((len(words & t) / len(t) for t in ts), default=0.0) for ts in story.titles.values()]
        expected[c.id] = round(sum(best) / len(best), 9)
    assert _title_support(claims, story) == expected


@given(st.sampled_from(SENTENCES), st.sampled_from(VALUES), st.booleans())
def test_readings_given_the_sentence_tokens_are_the_readings_without(
    sentence: str, value: int, two_clauses: bool
) -> None:
    text = sentence.format(v=value) + (", and officials said it would rise." if two_clauses else "")
    assert readings(text, "Monday", tokens=content_tokens(text)) == readings(text, "Monday")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(phrases, min_size=1, max_size=3), min_size=1, max_size=8), phrases)
def test_story_issues_are_the_title_words_every_text_uses(texts: list[list[str]], headline: str) -> None:
    articles = [
        ExtractedArticle(
            article=make_article(" ".join(words), title=words[0], id=f"a{n}"),
            extraction=ArticleExtraction(headline=words[0], summary=""),
            meta=ExtractionMeta(backend=Backend.extractive),
        )
        for n, words in enumerate(texts)
    ]
    in_every = (
        frozenset.intersection(*(content_tokens(e.article.text) for e in articles))
        if len(articles) > 1
        else frozenset()
    )
    named = frozenset(w for e in articles for w in content_tokens(e.article.title))
    assert _story_terms(articles, headline).issues == (in_every & named) - _words(headline)


def _every_currency_before(text: str, start: int) -> tuple[int, str] | None:
    head = text[max(0, start - 6) : start]
    for prefix, code in CURRENCY_PREFIXES.items():
        for spaced in (prefix, prefix + " ", prefix + "\u00a0"):
            if head.endswith(spaced) and _prefix_fits(prefix, spaced, text, start - len(spaced)):
                return start - len(spaced), code
    return None


pieces = st.sampled_from([*CURRENCY_PREFIXES, " ", "\u00a0", "a", "S", "US", "-", "(", "1"])


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=5))
def test_the_currency_before_a_number_is_found_by_its_ending_as_by_every_prefix(parts: list[str]) -> None:
    text = "".join(parts)
    for start in range(len(text) + 1):
        assert _currency_before(text, start) == _every_currency_before(text, start)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_paused_during_a_merge_and_left_as_found(enabled: bool) -> None:
    seen: list[bool] = []

    @without_cycle_collection
    def work(fail: bool) -> None:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("bad input")

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        work(False)
        with pytest.raises(ValueError):
            work(True)
        assert seen == [False, False]
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_overlapping_merges_switch_the_collector_back_on_when_the_last_returns() -> None:
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    @without_cycle_collection
    def slow() -> None:
        inside.set()
        release.wait(10)

    @without_cycle_collection
    def quick() -> None:
        seen.append(gc.isenabled())

    was = gc.isenabled()
    gc.enable()
    try:
        thread = threading.Thread(target=slow)
        thread.start()
        inside.wait(10)
        quick()
        seen.append(gc.isenabled())
        release.set()
        thread.join(10)
        assert seen == [False, False], "the first merge is still running"
        assert gc.isenabled()
    finally:
        gc.enable() if was else gc.disable()


basis_words = st.sampled_from(
    [
        "Year",
        "on",
        "year-on-year",
        "YoY",
        "annual",
        "from",
        "May",
        "Compared",
        "to",
        "with",
        "June",
        "month",
        "MONTH-ON-MONTH",
        "the",
        "previous",
        "a",
        "earlier",
        "2024",
        "exports",
        "rose",
        "İ",
        "ſ",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(basis_words, max_size=8))
def test_a_figures_basis_is_what_its_patterns_alone_find(words: list[str]) -> None:
    text = " ".join(words)
    plain = next((name for name, pattern, _ in _BASIS_PATTERNS if pattern.search(text)), None)
    assert _basis(text) == plain
