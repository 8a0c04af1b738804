from decimal import Decimal

import pytest

from briefing.check.grounding import (
    check_extraction,
    figure_in_text,
    find_evidence,
    quote_is_verbatim,
)
from briefing.contracts import (
    ArticleExtraction,
    Claim,
    ClaimCategory,
    Entity,
    EntityKind,
    Figure,
    InterpretationPoint,
    Quote,
)
from briefing.merge.numbers import numbers_in

TEXT = (
    "Ferry service resumes after storm repairs\n\n"
    "The Northbay ferry returned to service on Tuesday after three weeks of repairs to the "
    "storm\u2011damaged pier, the port authority said.\n\n"
    "Repairs cost $2.4 million, about 15% more than first estimated.\n\n"
    "\u201cWe rebuilt the pier to take higher tides,\u201d said harbour master Lena Okafor. "
    "Analysts expect fares to rise by 1,200 yen next year."
)


# -- find_evidence -----------------------------------------------------------------


def test_evidence_matches_across_typography_whitespace_and_case() -> None:
    span = (
        "the Northbay ferry returned to service on TUESDAY after three weeks of repairs to the\n"
        "  storm-damaged pier"
    )
    assert find_evidence(span, TEXT)
    assert find_evidence('"We rebuilt the pier to take higher tides," said harbour master', TEXT)


def test_long_evidence_tolerates_a_small_slip_but_not_a_paraphrase() -> None:
    slipped = "Repairs cost $2.4 million about 15% more than first estimated"  # comma dropped
    assert find_evidence(slipped, TEXT)
    paraphrase = "Repairs were 15% more expensive than the first estimate of the authority"
    assert not find_evidence(paraphrase, TEXT)


@pytest.mark.parametrize(
    "changed",
    [
        "Repairs cost $2.4 million, about 16% more than first estimated",  # one digit
        "Repairs cost $2.4 billion, about 15% more than first estimated",  # the scale word
        "Repairs cost $2.9 million, about 15% more than first estimated",
    ],
)
def test_near_evidence_with_a_changed_figure_is_not_found(changed: str) -> None:
    assert find_evidence("Repairs cost $2.4 million, about 15% more than first estimated", TEXT)
    assert not find_evidence(changed, TEXT)


def test_short_evidence_must_match_exactly() -> None:
    assert find_evidence("port authority", TEXT)
    assert not find_evidence("port authorty", TEXT)  # one edit in a short span is not tolerated


def test_empty_evidence_is_never_found() -> None:
    assert not find_evidence("   ", TEXT)


# -- figures ---------------------------------------------------------------------------


def test_numbers_are_read_with_value_and_scale() -> None:
    found = numbers_in("fell 34.50% to $28.8 billion; 1,200 people; .5 of them")
    assert [(n.value, n.scale) for n in found] == [
        (Decimal("34.50"), None),
        (Decimal("28.8"), "billion"),
        (Decimal("1200"), None),
        (Decimal("0.5"), None),
    ]
    assert found[1].absolute == Decimal("28800000000")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("34.5%", "exports fell 34.5 percent in May"),
        ("$28.8 billion", "a deficit of 28.8 billion dollars"),
        ("$28.8bn", "a deficit of $28.8 billion"),
        ("1,200", "some 1200 workers"),
        ("1.2 million", "1,200,000 passengers"),
        ("34.50%", "34.5% lower"),
        ("three", "after three weeks"),
        ("$2 trn", "The fund holds $2 trillion."),
        ("5 mln people", "some 5 million people"),
        ("$3 bln", "a $3 billion loan"),
    ],
)
def test_figure_found_whatever_the_spelling(value: str, text: str) -> None:
    assert figure_in_text(value, text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("34.5%", "exports fell 4.5 percent"),  # not a substring match
        ("3", "13 people"),
        ("$28.8 million", "28.8 billion dollars"),  # wrong scale
        ("145%", "tariffs of 14.5%"),
        ("four", "after fourteen days"),
        ("$2 trn", "The fund holds $2 million."),  # the figure reader's scale words, read here too
        ("5 mln people", "about 5 thousand people"),
        ("$3 bln", "a $3 million loan"),
    ],
)
def test_figure_not_found(value: str, text: str) -> None:
    assert not figure_in_text(value, text)


# -- quotes ----------------------------------------------------------------------------


def test_quote_verbatim_with_straight_or_curly_marks() -> None:
    assert quote_is_verbatim('"We rebuilt the pier to take higher tides,"', TEXT)
    assert quote_is_verbatim("We rebuilt the pier … higher tides", TEXT)


def test_quote_with_a_changed_word_or_wrong_order_is_not_verbatim() -> None:
    assert not quote_is_verbatim("We rebuilt the pier to take high tides", TEXT)
    assert not quote_is_verbatim("higher tides ... We rebuilt the pier", TEXT)
    assert not quote_is_verbatim('""', TEXT)


