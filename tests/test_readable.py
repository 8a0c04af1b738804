"""Statements, lede, lead phrases and headline read as English to a subscriber.

The fixtures are invented stories, written for these tests.
"""

import re
from pathlib import Path

import factories
import pytest

from briefing.check.grounding import check_extraction
from briefing.contracts import (
    Article,
    ArticleExtraction,
    Backend,
    Brief,
    Claim,
    ClaimCategory,
    ExtractedArticle,
    ExtractionMeta,
)
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.extractive.leads import headline, is_clause, lead, reads_as_english
from briefing.merge.brief import merge
from briefing.pipeline import BackendChoice, BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
PRONOUN_OPENING = re.compile(r"^(?:He|She|They|His|Her|Their|It has|It had|It will|Its)\b")

BRIDGE = "\n\n".join(
    [
        "Mayor Lena Ortiz reopened the rebuilt Kessel Bridge to traffic on Saturday morning. She had "
        "promised in March that the crossing would carry cars again before the summer holidays.",
        "Engineers from two inspection firms checked the new steel deck overnight. They found no cracks in "
        "any of the twelve supports.",
        "Ortiz thanked Governor Paul Weir for the state grant that paid for most of the work. He said the "
        "bridge would be a model for other river towns.",
        "They will publish a full safety report by the end of the month.",
        "The old bridge was closed in 2023 after a barge struck one of its piers.",
    ]
)


def _article(text: str, title: str = "Kessel Bridge reopens after two years") -> Article:
    return factories.article(text, id="b" * 12, title=title)


@pytest.fixture(scope="module")
def bridge() -> ArticleExtraction:
    return ExtractiveBackend().extract(_article(BRIDGE))


def test_an_opening_pronoun_is_resolved_from_the_one_person_before_it(bridge: ArticleExtraction) -> None:
    claim = next(c for c in bridge.claims if "promised in March" in c.statement)
    assert claim.statement.startswith("[Lena Ortiz] had promised in March")
    # The name the statement adds is in the passage it cites, verbatim.
    assert claim.evidence.startswith("Mayor Lena Ortiz reopened") and claim.evidence in BRIDGE


def test_they_is_resolved_from_a_plural_subject(bridge: ArticleExtraction) -> None:
    claim = next(c for c in bridge.claims if "found no cracks" in c.statement)
    assert claim.statement.startswith("[Engineers from two inspection firms] found no cracks")
    assert "checked the new steel deck overnight" in claim.evidence


def test_an_ambiguous_or_orphaned_pronoun_is_no_statement(bridge: ArticleExtraction) -> None:
    statements = [c.statement for c in bridge.claims] + [p.text for p in bridge.interpretation]
    # "He" after a sentence naming Ortiz and Weir; "They" opening a paragraph of its own.
    assert not any("model for other river towns" in s for s in statements)
    assert not any("full safety report" in s for s in statements)
    assert not [s for s in statements if PRONOUN_OPENING.match(s)]


FIRE = (
    "The fire has destroyed 40 homes in the hills above Marren, the fire service said on Thursday. It has "
    "burned 2,300 hectares since it started on Tuesday near the old quarry.\n\n"
    "The fire crews have asked for more aircraft. It has taken two days to bring in reinforcements."
)


def test_it_is_resolved_from_a_thing_the_sentence_before_is_about() -> None:
    claims = ExtractiveBackend().extract(_article(FIRE, title="Marren fire destroys 40 homes")).claims
    burned = next(c for c in claims if "2,300 hectares" in c.statement)
    assert burned.statement.startswith("[The fire] has burned 2,300 hectares")
    assert burned.evidence.startswith("The fire has destroyed 40 homes")
    # "The fire crews" are many: "It" cannot be them, so that sentence is no statement.
    assert not any("reinforcements" in c.statement for c in claims)


def test_it_is_resolved_from_a_named_subject_whatever_else_the_sentence_names() -> None:
    text = (
        "The Labour-Green Union lost four of its six seats in the capital, Korvel. It had held a majority "
        "of the city's seats since 1998."
    )
    claims = ExtractiveBackend().extract(_article(text, title="Union loses its hold on Korvel")).claims
    held = next(c for c in claims if "since 1998" in c.statement)
    assert held.statement.startswith("[The Labour-Green Union] had held a majority")


