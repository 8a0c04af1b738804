"""Names in news text: runs of capitalised words, and the name a run holds once its title is set aside.

Shared by the quotation patterns (who spoke, `attribution`) and the entity finder (who
is who, `entities`). Names are returned as written in the article.
"""

from __future__ import annotations

import re

from briefing.extract.extractive.lexicon import (
    HONORIFICS,
    KNOWN_ORGS,
    NOT_NAMES,
    ORG_SUFFIXES,
    PLACES,
    ROLE_QUALIFIERS,
    TITLES,
)

__all__ = [
    "CONNECTORS",
    "HONORIFIC_WORDS",
    "KNOWN_ORG_NAMES",
    "ORG_SUFFIX_WORDS",
    "PARTICLES",
    "PLACE_WORDS",
    "TITLE_PHRASES",
    "TITLE_WORDS",
    "TOKEN",
    "UPPER",
    "is_cap",
    "is_name_word",
    "is_role_word",
    "name_from_run",
    "run_at_end",
    "run_at_start",
    "strip_possessive",
]

TITLE_WORDS = frozenset(t for t in TITLES if " " not in t)
TITLE_PHRASES = tuple(t for t in TITLES if " " in t)
ROLE_WORDS = frozenset(ROLE_QUALIFIERS) | TITLE_WORDS | {w for t in TITLE_PHRASES for w in t.split()}
HONORIFIC_WORDS = frozenset(HONORIFICS)
ORG_SUFFIX_WORDS = frozenset(ORG_SUFFIXES)
KNOWN_ORG_NAMES = {o.casefold(): o for o in KNOWN_ORGS}
PLACE_WORDS = frozenset(w.casefold() for p in PLACES for w in p.split())
"""Each word of a known place's name, case-folded: "hague" of "The Hague" names no person."""
CONNECTORS = frozenset({"of", "the", "for"})
# Lower-case particles inside names: "Anna de Vries", "Ursula von der Leyen".
PARTICLES = frozenset(
    {"de", "da", "di", "du", "del", "der", "den", "van", "von", "la", "le", "bin", "al", "ibn"}
)

UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_CAP_WORD = re.compile(rf"[{UPPER}]")
# The Arabic article written onto a family name: "Bashar al-Assad", "Raed al-Saleh".
_ARTICLE_NAME = re.compile(rf"(?:al|el)-[{UPPER}]")
TOKEN = re.compile(r"[^\W_][\w’'.&-]*")


def is_cap(word: str) -> bool:
    return bool(_CAP_WORD.match(word))


def is_name_word(word: str) -> bool:
    """A word that may continue a name: capitalised, or a family name with its article ("al-Assad")."""
    return is_cap(word) or _ARTICLE_NAME.match(word) is not None


def run_at_end(fragment: str) -> list[str]:
    """The capitalised words that end `fragment`, joined by single spaces ('of'/'the' allowed inside)."""
    tokens = list(TOKEN.finditer(fragment.rstrip()))
    run: list[str] = []
    for k in range(len(tokens) - 1, -1, -1):
        word = tokens[k].group()
        if run and fragment[tokens[k].end() : tokens[k + 1].start()] != " ":
            break
        if not (is_name_word(word) or (run and (word in CONNECTORS or word in PARTICLES))):
            break
        run.insert(0, word)
    while run and not is_cap(run[0]):
        run.pop(0)
    return run


def run_at_start(fragment: str) -> list[str]:
    """The capitalised words that open `fragment`, up to the first comma or lower-case word."""
    tokens = list(TOKEN.finditer(fragment))
    run: list[str] = []
    for k, token in enumerate(tokens):
        word = token.group().rstrip(".")
        if k and fragment[tokens[k - 1].end() : token.start()] != " ":
            break
        if not (is_cap(word) or (run and (word in PARTICLES or is_name_word(word)))):
            break
        run.append(word)
    while run and not is_cap(run[-1]):
        run.pop()
    return run


def name_from_run(run: list[str]) -> str | None:
    """The name in a capitalised run, without its title: 'White House Press Secretary Caroline Leavitt'."""
    words = [w.rstrip(",") for w in run]
    last_title = max(
        (i for i, w in enumerate(words) if is_role_word(w) or w.casefold() in HONORIFIC_WORDS), default=-1
    )
    name = [strip_possessive(w) for w in words[last_title + 1 :]]
    while name and name[-1].casefold() in CONNECTORS:
        name.pop()
    if not name or len(name) > 5:
        return None
    # "He Lifeng" after a title is a name; "He" or "The" opening a sentence is not.
    if name[0].casefold() in NOT_NAMES and (last_title < 0 or len(name) < 2):
        return None
    return " ".join(name)


def strip_possessive(word: str) -> str:
    for suffix in ("’s", "'s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def is_role_word(word: str) -> bool:
    return word.casefold().rstrip(",").removesuffix(".") in ROLE_WORDS
