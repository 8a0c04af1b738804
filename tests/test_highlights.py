"""Which claims the brief shows under its lede: new facts first, restatements left out."""

from __future__ import annotations

import pytest
from factories import article

from briefing.contracts import (
    ArticleExtraction,
    Backend,
    Brief,
    Claim,
    ClaimCategory,
    ExtractedArticle,
    ExtractionMeta,
    Figure,
)
from briefing.merge.brief import MergeOptions, merge


def extracted(aid: str, title: str, claims: list[Claim], language: str | None = None) -> ExtractedArticle:
    text = "\n\n".join(c.evidence for c in claims)
    return ExtractedArticle(
        article=article(text, id=aid, source=f"Outlet {aid}", title=title, language=language),
        extraction=ArticleExtraction(headline=title, summary=claims[0].statement, claims=claims),
        meta=ExtractionMeta(backend=Backend.extractive),
    )


def claim(
    text: str, category: ClaimCategory = ClaimCategory.event, figures: list[Figure] | None = None
) -> Claim:
    return Claim(statement=text, category=category, figures=figures or [], evidence=text)


def shown(brief: Brief) -> list[str]:
    """Statements of the lede and the sections, in reading order."""
    by_id = {c.id: c.statement for c in brief.claims}
    return [by_id[i] for i in brief.lede_claim_ids] + [by_id[i] for s in brief.sections for i in s.claim_ids]


TREATY = "Ministers of both countries signed the river treaty in Vienna on Monday."
WATER = "Negotiators in Vienna spent three weeks on how the river's water is shared."
# Every word of it is in the two above, in other words: a restatement, not a new fact.
RESTATED = "The river treaty on sharing water was signed in Vienna by ministers after three weeks."
FISH = "Fishermen downstream say catches of sturgeon halved over a decade."
DAM = "A hydropower dam planned upstream is frozen until engineers report in autumn."


def test_a_restatement_in_other_words_gives_way_to_a_fact_only_one_outlet_reports() -> None:
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", "Both countries sign on Monday", [claim(TREATY), claim(RESTATED)]),
            extracted("bbbbbbbbbbbb", "Both countries agree on Monday", [claim(WATER), claim(FISH)]),
            extracted("cccccccccccc", "Monday deal for both countries", [claim(TREATY), claim(DAM)]),
        ],
        # Merging by meaning would fold the restatement into another item: kept apart here, so
        # that what is under test is the choice of what to show.
        options=MergeOptions(max_highlights=3, lede_claims=1, same_meaning=1.01, same_meaning_alone=1.01),
    )
    statements = shown(brief)
    assert RESTATED in {c.statement for c in brief.claims}
    assert RESTATED not in statements
    assert WATER in statements and FISH in statements and DAM in statements


EVENTS = [
    "Rescuers pulled a girl alive from a collapsed bakery in Hatay.",
    "Power returned to most districts of Gaziantep by evening.",
    "Snow closed the mountain road between Malatya and Adana.",
    "Volunteers opened kitchens in mosques and sports halls.",
    "The football club offered its stadium as a shelter.",
    "Engineers inspected bridges on the coastal highway.",
    "Schools will stay closed for another fortnight, teachers were told.",
]


def test_a_story_told_in_events_shows_more_than_four_of_them() -> None:
    articles = [
        extracted(f"{n:012d}", f"Quake relief reaches the south, day {n}", [claim(e)])
        for n, e in enumerate(EVENTS, start=1)
    ]
    brief = merge(articles)
    happened = next(s for s in brief.sections if s.title == "What happened")
    assert len(happened.claim_ids) > 4
    assert set(shown(brief)) >= set(EVENTS[:6])


def test_an_untranslated_claim_whose_every_number_is_shown_is_left_out() -> None:
    english = "All but one of the 242 people on board the London flight were killed."
    again = "Dei 242 a bordo del volo si è salvato soltanto un passeggero, ricoverato in ospedale."
    new = "Il registratore di volo è stato recuperato venerdì sul tetto di un ostello."
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", "Only one of 242 survives the London flight crash", [claim(english)]),
            extracted("bbbbbbbbbbbb", "Crash of the London flight: one survivor", [claim(english)]),
            extracted("cccccccccccc", "Schianto del volo per Londra", [claim(again), claim(new)], "it"),
        ],
        language="en",
    )
    statements = shown(brief)
    assert english in statements
    assert again not in statements
    assert new in statements


@pytest.mark.parametrize(
    "leaning",
    [
        "Getting them back to their earlier pace is the main aim of the American delegation.",
        "If no deal is signed within 30 days of that date, the export curbs would be tightened again.",
        "Until then, the American delegation will keep the current licence rules in force.",
        "The rest of the American delegation stayed behind for talks with the carmakers.",
        "Most were granted to suppliers of the largest American carmakers by the end of May.",
        "The figure for the month was based on customs data collected in the first week.",
        "That dispute lasted eleven days and ended with a temporary licence for three producers.",
    ],
)
def test_a_claim_that_leans_on_a_sentence_not_shown_gives_way_to_one_that_stands_alone(leaning: str) -> None:
    opening = "China restricted exports of seven rare earth elements in April."
    alone = "Carmakers in Europe warned that assembly lines could stop within weeks."
    brief = merge(
        [extracted("aaaaaaaaaaaa", "Rare earths curbs", [claim(opening), claim(leaning), claim(alone)])],
        options=MergeOptions(max_highlights=1, lede_claims=1),
    )
    ranked = [c.statement for c in brief.claims]
    assert ranked.index(leaning) < ranked.index(alone)
    assert sorted(shown(brief)) == sorted([opening, alone])


def test_an_untranslated_claim_naming_only_people_already_shown_is_left_out() -> None:
    english = "Goalkeeper Diogo Costa saved from Alvaro Morata before Ruben Neves scored the winner."
    again = "Nos penáltis, Diogo Costa defendeu o remate de Álvaro Morata e Rúben Neves marcou."
    new = "A equipa de Roberto Martínez recebe a taça das mãos de Aleksander Ceferin."
    brief = merge(
        [
            extracted("aaaaaaaaaaaa", "Portugal win the final on penalties", [claim(english)]),
            extracted("bbbbbbbbbbbb", "Penalties decide the final for Portugal", [claim(english)]),
            extracted("cccccccccccc", "Portugal campeão nos penáltis", [claim(again), claim(new)], "pt"),
        ],
        language="en",
    )
    statements = shown(brief)
    assert english in statements
    assert again not in statements
    assert new in statements
