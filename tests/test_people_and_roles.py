"""The extractive backend's people and roles, read as a reader of sports and general news would.

A role written in lower case before a name ("coach Lionel Scaloni") and a person named
only as the subject of what they did ("Kylian Mbappé struck twice"): each is tested on
the extraction of one article, and where it matters on the merge of several.
"""

from __future__ import annotations

import pytest
from factories import article

from briefing.contracts import (
    ArticleExtraction,
    Backend,
    Brief,
    Entity,
    EntityKind,
    ExtractedArticle,
    ExtractionMeta,
)
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.merge.brief import merge


def extract(text: str) -> ArticleExtraction:
    return ExtractiveBackend().extract(article(text, title="People test"))


def people(text: str) -> dict[str, str | None]:
    return {e.name: e.role for e in extract(text).entities if e.kind == EntityKind.person}


def entities(text: str) -> list[Entity]:
    return extract(text).entities


def merged(texts: dict[str, str]) -> Brief:
    items = []
    for n, (source, text) in enumerate(sorted(texts.items())):
        a = article(text, id=f"{n:012d}", source=source, title=f"Report by {source}")
        items.append(
            ExtractedArticle(
                article=a,
                extraction=ExtractiveBackend().extract(a),
                meta=ExtractionMeta(backend=Backend.extractive),
            )
        )
    return merge(items, date="2025-06-10")


# --- roles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        (
            "For coach Lionel Scaloni, the title capped a run that began with a shock defeat.",
            "Lionel Scaloni",
            "coach",
        ),
        (
            "In the shootout, goalkeeper Emiliano Martínez saved from Kingsley Coman and the kick went wide.",
            "Emiliano Martínez",
            "goalkeeper",
        ),
        (
            "Goalkeeper Emiliano Martines saved from Kingsley Coman before the decisive kick went in.",
            "Emiliano Martines",
            "Goalkeeper",
        ),
        # A common noun's possessive says nothing about the role: "the team's" is dropped...
        (
            "It was a third title. The team's interim coach, Lionel Scaloni, has now won three trophies.",
            "Lionel Scaloni",
            "interim coach",
        ),
        # ... an organisation's is kept.
        (
            "The Eurasia Group's president, Ian Bremmer, said the truce would not last long.",
            "Ian Bremmer",
            "Eurasia Group's president",
        ),
        (
            "The White Helmets worked all night. Its head, Raed al-Saleh, appealed for international help.",
            "Raed al-Saleh",
            "head",
        ),
        (
            "President Bashar al-Assad chaired an emergency meeting of his government on Tuesday.",
            "Bashar al-Assad",
            "President",
        ),
    ],
)
def test_a_role_before_a_name_is_the_persons_role(text: str, name: str, role: str) -> None:
    assert people(text).get(name, "missing") == role


def test_coach_against_interim_coach_is_a_role_disagreement() -> None:
    brief = merged(
        {
            "pampas": "For coach Lionel Scaloni, the title capped a run that began with a shock "
            "defeat by Saudi Arabia in the group stage.",
            "gulf": "It is Argentina's third world title. The team's interim coach, Lionel Scaloni, "
            "has now won the Copa America, the Finalissima and the World Cup with Argentina.",
        }
    )
    roles = [d for d in brief.discrepancies if d.kind == "role"]
    assert [(d.subject, sorted(v.value for v in d.values)) for d in roles] == [
        ("Lionel Scaloni", ["coach", "interim coach"])
    ]


def test_one_role_written_in_two_cases_is_no_disagreement() -> None:
    brief = merged(
        {
            "pampas": "In the shootout, goalkeeper Emiliano Martínez saved from Kingsley Coman and "
            "the kick went wide of the post.",
            "gulf": "Goalkeeper Emiliano Martínez saved from Kingsley Coman before Gonzalo Montiel "
            "scored the decisive kick.",
        }
    )
    assert [d for d in brief.discrepancies if d.kind == "role"] == []


# --- people named without a title -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Kylian Mbappé became the first player since 1966 to score a hat-trick in a World Cup final.",
            "Kylian Mbappé",
        ),
        (
            "France looked beaten until Kylian Mbappé struck twice in the space of two minutes.",
            "Kylian Mbappé",
        ),
        (
            "Recep Tayyib Erdogan visited Kahramanmaras and Hatay provinces on Wednesday.",
            "Recep Tayyib Erdogan",
        ),
        (
            "Raed Al Saleh, who leads the group, appealed for help from the rest of the world.",
            "Raed Al Saleh",
        ),
    ],
)
def test_a_name_that_is_the_subject_of_a_verb_is_a_person(text: str, name: str) -> None:
    assert name in people(text)


@pytest.mark.parametrize(
    "text",
    [
        # Titles of songs listed as examples, countries in a list, a street, a trophy, an agency.
        "Hits such as Everyday People, Dance to the Music and Family Affair made the group famous.",
        "Russia, China and Burkina Faso voted no when the resolution came before the board.",
        "Wall Street surged, with the Dow Jones Industrial Average up more than 1,100 points.",
        "He then collected the Golden Ball, and the Golden Boot went to his team-mate.",
        "The US Geological Survey said the shock hit at 4:17 a.m. local time near the border.",
        "Argentina beat France on penalties after Saudi Arabia had shocked them in the group stage.",
    ],
)
def test_names_of_things_acting_are_not_people(text: str) -> None:
    assert people(text) == {}


def test_the_survey_is_an_organisation_and_a_province_names_a_place() -> None:
    found = {
        (e.name, e.kind)
        for e in entities("The US Geological Survey said the quake hit Kahramanmaraş province.")
    }
    assert ("Geological Survey", EntityKind.organization) in found
    assert ("Kahramanmaraş", EntityKind.place) in found


def test_one_player_spelled_two_ways_is_one_person_named_as_most_sources_write_him() -> None:
    brief = merged(
        {
            "gulf": "Killian Mbappe replied with three goals for France, the first hat-trick in a "
            "final since 1966.",
            "pampas": "France looked beaten until Kylian Mbappé struck twice in the space of two minutes.",
            "riviera": "Kylian Mbappé became the first player since 1966 to score a hat-trick in a "
            "World Cup final.",
        }
    )
    players = [e for e in brief.entities if "Killian Mbappe" in e.variants or "Kylian Mbappé" in e.variants]
    assert [(e.name, sorted(e.variants)) for e in players] == [
        ("Kylian Mbappé", ["Killian Mbappe", "Kylian Mbappé"])
    ]
