import pytest

from briefing.contracts import EntityKind
from briefing.merge.entities import (
    EntityInput,
    merge_entities,
    normalize_name,
    role_conflicts,
    role_discrepancies,
    with_support,
)

P = EntityKind.person


def mention(name: str, role: str | None, article: str, kind: EntityKind = P) -> EntityInput:
    return EntityInput(name=name, kind=kind, role=role, article_id=article)


def test_normalize_name_strips_honorifics_and_accents() -> None:
    assert normalize_name("Mr. Hassett") == "hassett"
    assert normalize_name("Zoë Müller-Lüdenscheidt") == "zoe muller-ludenscheidt"


def test_misspellings_merge_and_canonical_is_most_common() -> None:
    merged = merge_entities(
        [
            mention("Scott Bessent", "Treasury Secretary", "a"),
            mention("Scott Bessent", "Treasury Secretary", "b"),
            mention("Scott Besant", "Treasury Secretary", "c"),
            mention("Caroline Leavitt", "Press Secretary", "c"),
            mention("Karoline Leavitt", "spokesperson", "a"),
        ]
    )
    by_name = {e.name: e for e in merged}
    assert by_name["Scott Bessent"].variants == ["Scott Bessent", "Scott Besant"]
    assert by_name["Scott Bessent"].source_count == 3
    # An even split is not settled alphabetically: here the well-known spelling wins.
    assert sorted(by_name) == ["Karoline Leavitt", "Scott Bessent"]
    assert by_name["Karoline Leavitt"].variants == ["Karoline Leavitt", "Caroline Leavitt"]


def test_transliteration_with_equivalent_office_merges() -> None:
    merged = merge_entities(
        [
            mention("He Lifeng", "Vice Premier", "a"),
            mention("He Lifeng", "Vice Premier", "b"),
            mention("He Lap Phong", "Deputy Prime Minister", "c"),
        ]
    )
    assert len(merged) == 1
    assert merged[0].name == "He Lifeng"
    assert merged[0].variants == ["He Lifeng", "He Lap Phong"]


def test_different_people_with_same_office_stay_apart() -> None:
    merged = merge_entities(
        [
            mention("Donald Trump", "President", "a"),
            mention("Xi Jinping", "President", "a"),
            mention("Donald Tusk", "Prime Minister", "b"),
            mention("Li Qiang", "Premier", "b"),
            mention("Le Qiang", "Premier", "c"),
        ]
    )
    assert sorted(e.name for e in merged) == ["Donald Trump", "Donald Tusk", "Li Qiang", "Xi Jinping"]
    assert next(e for e in merged if e.name == "Li Qiang").variants == ["Li Qiang", "Le Qiang"]


def test_surname_alone_joins_its_full_name() -> None:
    merged = merge_entities(
        [mention("Howard Lutnick", "Commerce Secretary", "a"), mention("Lutnick", None, "b")]
    )
    assert len(merged) == 1 and merged[0].name == "Howard Lutnick"


def test_role_conflicts() -> None:
    assert role_conflicts(["President", "former President"])
    assert role_conflicts(["US President", "Former President"])
    assert role_conflicts(["Premier", "Vice Premier"])
    assert not role_conflicts(["Treasury Secretary", "Secretary of the Treasury"])
    assert not role_conflicts(["President", "US President"])


def test_merge_is_independent_of_input_order() -> None:
    mentions = [
        mention("Scott Besant", "Treasury Secretary", "c"),
        mention("Scott Bessent", "Treasury Secretary", "a"),
        mention("Bessent", None, "b"),
        mention("He Lap Phong", "Deputy Prime Minister", "c"),
        mention("He Lifeng", "Vice Premier", "a"),
    ]
    assert merge_entities(mentions) == merge_entities(list(reversed(mentions)))


def _canonical(mentions: list[EntityInput], support: dict[str, int] | None = None) -> str:
    (entity,) = [e for e in with_support(merge_entities(mentions), support or {}) if e.kind == P]
    assert merge_entities(list(reversed(mentions))) == merge_entities(mentions)
    return entity.name


def test_on_a_tie_the_spelling_given_with_a_title_in_more_mentions_wins() -> None:
    mentions = [
        mention("Ilse Vandamme", None, "a"),
        mention("Ilse Vandamme", None, "b"),
        mention("Ilse Vanndamme", "Harbour Commissioner", "c"),
        mention("Ilse Vanndamme", None, "d"),
    ]
    assert _canonical(mentions) == "Ilse Vanndamme"


def test_on_a_tie_the_spelling_of_the_best_corroborated_claims_wins() -> None:
    mentions = [mention("Ilse Vandamme", "Commissioner", "a"), mention("Ilse Vanndamme", "Commissioner", "b")]
    assert _canonical(mentions, {"Ilse Vanndamme": 3, "Ilse Vandamme": 1}) == "Ilse Vanndamme"
    assert _canonical(mentions, {"Ilse Vanndamme": 1, "Ilse Vandamme": 3}) == "Ilse Vandamme"


def test_on_a_tie_a_source_that_spells_other_names_as_most_do_is_trusted() -> None:
    # Source "a" writes "Besant" where two others write "Bessent"; its spelling of the
    # commissioner loses the even split, whichever comes first in the alphabet.
    others = [
        mention("Scott Besant", "Treasury Secretary", "a"),
        mention("Scott Bessent", "Treasury Secretary", "b"),
        mention("Scott Bessent", "Treasury Secretary", "c"),
    ]
    for good, bad in (("Ilse Vandamme", "Ilse Vanndamme"), ("Ilse Vanndamme", "Ilse Vandamme")):
        mentions = [*others, mention(bad, "Commissioner", "a"), mention(good, "Commissioner", "b")]
        assert next(e.name for e in merge_entities(mentions) if "Ilse" in e.name) == good


def test_the_majority_spelling_wins_over_a_well_known_one() -> None:
    mentions = [
        mention("Caroline Leavitt", "Press Secretary", "a"),
        mention("Caroline Leavitt", "Press Secretary", "b"),
        mention("Karoline Leavitt", "spokesperson", "c"),
    ]
    assert _canonical(mentions) == "Caroline Leavitt"


def _roles(roles: dict[str, str]) -> list[tuple[str, list[str]]]:
    merged = merge_entities([mention("Donald Trump", role, article) for article, role in roles.items()])
    return [(v.value, v.article_ids) for d in role_discrepancies(merged) for v in d.values]


def test_country_prefixes_and_abbreviations_are_one_role() -> None:
    assert (
        _roles({"a": "President", "b": "US President", "c": "U.S. President", "d": "United States President"})
        == []
    )
    assert not role_conflicts(["U.S. President", "President"])


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (
            {"a": "President", "b": "US President", "c": "Former President", "d": "U.S. President"},
            [("President", ["a", "b", "d"]), ("former President", ["c"])],
        ),
        (
            {"a": "Vice President", "b": "Vice President", "c": "President", "d": "party leader"},
            [("Vice President", ["a", "b"]), ("President", ["c"])],
        ),
        # The outgoing premier still holds the office; only a former one does not.
        ({"a": "outgoing premier", "b": "Regional premier", "c": "premier"}, []),
        (
            {"a": "outgoing premier", "b": "premier", "c": "former premier"},
            [("premier", ["a", "b"]), ("former premier", ["c"])],
        ),
    ],
)
def test_a_role_disagreement_shows_only_contradictory_roles_each_once(
    roles: dict[str, str], expected: list[tuple[str, list[str]]]
) -> None:
    assert _roles(roles) == expected