# -- check_extraction ---------------------------------------------------------------------


def claim(statement: str, evidence: str, *figures: str) -> Claim:
    return Claim(
        statement=statement,
        category=ClaimCategory.event,
        figures=[Figure(value=v, unit="USD") for v in figures],
        evidence=evidence,
    )


def test_check_extraction_keeps_what_is_supported_and_says_why_the_rest_went() -> None:
    extraction = ArticleExtraction(
        headline="Ferry back after repairs",
        summary="The ferry is back.",
        entities=[
            Entity(name="Lena Okafor", kind=EntityKind.person, role="harbour master"),
            Entity(name="Jonas Berg", kind=EntityKind.person),
        ],
        claims=[
            claim("The ferry is back in service.", "The Northbay ferry returned to service on Tuesday"),
            claim("Repairs cost $2.4 million.", "Repairs cost $2.4 million", "$2.4 million"),
            claim("The ferry sank.", "The ferry sank on its first trip back"),
            claim("Repairs cost $3 million.", "Repairs cost $2.4 million", "$3 million"),
            claim("Repairs took 5 weeks.", "after three weeks of repairs"),
            claim("It happened.", "the pier"),
        ],
        quotes=[
            Quote(speaker="Lena Okafor", text="We rebuilt the pier to take higher tides"),
            Quote(speaker="Lena Okafor", text="We rebuilt the pier for higher tides"),
        ],
        interpretation=[
            InterpretationPoint(
                lead="Fares", text="Fares may rise.", evidence="Analysts expect fares to rise"
            ),
            InterpretationPoint(
                lead="Tourism", text="Tourists return.", evidence="Tourists are flocking back"
            ),
        ],
    )

    cleaned, reasons = check_extraction(extraction, TEXT)

    assert [c.statement for c in cleaned.claims] == [
        "The ferry is back in service.",
        "Repairs cost $2.4 million.",
    ]
    assert [q.text for q in cleaned.quotes] == ["We rebuilt the pier to take higher tides"]
    assert [p.lead for p in cleaned.interpretation] == ["Fares"]
    assert [e.name for e in cleaned.entities] == ["Lena Okafor"]
    assert reasons == [
        "claim 3: evidence not found in article",
        "claim 4: figure '$3 million' not in its evidence",
        "claim 5: number '5' in the statement is not in its evidence",
        "claim 6: evidence too short to check",
        "quote 2: not verbatim in article",
        "interpretation 2: evidence not found in article",
        "entity 2: name 'Jonas Berg' not found in article",
    ]
    assert len(extraction.claims) == 6, "the input is not changed"
    assert cleaned.headline == extraction.headline


def test_check_extraction_of_a_clean_extraction_changes_nothing() -> None:
    extraction = ArticleExtraction(
        headline="h",
        summary="s",
        claims=[
            claim("Repairs cost $2.4 million.", "Repairs cost $2.4 million, about 15% more", "$2.4 million")
        ],
    )
    cleaned, reasons = check_extraction(extraction, TEXT)
    assert reasons == []
    assert cleaned == extraction


ARTICLE = (
    "Harbour master Ingrid Solberg said the port would reopen on Friday. "
    'She called the damage "worse than anyone expected" and thanked the U.S. Coast Guard.'
)


def _claim(statement: str, evidence: str) -> Claim:
    return Claim(statement=statement, category=ClaimCategory.quote, evidence=evidence)


def test_a_paraphrase_in_quotation_marks_is_dropped() -> None:
    evidence = 'She called the damage "worse than anyone expected" and thanked the U.S. Coast Guard.'
    faithful = _claim('Ingrid Solberg called the damage "worse than anyone expected".', evidence)
    paraphrase = _claim('Ingrid Solberg called the damage "far worse than predicted".', evidence)
    extraction = ArticleExtraction(headline="h", summary="s", claims=[faithful, paraphrase])
    cleaned, reasons = check_extraction(extraction, ARTICLE)
    assert cleaned.claims == [faithful]
    assert reasons == [
        "claim 2: quotation 'far worse than predicted' in the statement is not verbatim in the article"
    ]


def test_a_name_not_in_the_article_is_dropped_but_acronym_spellings_match() -> None:
    evidence = "Harbour master Ingrid Solberg said the port would reopen on Friday."
    good = _claim("Harbour master Ingrid Solberg thanked the US Coast Guard.", evidence)
    invented = _claim("Harbour master Erik Hansen said the port would reopen on Friday.", evidence)
    cleaned, reasons = check_extraction(
        ArticleExtraction(headline="h", summary="s", claims=[good, invented]), ARTICLE
    )
    assert cleaned.claims == [good]
    assert reasons == ["claim 2: name 'Erik Hansen' in the statement is not in the article"]
