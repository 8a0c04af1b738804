"""Who said what and who is who: quotations with their speakers, names with their roles.

News attributes words and titles in a handful of fixed patterns ('"...," said X',
'X said: "..."', 'according to X', 'Treasury Secretary X', 'X, a research director,').
These functions follow those patterns and nothing else: a quotation whose speaker
the patterns cannot find is left out rather than guessed, and a capitalised phrase
becomes an entity only when a title, a courtesy title, a speech verb or a cue word
says what it is. Names and roles are returned as written in the article.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from briefing.contracts import Entity, EntityKind, Quote
from briefing.extract.extractive.lexicon import (
    HONORIFICS,
    KNOWN_ORGS,
    NOT_NAMES,
    ORG_HEADS,
    ORG_SUFFIXES,
    PLACES,
    ROLE_QUALIFIERS,
    SPEECH_VERBS,
    TIME_WORDS,
    TITLES,
)
from briefing.text import comparable

__all__ = [
    "QuoteSpan",
    "find_entities",
    "find_quotes",
    "is_full_quote",
    "quotation_spans",
    "speaker_surname",
    "with_full_names",
]

_TITLE_WORDS = frozenset(t for t in TITLES if " " not in t)
_TITLE_PHRASES = tuple(t for t in TITLES if " " in t)
_ROLE_WORDS = frozenset(ROLE_QUALIFIERS) | _TITLE_WORDS | {w for t in _TITLE_PHRASES for w in t.split()}
_HONORIFICS = frozenset(HONORIFICS)
_ORG_SUFFIXES = frozenset(ORG_SUFFIXES)
_ORG_HEADS = frozenset(ORG_HEADS)
_KNOWN_ORGS = {o.casefold(): o for o in KNOWN_ORGS}
_PLACES = {p.casefold(): p for p in PLACES}
_CONNECTORS = frozenset({"of", "the", "for"})
# Lower-case particles inside names: "Anna de Vries", "Ursula von der Leyen".
_PARTICLES = frozenset(
    {"de", "da", "di", "du", "del", "der", "den", "van", "von", "la", "le", "bin", "al", "ibn"}
)
_ROLE_PREFIX_WORDS = 2
"""Capitalised words taken into a role before its title: "Labour Minister", "Port Authority chief"."""

_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_CAP_WORD = re.compile(rf"[{_UPPER}]")
_TOKEN = re.compile(r"[^\W_][\w’'.&-]*")
_WORDS = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")
_NO_SPACE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_SPEECH = re.compile(r"\b(?:" + "|".join(SPEECH_VERBS) + r")\b")
_SPEECH_FIRST = re.compile(r"^[,.!?]?\s*(?:" + "|".join(SPEECH_VERBS) + r")\s+(?P<rest>.*)$", re.DOTALL)
_NAME_THEN_SPEECH = re.compile(
    r"^[,.!?]?\s*(?P<who>.{0,120}?)\s*(?:" + "|".join(SPEECH_VERBS) + r")\b", re.DOTALL
)
_ACCORDING_TO = re.compile(r"\baccording to\s+", re.IGNORECASE)
_PRONOUN_END = re.compile(r"\b(?:he|she|He|She)\s*$")
_TIME_WORDS_END = re.compile(
    r"(?:\s*,?\s+(?:on\s+|last\s+|this\s+)?(?:" + "|".join(TIME_WORDS) + r")\b)*\s*$"
)
_APPOSITION_END = re.compile(r",[^,“”\"«»]{2,120},\s*$")
_OF_ORG_END = re.compile(rf"\s+(?:of|from|at)\s+(?:the\s+)?[{_UPPER}][\w&.-]*(?:\s+[{_UPPER}][\w&.-]*)*\s*$")
_ANONYMOUS = (
    r"(?:an?|the)\s+(?P<who>(?:[A-Z][\w.]*\s+){0,3}(?:[a-z]+\s+){0,2}(?:spokesperson|spokesman|spokeswoman|"
    r"official|diplomat|source|statement|ministry|analyst|economist))"
)
_ANONYMOUS_SPEAKER = re.compile(rf"\b{_ANONYMOUS}\s*$")
_ANONYMOUS_AFTER = re.compile(rf"^{_ANONYMOUS}\b")
_SPEAKS_AFTER = re.compile(
    rf"^(?:\s+(?:of|from|at)\s+(?:the\s+)?[{_UPPER}][\w&.-]*(?:\s+[{_UPPER}][\w&.-]*)*)?(?:,[^,“”\"]{{2,120}},)?"
    rf"(?:\s+(?:on\s+)?(?:{'|'.join(TIME_WORDS)}))?\s+(?:{'|'.join(SPEECH_VERBS)})\b"
)
# "The Eurasia Group's president, Ian Bremmer," -> "Eurasia Group's president".
_ROLE_AHEAD = re.compile(
    rf"(?:^|\s)(?:(?:[Tt]he|[Aa]n?)\s+)?(?P<role>(?:[{_UPPER}][\w&.-]*\s+){{0,4}}?[\w&.-]+(?:’s|'s)\s+"
    r"[a-z][\w -]{2,30}),\s*$"
)
# "Kathleen Brooks, a research director, said" -> "research director".
_APPOSITIVE_ROLE = re.compile(
    r",\s+(?:an?\s+|the\s+)?(?P<role>[a-z][\w’' -]{2,80}?)(?=,|\.|\s+(?:said|told|says))"
)
# Opening mark -> the marks that may close it.
_QUOTE_PAIRS = {"“": "”", "«": "»", "„": "“”", "‘": "’", '"': '"', "「": "」", "『": "』", "‹": "›"}
_OPENING_MARK = re.compile("[" + "".join(_QUOTE_PAIRS) + "]")
_CLOSING_MARKS = {mark: re.compile("[" + re.escape(closers) + "]") for mark, closers in _QUOTE_PAIRS.items()}


class QuoteSpan(NamedTuple):
    """A closed quotation: positions of its opening and closing marks, and the words between."""

    open: int
    close: int
    inner: str


@dataclass
class _Mention:
    name: str
    kind: EntityKind
    role: str | None


# ---------------------------------------------------------------------------
# Quotations
# ---------------------------------------------------------------------------


def quotation_spans(text: str) -> list[QuoteSpan]:
    """Every quotation closed within its line, in straight, curly, guillemet or „German“ marks.

    A single curly quote opens only after a space or bracket and closes only before a
    non-letter, so apostrophes ("China’s") are never taken for quotation marks. Linear
    in the text: a mark that finds no closing mark on its line rules out the same mark
    for the rest of that line, the end of the line is looked up once per line, and a
    closing mark is searched for only up to the first one (a page of quotation marks
    took minutes when each mark searched to the end of its line).
    """
    spans: list[QuoteSpan] = []
    hopeless: dict[str, int] = {}  # opening mark -> end of the line in which it cannot close
    resume = 0
    line_end = -1
    n = len(text)
    for opening in _OPENING_MARK.finditer(text):
        i, mark = opening.start(), opening.group()
        if i < resume or hopeless.get(mark, -1) > i or (mark in '‘"' and i > 0 and text[i - 1].isalnum()):
            continue
        if i > line_end:
            line_end = text.find("\n", i)
            line_end = n if line_end < 0 else line_end
        close = _closing_mark(text, i + 1, line_end, mark)
        if close < 0:
            hopeless[mark] = line_end
            continue
        spans.append(QuoteSpan(i, close, text[i + 1 : close]))
        resume = close + 1
    return spans


def _closing_mark(text: str, start: int, end: int, mark: str) -> int:
    """The first mark in `text[start:end]` that closes `mark`, or -1."""
    if mark != "‘":
        found = _CLOSING_MARKS[mark].search(text, start, end)
        return found.start() if found else -1
    # A closing single quote must not be an apostrophe inside a word ("China’s").
    position = start
    while True:
        close = text.find("’", position, end)
        if close < 0 or close + 1 >= len(text) or not text[close + 1].isalpha():
            return close
        position = close + 1


def is_full_quote(inner: str) -> bool:
    """Three words or more (six characters in scripts without spaces): a quotation, not a scare quote."""
    if _NO_SPACE_SCRIPT.search(inner):
        return len(inner.strip()) >= 6
    return len(_WORDS.findall(inner)) >= 3


def find_quotes(
    text: str, sentences: Sequence[tuple[int, int]], spans: Sequence[QuoteSpan] | None = None
) -> list[Quote]:
    """Quotations of three words or more whose speaker the sentence names; each (speaker, words) once.

    `sentences` are (start, end) offsets into `text` in reading order. A quotation must
    close inside the sentence it opens in. "He said" names the last person named before
    it in the same or the previous two sentences.
    """
    starts = [start for start, _ in sentences]
    out: list[Quote] = []
    seen: set[tuple[str, str]] = set()
    for span in quotation_spans(text) if spans is None else spans:
        if not is_full_quote(span.inner):
            continue
        k = bisect.bisect_right(starts, span.open) - 1
        if k < 0 or span.close >= sentences[k][1]:
            continue
        earlier = [text[s:e] for s, e in sentences[max(0, k - 2) : k]]
        speaker = _speaker(text, sentences[k], span, earlier)
        words = _clean_quote(span.inner)
        if speaker is None or not words:
            continue
        key = (speaker, comparable(words))
        if key not in seen:
            seen.add(key)
            out.append(Quote(speaker=speaker, text=words))
    return out


def _clean_quote(inner: str) -> str:
    """The quoted words without the comma or full stop the sentence put inside the marks."""
    words = inner.strip().rstrip(",;: ")
    if words.endswith(".") and not words[:1].isupper():
        words = words[:-1]
    return words


def _speaker(text: str, sentence: tuple[int, int], span: QuoteSpan, earlier: list[str]) -> str | None:
    """Who the sentence says spoke the quotation, by the usual attribution patterns; None if unclear."""
    start, end = sentence
    before = text[start : span.open]
    after = text[span.close + 1 : end]
    said_x = _SPEECH_FIRST.match(after)  # '"...," said Leavitt' / '"...," said a spokesperson'
    if said_x:
        name = _name_from_run(_run_at_start(said_x.group("rest")))
        if name:
            return name
        anonymous = _ANONYMOUS_AFTER.match(said_x.group("rest"))
        if anonymous:
            return anonymous.group("who")
    x_said = _NAME_THEN_SPEECH.match(after)  # '"...," Leavitt said' / '"...," he said'
    if x_said:
        if _PRONOUN_END.search(x_said.group("who")):
            return _resolve_pronoun(before, earlier)
        name = _name_before(x_said.group("who"))
        if name:
            return name
    according = list(_ACCORDING_TO.finditer(text, start, end))
    if according:
        name = _name_from_run(_run_at_start(text[according[-1].end() : end]))
        if name:
            return name
    for verb in reversed(list(_SPEECH.finditer(before))):  # 'Leavitt said on Sunday: "..."'
        head = before[: verb.start()]
        if _PRONOUN_END.search(head):
            resolved = _resolve_pronoun(head, earlier)
            if resolved:
                return resolved
            continue
        name = _name_before(head)
        if name:
            return name
        anonymous = _ANONYMOUS_SPEAKER.search(_TIME_WORDS_END.sub("", head))
        if anonymous:
            return anonymous.group("who")
    return None


def _name_before(head: str) -> str | None:
    """The name that ends `head`, the text before a speech verb.

    'The Eurasia Group's president, Ian Bremmer,' names Ian Bremmer; 'Ian Bremmer,
    president of the Eurasia Group,' names him too, once the apposition is set aside.
    """
    bare = _TIME_WORDS_END.sub("", head).rstrip()
    if bare.endswith(","):
        run = _run_at_end(bare[:-1])
        if run and run[-1].casefold() not in _ORG_SUFFIXES and " ".join(run).casefold() not in _KNOWN_ORGS:
            name = _name_from_run(run)
            if name:
                return name
    return _name_from_run(_run_at_end(_strip_apposition(head)))


def _strip_apposition(head: str) -> str:
    """'Ian Bremmer, president of the Eurasia Group, on Monday' -> 'Ian Bremmer'."""
    head = _TIME_WORDS_END.sub("", head)
    head = _APPOSITION_END.sub("", head)
    return _OF_ORG_END.sub("", head)


def _resolve_pronoun(head: str, earlier: list[str]) -> str | None:
    """'he said' names the last person named before it: in the sentence, else in the two before."""
    for chunk in (head, *reversed(earlier)):
        people = [m.name for m in _mentions_in(chunk) if m.kind == EntityKind.person]
        if people:
            return people[-1]
    return None


def with_full_names(quotes: list[Quote], entities: list[Entity]) -> list[Quote]:
    """'Xi' becomes 'Xi Jinping' when the article names exactly one person with that name in full."""
    people = [e.name for e in entities if e.kind == EntityKind.person]
    out: list[Quote] = []
    for quote in quotes:
        owners = [p for p in people if " " not in quote.speaker and quote.speaker in p.split()]
        out.append(quote.model_copy(update={"speaker": owners[0]}) if len(owners) == 1 else quote)
    return out


def speaker_surname(sentence: str) -> str | None:
    """The family name of the first person the sentence has speak ('Ian Bremmer ... stated' -> 'Bremmer')."""
    for verb in _SPEECH.finditer(sentence):
        name = _name_before(sentence[: verb.start()])
        if name:
            return name.split()[-1]
    return None


# ---------------------------------------------------------------------------
# Capitalised runs and names
# ---------------------------------------------------------------------------


def _is_cap(word: str) -> bool:
    return bool(_CAP_WORD.match(word))


def _run_at_end(fragment: str) -> list[str]:
    """The capitalised words that end `fragment`, joined by single spaces ('of'/'the' allowed inside)."""
    tokens = list(_TOKEN.finditer(fragment.rstrip()))
    run: list[str] = []
    for k in range(len(tokens) - 1, -1, -1):
        word = tokens[k].group()
        if run and fragment[tokens[k].end() : tokens[k + 1].start()] != " ":
            break
        if not (_is_cap(word) or (run and (word in _CONNECTORS or word in _PARTICLES))):
            break
        run.insert(0, word)
    while run and not _is_cap(run[0]):
        run.pop(0)
    return run


def _run_at_start(fragment: str) -> list[str]:
    """The capitalised words that open `fragment`, up to the first comma or lower-case word."""
    tokens = list(_TOKEN.finditer(fragment))
    run: list[str] = []
    for k, token in enumerate(tokens):
        word = token.group().rstrip(".")
        if k and fragment[tokens[k - 1].end() : token.start()] != " ":
            break
        if not (_is_cap(word) or (run and word in _PARTICLES)):
            break
        run.append(word)
    while run and not _is_cap(run[-1]):
        run.pop()
    return run


def _name_from_run(run: list[str]) -> str | None:
    """The name in a capitalised run, without its title: 'White House Press Secretary Caroline Leavitt'."""
    words = [w.rstrip(",") for w in run]
    last_title = max(
        (i for i, w in enumerate(words) if _role_word(w) or w.casefold() in _HONORIFICS), default=-1
    )
    name = [_strip_possessive(w) for w in words[last_title + 1 :]]
    while name and name[-1].casefold() in _CONNECTORS:
        name.pop()
    if not name or len(name) > 5:
        return None
    # "He Lifeng" after a title is a name; "He" or "The" opening a sentence is not.
    if name[0].casefold() in NOT_NAMES and (last_title < 0 or len(name) < 2):
        return None
    return " ".join(name)


def _strip_possessive(word: str) -> str:
    for suffix in ("’s", "'s"):
        if word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _role_word(word: str) -> bool:
    return word.casefold().rstrip(",") in _ROLE_WORDS


# ---------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------


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
    mentions = [m for start, end in sentences for m in _mentions_in(text[start:end])]
    mentions += [_Mention(name, EntityKind.person, None) for name in speakers]
    return _dedupe(mentions)


def _mentions_in(sentence: str) -> list[_Mention]:
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(sentence)]
    words = [_clean_token(t[2]) for t in tokens]
    out: list[_Mention] = []
    i = 0
    while i < len(tokens):
        if not _is_cap(words[i]) or _role_word(words[i]) or words[i].casefold() in _HONORIFICS:
            if words[i].casefold() in _PLACES and not _opens_title(sentence, tokens, words, i):
                out.append(_Mention(words[i], EntityKind.place, None))  # "the US wants", not "US President"
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and _adjacent(sentence, tokens, j, j + 1):
            if tokens[j][2].endswith((",", "’s", "'s")):
                break
            nxt = j + 1
            while (
                nxt + 1 < len(tokens)
                and words[nxt] in _PARTICLES
                and _adjacent(sentence, tokens, nxt, nxt + 1)
            ):
                nxt += 1
            if (
                not _is_cap(words[nxt])
                or _role_word(words[nxt])
                or (nxt > j + 1 and words[nxt - 1] not in _PARTICLES)
            ):
                break
            j = nxt
        out.extend(_mentions_for_run(sentence, tokens, words, i, j))
        i = j + 1
    return out


def _opens_title(sentence: str, tokens: list[tuple[int, int, str]], words: list[str], i: int) -> bool:
    nxt = i + 1
    return nxt < len(tokens) and _adjacent(sentence, tokens, i, nxt) and _is_cap(words[nxt])


def _mentions_for_run(
    sentence: str, tokens: list[tuple[int, int, str]], words: list[str], i: int, j: int
) -> list[_Mention]:
    run = [_strip_possessive(w) for w in words[i : j + 1]]
    name = " ".join(run)
    if run[-1].casefold() in _ORG_SUFFIXES or name.casefold() in _KNOWN_ORGS or name.casefold() in _PLACES:
        return _org_or_place(tokens, words, i, j)
    role = _role_before(sentence, tokens, words, i)
    honorific = i > 0 and words[i - 1].casefold() in _HONORIFICS and _adjacent(sentence, tokens, i - 1, i)
    rest = sentence[tokens[j][1] :]
    if role is None and not honorific and len(run) >= 2:
        role = _appositive_role(rest) or _role_ahead(sentence[max(0, tokens[i][0] - 80) : tokens[i][0]])
    speaks = len(run) >= 2 and _SPEAKS_AFTER.match(rest) is not None
    first_ok = run[0].casefold() not in NOT_NAMES or (bool(role or honorific) and len(run) >= 2)
    if (role or honorific or speaks) and first_ok and len(run) <= 4:
        return [_Mention(name, EntityKind.person, role)]
    return _org_or_place(tokens, words, i, j)


def _clean_token(token: str) -> str:
    token = token.rstrip(",;:")
    abbreviation = _INITIALS.fullmatch(token) is not None
    if token.endswith(".") and token.casefold() not in _HONORIFICS and not abbreviation:
        token = token[:-1]
    return token


def _adjacent(sentence: str, tokens: list[tuple[int, int, str]], a: int, b: int) -> bool:
    return sentence[tokens[a][1] : tokens[b][0]] in {" ", "\u00a0"}


def _role_before(sentence: str, tokens: list[tuple[int, int, str]], words: list[str], i: int) -> str | None:
    """The role written just before a name: 'former President', 'White House economic adviser'."""
    k = i
    while k > 0 and _adjacent(sentence, tokens, k - 1, k) and not tokens[k - 1][2].endswith(","):
        if not (_role_word(words[k - 1]) or words[k - 1].casefold() in {"ex-", "then-"}):
            break
        k -= 1
    while k < i and words[k].casefold() in _CONNECTORS:
        k += 1
    role_words = words[k:i]
    if not role_words or not _has_title(role_words) or role_words[-1].casefold() in _CONNECTORS:
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
        if not _is_cap(words[before]) or words[before].casefold() in NOT_NAMES:
            break
        k = before
    return sentence[tokens[k][0] : tokens[i - 1][1]].rstrip(",")


def _has_title(words: list[str]) -> bool:
    folded = " ".join(w.casefold() for w in words)
    return any(w.casefold() in _TITLE_WORDS for w in words) or any(p in folded for p in _TITLE_PHRASES)


def _role_ahead(head: str) -> str | None:
    m = _ROLE_AHEAD.search(head)
    if not m or not _has_title(m.group("role").split()[-1:]):
        return None
    return m.group("role")


def _appositive_role(rest: str) -> str | None:
    m = _APPOSITIVE_ROLE.match(rest)
    if not m:
        return None
    role = m.group("role").strip()
    words = role.split()
    return role if len(words) <= 8 and _has_title(words[:3]) else None


def _org_or_place(tokens: list[tuple[int, int, str]], words: list[str], i: int, j: int) -> list[_Mention]:
    run = words[i : j + 1]
    # "Ministry of Commerce", "Bank of England": extend over "of Name".
    if run[-1].casefold() in _ORG_HEADS or run[0].casefold() in _ORG_HEADS:
        k = j
        while k + 2 < len(tokens) and words[k + 1].casefold() == "of" and _is_cap(words[k + 2]):
            k += 2
        run = words[i : k + 1]
    if run[0].casefold() == "the":
        run = run[1:]
    name = " ".join(_strip_possessive(w) for w in run)
    folded = name.casefold()
    if not name or folded in NOT_NAMES:
        return []
    if folded in _KNOWN_ORGS:
        return [_Mention(_KNOWN_ORGS[folded], EntityKind.organization, None)]
    if folded in _PLACES:
        return [_Mention(name, EntityKind.place, None)]
    if len(run) >= 2 and (run[-1].casefold() in _ORG_SUFFIXES or run[0].casefold() in _ORG_HEADS):
        return [_Mention(name, EntityKind.organization, None)]
    return []


def _dedupe(mentions: list[_Mention]) -> list[Entity]:
    """One entity per name; 'Trump' joins 'Donald Trump'; the role with the most words wins."""
    full = sorted({m.name for m in mentions if m.kind == EntityKind.person and " " in m.name})
    merged: dict[tuple[EntityKind, str], _Mention] = {}
    for m in mentions:
        name = m.name
        if m.kind == EntityKind.person and " " not in name:
            owners = [f for f in full if name in f.split()]
            if len(owners) == 1:
                name = owners[0]
        key = (m.kind, name.casefold())
        kept = merged.get(key)
        if kept is None:
            merged[key] = _Mention(name, m.kind, m.role)
        elif m.role and (not kept.role or len(m.role.split()) > len(kept.role.split())):
            kept.role = m.role
    return [Entity(name=m.name, kind=m.kind, role=m.role) for m in merged.values()]
