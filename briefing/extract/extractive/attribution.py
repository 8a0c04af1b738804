"""Who said what: quotations, and the speaker the sentence names for each.

News attributes words in a handful of fixed patterns ('"...," said X', 'X said: "..."',
'according to X', '"...," he said'). These functions follow those patterns and nothing
else: a quotation whose speaker the patterns cannot find is left out rather than
guessed. Speakers are returned as written in the article.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import NamedTuple

from briefing.contracts import Entity, EntityKind, Quote
from briefing.extract.extractive.entities import mentions_in
from briefing.extract.extractive.lexicon import SPEECH_VERBS, TIME_WORDS
from briefing.extract.extractive.names import (
    KNOWN_ORG_NAMES,
    ORG_SUFFIX_WORDS,
    UPPER,
    name_from_run,
    run_at_end,
    run_at_start,
)
from briefing.text import comparable

__all__ = [
    "QuoteSpan",
    "find_quotes",
    "is_full_quote",
    "quotation_spans",
    "reported_speaker",
    "speaker_surname",
    "with_full_names",
]

_WORDS = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*")
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
_OF_ORG_END = re.compile(rf"\s+(?:of|from|at)\s+(?:the\s+)?[{UPPER}][\w&.-]*(?:\s+[{UPPER}][\w&.-]*)*\s*$")
_ANONYMOUS = (
    r"(?:an?|the)\s+(?P<who>(?:[A-Z][\w.]*\s+){0,3}(?:[a-z]+\s+){0,2}(?:spokesperson|spokesman|spokeswoman|"
    r"official|diplomat|source|statement|ministry|analyst|economist))"
)
_ANONYMOUS_SPEAKER = re.compile(rf"\b{_ANONYMOUS}\s*$")
_ANONYMOUS_AFTER = re.compile(rf"^{_ANONYMOUS}\b")
# Opening mark -> the marks that may close it.
_QUOTE_PAIRS = {"“": "”", "«": "»", "„": "“”", "‘": "’", '"': '"', "「": "」", "『": "』", "‹": "›"}
_OPENING_MARK = re.compile("[" + "".join(_QUOTE_PAIRS) + "]")
_CLOSING_MARKS = {mark: re.compile("[" + re.escape(closers) + "]") for mark, closers in _QUOTE_PAIRS.items()}


class QuoteSpan(NamedTuple):
    """A closed quotation: positions of its opening and closing marks, and the words between."""

    open: int
    close: int
    inner: str


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
        name = name_from_run(run_at_start(said_x.group("rest")))
        if name:
            return name
        # '"...," said survivor Grace Wanjiru': a role in lower case, then the full name.
        described = _DESCRIBED.match(said_x.group("rest"))
        run = run_at_start(said_x.group("rest")[described.end() :]) if described else None
        if run and len(run) >= 2 and (name := name_from_run(run)):
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
        name = name_from_run(run_at_start(text[according[-1].end() : end]))
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


# "a spokesman for Norvik,": the name after "for" or "of" is whom the speaker works for.
_OF_SOMETHING = re.compile(r"\b(?:for|of|at)\s+(?:the\s+)?$")
_DESCRIBED = re.compile(r"(?:(?:the|a|an)\s+)?(?:[a-z][\w-]*\s+){1,3}(?=[A-ZÀ-Þ])")


def _name_before(head: str) -> str | None:
    """The name that ends `head`, the text before a speech verb.

    'The Eurasia Group's president, Ian Bremmer,' names Ian Bremmer; 'Ian Bremmer,
    president of the Eurasia Group,' names him too, once the apposition is set aside.
    """
    bare = _TIME_WORDS_END.sub("", head).rstrip()
    if bare.endswith(","):
        run = run_at_end(bare[:-1])
        if (
            run
            and not _OF_SOMETHING.search(bare[: bare[:-1].rstrip().rfind(run[0])])
            and run[-1].casefold() not in ORG_SUFFIX_WORDS
            and " ".join(run).casefold() not in KNOWN_ORG_NAMES
        ):
            name = name_from_run(run)
            if name:
                return name
    return name_from_run(run_at_end(_strip_apposition(head)))


def _strip_apposition(head: str) -> str:
    """'Ian Bremmer, president of the Eurasia Group, on Monday' -> 'Ian Bremmer'."""
    head = _TIME_WORDS_END.sub("", head)
    head = _APPOSITION_END.sub("", head)
    return _OF_ORG_END.sub("", head)


def _resolve_pronoun(head: str, earlier: list[str]) -> str | None:
    """'he said' names the last person named before it: in the sentence, else in the two before."""
    for chunk in (head, *reversed(earlier)):
        people = [m.name for m in mentions_in(chunk) if m.kind == EntityKind.person]
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
    """The family name of the first person the sentence has speak ('Ian Bremmer ... stated' -> 'Bremmer').

    A speech verb inside the quotation is the speaker's words ('"Voters asked for change,"
    Varga said' is Varga's), not who speaks.
    """
    quoted = quotation_spans(sentence)
    for verb in _SPEECH.finditer(sentence):
        if any(q.open <= verb.start() < q.close for q in quoted):
            continue
        name = _name_before(sentence[: verb.start()])
        if name:
            return name.split()[-1]
    return None


REPORTED_WORDS = 4
"""Words after the speech verb that make a sentence a report of what was said, not a source's tag."""


def reported_speaker(sentence: str) -> tuple[str, str] | None:
    """Whom the sentence reports in its own words, if it opens on the speaker: family name, and what was said.

    "Jonas Albrecht said the company could not match the demand" reports what Albrecht
    said; "Crews had contained 15 percent of the fire, Velik said" gives a fact and its
    source, and a quotation gives the speaker's own words: neither is a report.
    """
    if any(mark in sentence for mark in '"“”«»'):
        return None
    for verb in _SPEECH.finditer(sentence):
        name = _name_before(sentence[: verb.start()])
        if name:
            said = sentence[verb.end() :]
            return (name.split()[-1], said) if len(_WORDS.findall(said)) >= REPORTED_WORDS else None
    return None
