"""Who is who: people with their roles, organisations and places named in an article.

News gives titles in a handful of fixed patterns ('Treasury Secretary X', 'Mr. X',
'coach X', 'X, a research director,', 'the Eurasia Group's president, X,'). A capitalised
phrase becomes an entity only when a title, a courtesy title, a speech verb or a cue word
says what it is, or when it is shaped like a person's name (two to four capitalised words,
none a place, an organisation's word or a title) and is the subject of a verb in the past
tense: 'Kylian Mbappé struck twice', 'Raed Al Saleh, who leads the group,'. Names and roles
are returned as written in the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from briefing.contracts import Entity, EntityKind
from briefing.extract.extractive.lexicon import (
    ACTION_VERBS,
    NOT_NAMES,
    ORG_HEADS,
    PLACE_NOUNS,
    PLACES,
    SPEECH_VERBS,
    TIME_WORDS,
    TITLE_ABBREVIATIONS,
)
from briefing.extract.extractive.names import (
    CONNECTORS,
    HONORIFIC_WORDS,
    KNOWN_ORG_NAMES,
    ORG_SUFFIX_WORDS,
    PARTICLES,
    PLACE_WORDS,
    TITLE_PHRASES,
    TITLE_WORDS,
    TOKEN,
    UPPER,
    is_cap,
    is_name_word,
    is_role_word,
    strip_possessive,
)

__all__ = ["Mention", "find_entities", "mentions_in"]

_ORG_HEADS = frozenset(ORG_HEADS)
_PLACES = {p.casefold(): p for p in PLACES}
_ORG_WORDS = frozenset(w for o in KNOWN_ORG_NAMES for w in o.split())
_TIME_WORDS = frozenset(w.casefold() for w in TIME_WORDS)
_PLACE_NOUNS = frozenset(PLACE_NOUNS)
_ROLE_PREFIX_WORDS = 2
"""Capitalised words taken into a role before its title: "Labour Minister", "Port Authority chief"."""

_INITIALS = re.compile(r"(?:[A-Z]\.)+")
_SPEAKS_AFTER = re.compile(
    rf"^(?:\s+(?:of|from|at)\s+(?:the\s+)?[{UPPER}][\w&.-]*(?:\s+[{UPPER}][\w&.-]*)*)?(?:,[^,“”\"]{{2,120}},)?"
    rf"(?:\s+(?:on\s+)?(?:{'|'.join(TIME_WORDS)}))?\s+(?:{'|'.join(SPEECH_VERBS)})\b"
)
# "The Eurasia Group's president, Ian Bremmer," -> "Eurasia Group's president".
_ROLE_AHEAD = re.compile(
    rf"(?:^|\s)(?:(?:[Tt]he|[Aa]n?)\s+)?(?P<role>(?:[{UPPER}][\w&.-]*\s+){{0,4}}?[\w&.-]+(?:’s|'s)\s+"
    r"[a-z][\w -]{2,30}),\s*$"
)
# "The White Helmets ... Its head, Raed al-Saleh," -> "head".
_OWN_ROLE_AHEAD = re.compile(r"(?:^|\s)(?:[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)\s+(?P<role>[a-z][\w -]{2,30}),\s*$")
# "Kylian Mbappé struck twice", "Raed Al Saleh, who leads the group": a person acting.
# "-eed" is left out of "-ed": "need", "speed" are not past tenses ("agreed" is listed).
_ACTS_AFTER = re.compile(
    rf"^(?:,\s+who\s+[a-z]|\s+(?:(?:then|later|also|finally|first)\s+)?"
    rf"(?:[a-z]{{2,}}(?<!e)ed|{'|'.join(ACTION_VERBS)})\b)"
)
# Words before a capitalised run that make it a thing, not a person: "the Golden Boot went".
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "its", "their", "his", "her", "our"})
# The last item of a list is seldom a person acting: "Everyday People, Dance to the Music and Family
# Affair made the group famous", "Russia, China and Burkina Faso voted no".
_LIST_BEFORE = re.compile(rf",\s+[{UPPER}][^,]{{0,40}}\s+(?:and|or)\s+$")
# "Kahramanmaraş province", "Kahramanmaras and Hatay provinces": a place by its cue word.
_PLACE_AFTER = re.compile(
    rf"^(?:\s+and\s+[{UPPER}][\w’'-]*)?\s+(?:province|provinces|region|district|county|prefecture)\b"
)
# "Kathleen Brooks, a research director, said" -> "research director".
_APPOSITIVE_ROLE = re.compile(
    r",\s+(?:an?\s+|the\s+)?(?P<role>[a-z][\w’' -]{2,80}?)(?=,|\.|\s+(?:said|told|says))"
)


@dataclass
class Mention:
    """One naming of an entity in a sentence, with the role written next to it, if any."""

    name: str
    kind: EntityKind
    role: str | None


def find_entities(
    text: str, sentences: Sequence[tuple[int, int]], speakers: Iterable[str] = ()
) -> list[Entity]:
    """People (with their roles), organisations and places, each once, in order of first mention.

    A person is a capitalised name with a title before it ('former President Donald
    Trump'), a courtesy title ('Mr. Hassett'), an appositive role ('Kathleen Brooks, a
    research director,') or a speech verb after it; `speakers` (of quotations) are
    people too. 'Trump' joins 'Donald Trump' when the article names one such person,
    and the most specific role given wins.
    """
    mentions = [m for start, end in sentences for m in mentions_in(text[start:end])]
    mentions += [Mention(name, EntityKind.person, None) for name in speakers]
    return _dedupe(mentions)


def mentions_in(sentence: str) -> list[Mention]:
    """Every entity the sentence names, in order: a pronoun's speaker is the last person among them."""
    tokens = [(m.start(), m.end(), m.group()) for m in TOKEN.finditer(sentence)]
    words = [_clean_token(t[2]) for t in tokens]
    out: list[Mention] = []
    i = 0
    while i < len(tokens):
        if not is_cap(words[i]) or is_role_word(words[i]) or words[i].casefold() in HONORIFIC_WORDS:
            if words[i].casefold() in _PLACES and not _opens_title(sentence, tokens, words, i):
                out.append(Mention(words[i], EntityKind.place, None))  # "the US wants", not "US President"
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and _adjacent(sentence, tokens, j, j + 1):
            if tokens[j][2].endswith((",", "’s", "'s")):
                break
            nxt = j + 1
            while (
                nxt + 1 < len(tokens)
                and words[nxt] in PARTICLES
                and _adjacent(sentence, tokens, nxt, nxt + 1)
            ):
                nxt += 1
            if (
                not is_name_word(words[nxt])
                or is_role_word(words[nxt])
                or (nxt > j + 1 and words[nxt - 1] not in PARTICLES)
            ):
                break
            j = nxt
        out.extend(_mentions_for_run(sentence, tokens, words, i, j))
        i = j + 1
    return out


def _opens_title(sentence: str, tokens: list[tuple[int, int, str]], words: list[str], i: int) -> bool:
    nxt = i + 1
    return nxt < len(tokens) and _adjacent(sentence, tokens, i, nxt) and is_cap(words[nxt])


def _mentions_for_run(
    sentence: str, tokens: list[tuple[int, int, str]], words: list[str], i: int, j: int
) -> list[Mention]:
    run = [strip_possessive(w) for w in words[i : j + 1]]
    name = " ".join(run)
    if (
        run[-1].casefold() in ORG_SUFFIX_WORDS
        or name.casefold() in KNOWN_ORG_NAMES
        or name.casefold() in _PLACES
    ):
        return _org_or_place(tokens, words, i, j)
    role = _role_before(sentence, tokens, words, i)
    honorific = i > 0 and words[i - 1].casefold() in HONORIFIC_WORDS and _adjacent(sentence, tokens, i - 1, i)
    rest = sentence[tokens[j][1] :]
    if role is None and not honorific and len(run) >= 2:
        role = _appositive_role(rest) or _role_ahead(sentence[max(0, tokens[i][0] - 80) : tokens[i][0]])
    speaks = len(run) >= 2 and _SPEAKS_AFTER.match(rest) is not None
    acts = (
        _ACTS_AFTER.match(rest) is not None
        and _person_shaped(run)
        and not _after_determiner(words, i)
        and _LIST_BEFORE.search(sentence[: tokens[i][0]]) is None
    )
    first_ok = run[0].casefold() not in NOT_NAMES or (bool(role or honorific) and len(run) >= 2)
    if (role or honorific or speaks or acts) and first_ok and len(run) <= 4:
        return [Mention(name, EntityKind.person, role)]
    if _PLACE_AFTER.match(rest) and len(run) <= 3 and run[0].casefold() not in NOT_NAMES:
        return [Mention(name, EntityKind.place, None)]
    return _org_or_place(tokens, words, i, j)


def _person_shaped(run: list[str]) -> bool:
    """Two to four name words, none of them a title, a place's, an organisation's or a common opener."""
    if not 2 <= len(run) <= 4:
        return False
    for word in run:
        folded = word.casefold()
        if word in PARTICLES or folded.startswith(("al-", "el-")):
            continue
        if (
            not is_cap(word)
            or word.isupper()
            or is_role_word(word)
            or folded in NOT_NAMES
            or folded in PLACE_WORDS
            or folded in ORG_SUFFIX_WORDS
            or folded in _ORG_HEADS
            or folded in _ORG_WORDS
            or folded in _TIME_WORDS
            or folded in _PLACE_NOUNS
        ):
            return False
    return True


def _after_determiner(words: list[str], i: int) -> bool:
    return i > 0 and words[i - 1].casefold() in _DETERMINERS


def _clean_token(token: str) -> str:
    token = token.rstrip(",;:")
    abbreviation = _INITIALS.fullmatch(token) is not None
    if token.endswith(".") and token.casefold() not in HONORIFIC_WORDS and not abbreviation:
        token = token[:-1]
    return token


def _adjacent(sentence: str, tokens: list[tuple[int, int, str]], a: int, b: int) -> bool:
    return sentence[tokens[a][1] : tokens[b][0]] in {" ", "\u00a0"}


def _role_before(sentence: str, tokens: list[tuple[int, int, str]], words: list[str], i: int) -> str | None:
    """The role written just before a name: 'former President', 'White House economic adviser'."""
    k = i
    while k > 0 and _adjacent(sentence, tokens, k - 1, k) and not tokens[k - 1][2].endswith(","):
        if not (is_role_word(words[k - 1]) or words[k - 1].casefold() in {"ex-", "then-"}):
            break
        k -= 1
    while k < i and words[k].casefold() in CONNECTORS:
        k += 1
    role_words = words[k:i]
    if not role_words or not _has_title(role_words) or role_words[-1].casefold() in CONNECTORS:
        return None
    # Departments and bodies written before the title belong to the role: "Labour Minister".
    for _ in range(_ROLE_PREFIX_WORDS):
        before = k - 1
        if (
            before < 0
            or not _adjacent(sentence, tokens, before, k)
            or tokens[before][2].endswith((",", "’s", "'s"))
        ):
            break
        if not is_cap(words[before]) or words[before].casefold() in NOT_NAMES:
            break
        k = before
    role = sentence[tokens[k][0] : tokens[i - 1][1]].rstrip(",")
    # A title written short is written out: "Gov." and "Governor" are one role.
    return " ".join(TITLE_ABBREVIATIONS.get(w.casefold().removesuffix("."), w) for w in role.split())


def _has_title(words: list[str]) -> bool:
    folded = " ".join(w.casefold() for w in words)
    return any(w.casefold() in TITLE_WORDS for w in words) or any(p in folded for p in TITLE_PHRASES)


def _role_ahead(head: str) -> str | None:
    """The role in "the Eurasia Group's president, X,"; "the team's interim coach" is "interim coach"."""
    m = _ROLE_AHEAD.search(head) or _OWN_ROLE_AHEAD.search(head)
    if not m or not _has_title(m.group("role").split()[-1:]):
        return None
    role = m.group("role")
    owner, _, office = role.partition(" ")
    return office if owner.endswith(("’s", "'s")) and not is_cap(owner) else role


def _appositive_role(rest: str) -> str | None:
    m = _APPOSITIVE_ROLE.match(rest)
    if not m:
        return None
    role = m.group("role").strip()
    words = role.split()
    return role if len(words) <= 8 and _has_title(words[:3]) else None


def _org_or_place(tokens: list[tuple[int, int, str]], words: list[str], i: int, j: int) -> list[Mention]:
    run = words[i : j + 1]
    # "Ministry of Commerce", "Bank of England": extend over "of Name".
    if run[-1].casefold() in _ORG_HEADS or run[0].casefold() in _ORG_HEADS:
        k = j
        while k + 2 < len(tokens) and words[k + 1].casefold() == "of" and is_cap(words[k + 2]):
            k += 2
        run = words[i : k + 1]
    if run[0].casefold() == "the":
        run = run[1:]
    name = " ".join(strip_possessive(w) for w in run)
    folded = name.casefold()
    if not name or folded in NOT_NAMES:
        return []
    if folded in KNOWN_ORG_NAMES:
        return [Mention(KNOWN_ORG_NAMES[folded], EntityKind.organization, None)]
    if folded in _PLACES:
        return [Mention(name, EntityKind.place, None)]
    if len(run) >= 2 and (run[-1].casefold() in ORG_SUFFIX_WORDS or run[0].casefold() in _ORG_HEADS):
        return [Mention(name, EntityKind.organization, None)]
    return []


def _dedupe(mentions: list[Mention]) -> list[Entity]:
    """One entity per name; 'Trump' joins 'Donald Trump'; the role with the most words wins."""
    full = sorted({m.name for m in mentions if m.kind == EntityKind.person and " " in m.name})
    merged: dict[tuple[EntityKind, str], Mention] = {}
    for m in mentions:
        name = m.name
        if m.kind == EntityKind.person and " " not in name:
            owners = [f for f in full if name in f.split()]
            if len(owners) == 1:
                name = owners[0]
        key = (m.kind, name.casefold())
        kept = merged.get(key)
        if kept is None:
            merged[key] = Mention(name, m.kind, m.role)
        elif m.role and (not kept.role or len(m.role.split()) > len(kept.role.split())):
            kept.role = m.role
    return [Entity(name=m.name, kind=m.kind, role=m.role) for m in merged.values()]
