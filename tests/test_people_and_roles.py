"""The extractive backend's people, roles and speakers, read as a reader of sports and general news would.

A role written in lower case before a name ("coach Lionel Scaloni"), a person named only
as the subject of what they did ("Kylian Mbappé struck twice"), and a quotation whose
speaker is "he" after it: each is tested on the extraction of one article, and where it
matters on the merge of several.
"""

from __future__ import annotations

import pytest
from factories import article

from briefing.check.grounding import check_extraction
from briefing.contracts import (
    ArticleExtraction,
    Backend,
    Brief,
    Entity,
    EntityKind,
    ExtractedArticle,
    ExtractionMeta,
)
from briefing.extract.extractive.attribution import speaker_surname
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


# --- a quotation given to "he" ---------------------------------------------------------------

ERDOGAN = (
    "President Recep Tayyip Erdoğan said Turkey had not faced a disaster of this scale since 1939. "
    "According to Erdoğan, 45 countries had already offered to help. “We hope that we will get out "
    "of this disaster together as soon as possible,” he wrote on Twitter."
)
SHORTCOMINGS = (
    "Recep Tayyib Erdogan visited Kahramanmaras and Hatay provinces on Wednesday. He admitted there "
    'had been problems with the response. "Of course there are shortcomings," he said, adding that no '
    "country could be fully ready."
)


def test_a_quotation_given_to_he_names_the_person_of_the_sentence_before() -> None:
    extraction = extract(ERDOGAN)
    claim = next(c for c in extraction.claims if "We hope" in c.statement)
    # "Erdoğan" alone is the article's one person of that surname, named as the sentence writes it.
    assert claim.statement.endswith("as soon as possible,” [Erdoğan] wrote on Twitter.")
    assert claim.evidence.startswith("According to Erdoğan, 45 countries") and claim.evidence in ERDOGAN
    assert check_extraction(extraction, ERDOGAN)[1] == []


def test_a_quotation_after_a_resolved_pronoun_cites_the_passage_that_names_the_speaker() -> None:
    extraction = extract(SHORTCOMINGS)
    statements = {c.statement: c.evidence for c in extraction.claims}
    quote = (
        '"Of course there are shortcomings," [Recep Tayyib Erdogan] said, adding that no country could be '
        "fully ready."
    )
    assert statements[quote] == SHORTCOMINGS
    assert "[Recep Tayyib Erdogan] admitted there had been problems with the response." in statements
    assert check_extraction(extraction, SHORTCOMINGS)[1] == []


@pytest.mark.parametrize(
    "before",
    [
        "Anja Roth, who chairs the Union of Port and Harbour Workers, spoke from the back of a lorry.",
        "Talking to KTV at the Valmar terminal, union chair Anja Roth said the firm had misjudged its staff.",
    ],
)
def test_an_organisations_name_an_acronym_or_the_x_plant_leave_one_person_for_she(before: str) -> None:
    text = f'{before} "Nobody here wanted to stop work, but nobody can live on this offer," she said.'
    assert [c.statement for c in extract(text).claims if "Nobody here" in c.statement] == [
        '"Nobody here wanted to stop work, but nobody can live on this offer," [Anja Roth] said.'
    ]


@pytest.mark.parametrize(
    "text",
    [
        # Two people before it: "he" is either.
        "Vice President Fuat Oktay met President Recep Tayyip Erdoğan in Ankara on Monday. “We will "
        "rebuild every home in the region,” he said on Tuesday.",
        # A paragraph of its own.
        "President Recep Tayyip Erdoğan visited Hatay province on Wednesday.\n\n“We will rebuild "
        "every home in the region,” he said on Tuesday.",
    ],
)
def test_a_quotation_given_to_an_unresolved_he_is_no_statement(text: str) -> None:
    assert not [c for c in extract(text).claims if "rebuild every home" in c.statement]


def test_an_opening_pronoun_after_a_surname_alone_names_that_person() -> None:
    text = (
        "Lionel Messi opened the scoring in the 23rd minute. The final was Messi's 26th World Cup "
        "match, a record. He finished with seven goals and was named player of the tournament."
    )
    claim = next(c for c in extract(text).claims if "seven goals" in c.statement)
    assert claim.statement.startswith("[Messi] finished with seven goals")


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [
        ("Gov. Miriam Obwocha ordered every ferry on the lake to stop.", "Miriam Obwocha", "Governor"),
        ("Sen. Maria Lopez said the bill would pass.", "Maria Lopez", "Senator"),
        ("Former Gen. Tomas Berg said the troops would stay.", "Tomas Berg", "Former General"),
    ],
)
def test_a_title_written_short_is_a_role_not_part_of_the_name(text: str, name: str, role: str) -> None:
    assert people(text) == {name: role}


def test_a_title_written_short_and_in_full_is_one_role_of_one_person() -> None:
    brief = merged(
        {
            "Lake Post": "Gov. Miriam Obwocha ordered every ferry on the lake to stop on Tuesday.",
            "Hill Times": "Governor Miriam Obwocha visited the survivors in hospital on Wednesday.",
        }
    )
    [governor] = [e for e in brief.entities if "Obwocha" in e.name]
    assert governor.name == "Miriam Obwocha"
    assert {m.role for m in governor.mentions} == {"Governor"}
    assert len({m.article_id for m in governor.mentions}) == 2
    assert not [d for d in brief.discrepancies if d.kind == "role"]


SURVIVOR = (
    "Officials met on Monday. "
    '"The water came in from the left and everyone ran to the right," said survivor Grace Wanjiru. '
    '"I held on to a jerrycan until a fishing boat pulled me out."'
)


def test_a_speaker_named_after_a_role_in_lower_case_is_the_quotations_speaker() -> None:
    assert [q.speaker for q in extract(SURVIVOR).quotes] == ["Grace Wanjiru"]


def test_a_quotation_alone_in_its_sentence_is_given_to_the_speaker_before_or_dropped() -> None:
    [said] = [c for c in extract(SURVIVOR).claims if "jerrycan" in c.statement]
    assert said.statement == '[Grace Wanjiru:] "I held on to a jerrycan until a fishing boat pulled me out."'
    assert said.evidence.startswith('"The water came in') and said.evidence.endswith('pulled me out."')
    nobody = extract('Ferries stopped running on Tuesday. "Nobody came for an hour."')
    assert not [c for c in nobody.claims if "Nobody" in c.statement]


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("Jonas Albrecht, a spokesman for Norvik, said the company could not match the demand.", "Albrecht"),
        ("Marta Feldt, the president of the Metal Workers, said the strike would go on.", "Feldt"),
        ("Ian Bremmer, president of the Eurasia Group, said the truce was fragile.", "Bremmer"),
        ("The Eurasia Group's president, Ian Bremmer, said the truce was fragile.", "Bremmer"),
        # A speech verb inside the quotation is the speaker's words.
        ('"Voters asked for change, and we will not waste a day," Helena Varga said.', "Varga"),
    ],
)
def test_whom_a_speaker_works_for_or_quotes_is_not_the_speaker(sentence: str, speaker: str) -> None:
    assert speaker_surname(sentence) == speaker
