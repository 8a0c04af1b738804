from briefing.contracts import EntityKind
from briefing.merge.entities import EntityInput, merge_entities, normalize_name, role_conflicts

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
    # A tie between spellings is broken alphabetically, so the result never depends on input order.
    assert sorted(by_name) == ["Caroline Leavitt", "Scott Bessent"]
    assert by_name["Caroline Leavitt"].variants == ["Caroline Leavitt", "Karoline Leavitt"]


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
    assert sorted(e.name for e in merged) == ["Donald Trump", "Donald Tusk", "Le Qiang", "Xi Jinping"]
    assert next(e for e in merged if e.name == "Le Qiang").variants == ["Le Qiang", "Li Qiang"]


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