def test_that_date_is_the_one_day_the_sentence_before_names() -> None:
    text = (
        "The new assembly will hold its first sitting on Oct. 14, when members elect a speaker. If no "
        "premier is confirmed within 30 days of that date, a new election must be held.\n\n"
        "Talks begin on Friday and may run until Monday. Nothing will be signed before that day."
    )
    extraction = ExtractiveBackend().extract(_article(text, title="Assembly to sit on Oct. 14"))
    statements = [c.statement for c in extraction.claims]
    resolved = next(s for s in statements if "30 days" in s)
    assert resolved.startswith("If no premier is confirmed within 30 days of [Oct. 14], a new election")
    # Two days before it: "that day" is left as it is.
    assert any(s.endswith("before that day.") for s in statements)
    _, dropped = check_extraction(extraction, text)
    assert dropped == []


def test_resolved_statements_pass_the_evidence_check(bridge: ArticleExtraction) -> None:
    _, dropped = check_extraction(bridge, BRIDGE)
    assert dropped == []


@pytest.fixture(scope="module")
def example() -> Brief:
    options = BuildOptions(backend=BackendChoice.extractive, use_cache=False, date="2025-06-10")
    return build([str(ROOT / "examples" / "london-talks")], options)


def test_no_statement_of_the_example_opens_with_a_pronoun(example: Brief) -> None:
    shown = [c.statement for c in example.claims] + [p.text for p in example.interpretation]
    assert not [s for s in shown if PRONOUN_OPENING.match(s)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # What observers read into something, told with "reflected": the reading, not a torn-off noun.
        (
            "Legal observers said the divided vote reflected a wider debate about privacy in the country.",
            "Observers: vote reflected a wider debate",
        ),
        # A pronoun subject and its reporting verb: the thing reported is the lead.
        (
            "Both delegations conveyed they would set up a standing committee to keep the talks going.",
            "Standing committee to keep the talks",
        ),
        # A participle clause is the reading, without the participle.
        (
            "The ceremony took place in the old town hall, underscoring the weight of the agreement.",
            "Weight of agreement",
        ),
        # "It is unlikely that X will ...": X, the verdict, the verb.
        ("It is unlikely that the dam will be finished before the rains.", "Dam unlikely to be finished"),
        ("Whether the levee holds remains to be seen.", "Whether levee holds"),
        ("They said the repairs are likely to take a year.", "Repairs to take a year"),
        # Cut at "up to three": the lead would dangle, so it names whose view it is.
        (
            "Ana Ruiz, a hydrologist at the national water agency, warned that the river could be up to "
            "three metres higher by Friday.",
            "Ruiz’s view",
        ),
        # What was said is a clause: its verb stays, not "Analyst said gains in capital".
        (
            "Political analyst Jana Kroll said the party's gains in the capital and the postal vote "
            "reflected anger over rents.",
            "Analyst: gains reflected anger over rents",
        ),
        # What was told, not the relative clause about the teller.
        (
            "Varga, who will become the first woman to lead the region, told Radio Northmarch that coalition "
            "talks would begin on Friday.",
            "Varga: talks would begin on Friday",
        ),
    ],
)
def test_lead_phrases_read_as_english(sentence: str, expected: str) -> None:
    got = lead(sentence)
    assert got == expected
    assert reads_as_english(got)


@pytest.mark.parametrize(
    "phrase",
    [
        "Conveyed they to establish a mechanism",
        "Varga: who to become region's first",
        "They would set up a standing",
        "Ruiz: river could be up",
        "Said talks",
        "And China to roll back most",
        "In joint statement in Geneva",
    ],
)
def test_torn_off_phrases_do_not_read_as_english(phrase: str) -> None:
    assert not reads_as_english(phrase)


def test_a_claim_without_a_lead_gets_one_that_reads_as_english() -> None:
    """A model may leave a point without a lead; the merge cuts one, not opening words and "…"."""
    said = "The new tolls are unlikely to cover the cost of the repairs."
    text = f"Officials met on Monday. {said}"
    a = factories.article(text, id="c" * 12, title="Bridge tolls")
    extraction = ArticleExtraction(
        headline="Bridge tolls",
        summary="Analysts expect tolls to double.",
        claims=[
            Claim(
                statement=said,
                category=ClaimCategory.analysis,
                evidence=said,
            )
        ],
    )
    meta = ExtractionMeta(backend=Backend.model, model="test-model")
    brief = merge([ExtractedArticle(article=a, extraction=extraction, meta=meta)])
    (point,) = brief.interpretation
    assert point.lead == "New tolls unlikely to cover cost"


FLOOD = (
    "In one of the worst floods the valley has seen in decades, the river Tamsin burst its banks at Carrow "
    "on Sunday night and forced hundreds of families from their homes."
)


def test_a_headline_from_a_lead_sentence_is_never_a_torn_off_phrase() -> None:
    got = headline("003_9f1c2d", FLOOD)
    assert got == "The river Tamsin burst its banks at Carrow on Sunday night"
    assert is_clause(got)
    assert not is_clause("In one of the worst floods the valley has seen in decades")


def test_a_lead_sentence_that_cannot_be_cut_into_a_clause_is_the_headline_whole() -> None:
    sentence = (
        "Rescue crews from three neighbouring counties, volunteers with boats and soldiers from the "
        "nearby base, all working through the night in heavy rain to reach stranded farms."
    )
    assert headline("", sentence) == sentence.rstrip(".")


def test_the_brief_headline_is_an_outlets_title_over_a_headline_cut_from_a_sentence() -> None:
    titled = factories.article(
        "The river Tamsin burst its banks at Carrow on Sunday night. Hundreds of families left their homes.",
        id="d" * 12,
        title="Hundreds forced from their homes as the Tamsin floods the town of Carrow overnight",
    )
    untitled = factories.article(FLOOD, id="e" * 12, title="003_9f1c2d")
    backend = ExtractiveBackend()
    meta = ExtractionMeta(backend=Backend.extractive)
    brief = merge(
        [ExtractedArticle(article=a, extraction=backend.extract(a), meta=meta) for a in (titled, untitled)]
    )
    assert (
        brief.headline == "Hundreds forced from their homes as the Tamsin floods the town of Carrow overnight"
    )


BRIDGE_REPORTS = {
    "valley-post.txt": "Kessel Bridge reopens to traffic after two-year rebuild\n\n"
    "Mayor Lena Ortiz, Transport Director Sam Pike and Governor Paul Weir attended the ceremony. "
    "The rebuilt Kessel Bridge reopened to traffic on Saturday morning after two years of work. "
    "Engineers fitted steel flood barriers along both banks to protect the new supports. "
    "Local shops expect trade to recover over the summer.",
    "river-times.txt": "Cars cross Kessel Bridge again\n\n"
    "Mayor Lena Ortiz, Transport Director Sam Pike and Governor Paul Weir attended the ceremony. "
    "Cars crossed the Kessel Bridge on Saturday for the first time since the old span was closed. "
    "Flood barriers were the costliest part of the rebuild, the council said. "
    "A bus route through the town will resume on Monday.",
    "county-news.txt": "Kessel Bridge opens again with new flood barriers\n\n"
    "Mayor Lena Ortiz, Transport Director Sam Pike and Governor Paul Weir attended the ceremony. "
    "Traffic returned to the rebuilt Kessel Bridge on Saturday. "
    "The council says the flood barriers will keep the crossing open in the worst winter storms. "
    "Cyclists get a separate lane for the first time.",
}


def test_the_lede_says_what_happened_then_the_issue_every_source_names(tmp_path: Path) -> None:
    factories.write_articles(tmp_path, BRIDGE_REPORTS)
    options = BuildOptions(backend=BackendChoice.extractive, use_cache=False)
    brief = build([str(tmp_path)], options)
    claims = {c.id: c for c in brief.claims}
    first, second = (claims[i] for i in brief.lede_claim_ids)
    # The event, not the best-corroborated line (who attended), which is left to the sections.
    assert "reopened to traffic on Saturday" in first.statement or "returned" in first.statement
    assert "flood barriers" in second.statement.casefold()


def test_the_example_lede_says_talks_are_under_way_and_its_highlights_name_rare_earths(
    example: Brief,
) -> None:
    claims = {c.id: c for c in example.claims}
    lede = " ".join(claims[i].statement for i in example.lede_claim_ids)
    assert "talks" in lede and "London" in lede
    highlights = [lede] + [claims[i].statement for s in example.sections for i in s.claim_ids]
    assert any("rare earth" in h.casefold() for h in highlights)
