"""Cleaning: raw article text -> its paragraphs, without page debris, repeats or broken lines.

Real news text arrives messy: web debris ("Related Articles", "Back to top"),
paragraphs repeated by syndication, lines broken mid-sentence, Markdown marks.
Cleaning never changes a sentence's words, because the evidence spans later checked
against the article must still be found in it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from briefing.ingest.html import drop_html_comments
from briefing.text import collapse_spaces, comparable, strip_invisible

__all__ = ["DEBRIS_LINES", "Cleaned", "clean_text"]


# Whole lines that are page furniture, not article text (compared case-insensitively,
# ignoring punctuation). Kept as data so an editor can see and extend the list.
DEBRIS_LINES = frozenset(
    {
        "related articles",
        "related",
        "related stories",
        "read more",
        "read also",
        "see also",
        "more stories",
        "back to top",
        "back to top button",
        "share this article",
        "share",
        "share on facebook",
        "share on twitter",
        "tweet",
        "advertisement",
        "sponsored",
        "skip to content",
        "skip to main content",
        "print",
        "comments",
        "leave a comment",
        "subscribe",
        "sign up",
        "newsletter",
        "cookie settings",
        "accept cookies",
    }
)
_DEBRIS_PREFIXES = (
    "follow us on",
    "sign up for",
    "subscribe to",
    "click here",
    "all rights reserved",
    "copyright ©",
    "©",
)
# A republishing credit: "Lakeside Herald publishes this report under an agreement with Northgate
# Wire.", "This article first appeared in Nordic Wire.", "Republished with permission from X.": not
# news, and it names the outlet the text is from.
_CREDIT = re.compile(
    r"^(?:[\w&.'’ -]{2,60}\s+(?:publishes|carries|republishes|runs)\s+this\s+(?:report|article|story)\s+"
    r"(?:under an? (?:agreement|arrangement|partnership)|in (?:partnership|association))\s+with"
    r"|this\s+(?:report|article|story)\s+(?:was\s+)?(?:first|originally)\s+(?:appeared|published)\s+(?:in|on|by)"
    r"|(?:first|originally)\s+published\s+(?:in|on|by)"
    r"|(?:republished|reprinted|reproduced)\s+with\s+(?:the\s+)?permission\s+(?:of|from))"
    r"\s+(?:the\s+)?(?P<origin>[A-ZÀ-Þ][\w&.'’ -]{1,50}?)\.?$",
    re.IGNORECASE,
)
# A publication date written on a line of its own near the top: "Published 2025-06-11".
_PUBLISHED_LINE = re.compile(
    r"^(?:published|posted|date|dated)\s*:?\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[ T][\d:]+(?:\s*\w+)?)?\.?$",
    re.IGNORECASE,
)
_PUBLISHED_PARAGRAPHS = 5
"""Paragraphs a publication date line is looked for in."""
_SOURCE_LINE = re.compile(r"^(?:source|sources|via)\s*:\s*(?P<name>.{2,60}?)\.?$", re.IGNORECASE)
# "By Jane Doe", "By Jane Doe, Nordic Wire", "By Jane Doe | Nordic Wire": a byline, which may name the outlet.
_BYLINE = re.compile(
    r"^(?:By|BY|by)\s+(?P<author>[A-ZÀ-Þ][\w.'’-]*(?:\s+[A-ZÀ-Þa-z][\w.'’-]*){0,3})"
    r"(?:\s*(?:,|\||/|\bfor\b)\s*(?P<name>[A-ZÀ-Þ][\w&.'’ -]{1,40}))?$"
)
# Words that end a byline without naming an outlet: "By Jane Doe, Staff Writer".
_BYLINE_NOT_OUTLET = frozenset(
    {"staff", "writer", "reporter", "correspondent", "editor", "contributor", "columnist", "and", "in"}
)
_DATELINE_PARAGRAPHS = 5
"""Paragraphs a dateline is looked for in: a section label, title and standfirst may come first."""
# A wire dateline that names the outlet: "LONDON (Nordic Wire) - ", or "Nordic-The talks ..."
# (an outlet's name glued to the first word by a dash, as some sites print it).
_DATELINE = re.compile(
    r"^(?:[A-Z][\w .,'’-]{0,40}\s)?\((?P<paren>[A-Z][\w&.'’ -]{1,40})\)\s*[-–—]+\s"
    r"|^(?P<glued>[A-Z][a-z][\w&'’]{1,30})[-–—](?=(?:A|An|The)\s)"
)
_TERMINAL = tuple(".!?:;\"'”’)]…")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


@dataclass(frozen=True)
class Cleaned:
    """An article's paragraphs after cleaning, the outlet and author it names, and what was removed."""

    paragraphs: list[str]
    source: str | None = None
    author: str | None = None
    byline_source: str | None = None
    credit: str | None = None
    """The outlet a republishing credit names as the text's origin."""
    published: str | None = None
    """The date a line near the top gives ("Published 2025-06-11"), YYYY-MM-DD."""
    notes: list[str] = field(default_factory=list)


def clean_text(text: str) -> Cleaned:
    """Normalise `text` (NFC, invisible characters, line ends) and split it into clean paragraphs.

    A "Source: X" line is taken out and kept as `source`; so is a byline ("By Jane Doe,
    Nordic Wire"), as `author` and `byline_source`. Failing a byline that names one, a
    wire dateline's outlet ("LONDON (Nordic Wire) -") is the `byline_source`; the
    dateline stays in the text, which evidence is checked against. Debris lines and repeated paragraphs
    are dropped, each kind counted in one note. No paragraph left means nothing in the
    text was an article's.
    """
    text = strip_invisible(unicodedata.normalize("NFC", text)).replace("\r\n", "\n").replace("\r", "\n")
    text = drop_html_comments(text)
    paragraphs = _paragraphs(collapse_spaces(text))
    paragraphs = [_strip_markdown(p) for p in paragraphs]

    notes: list[str] = []
    source: str | None = None
    byline: tuple[str, str | None] | None = None
    kept: list[str] = []
    debris = 0
    credit: str | None = None
    for paragraph in paragraphs:
        match = _SOURCE_LINE.match(paragraph)
        if match:
            source = match.group("name").strip()
            continue
        if credit is None and (found_credit := _CREDIT.match(paragraph)):
            credit = found_credit.group("origin").strip()
            notes.append(f"removed the credit line naming {credit} as the report's origin")
            continue
        if byline is None and (found := _byline(paragraph)):
            byline = found
            continue
        if _is_debris(paragraph):
            debris += 1
            continue
        kept.append(paragraph)
    while kept and _is_debris(kept[-1]):
        kept.pop()
    if debris:
        notes.append(f"removed {debris} line(s) of web debris")
    kept, repeats = _drop_repeats(kept)
    if repeats:
        notes.append(f"dropped {repeats} repeated paragraph(s)")
    author = byline[0] if byline else None
    byline_source = (byline[1] if byline else None) or _dateline_outlet(kept)
    return Cleaned(kept, source, author, byline_source, credit, _published(kept), notes)


def _published(paragraphs: list[str]) -> str | None:
    """The publication date a line of its own near the top gives; the line stays in the text."""
    for paragraph in paragraphs[:_PUBLISHED_PARAGRAPHS]:
        if m := _PUBLISHED_LINE.match(paragraph.strip()):
            return m.group("date")
    return None


def _byline(paragraph: str) -> tuple[str, str | None] | None:
    """(author, outlet or None) of a byline line, else None."""
    match = _BYLINE.match(paragraph)
    if not match:
        return None
    outlet = (match.group("name") or "").strip()
    if _BYLINE_NOT_OUTLET & set(outlet.casefold().split()):
        outlet = ""
    return match.group("author").strip(), outlet or None


def _dateline_outlet(paragraphs: list[str]) -> str | None:
    """The outlet a wire dateline names at the start of one of the first paragraphs, if any."""
    for paragraph in paragraphs[:_DATELINE_PARAGRAPHS]:
        match = _DATELINE.match(paragraph)
        if match:
            return (match.group("paren") or match.group("glued")).strip()
    return None


def _paragraphs(text: str) -> list[str]:
    """Split into paragraphs, re-joining lines broken in the middle of a sentence.

    Blank lines always separate paragraphs. Inside a block, a hard-wrapped paragraph
    (several long lines) is joined whole; otherwise each line is its own paragraph
    unless it visibly continues on the next one (the next line starts in lower case,
    or a capitalised name is split across the break). Whether the paragraph so far
    reads as a title is counted line by line, so a long run of joined lines costs
    linear time.
    """
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if _hard_wrapped(lines):
            out.append(" ".join(lines))
            continue
        current, words = [lines[0]], _Words(lines[0])
        for line in lines[1:]:
            if _continues(current[-1], words, line):
                current.append(line)
                words.add(line)
            else:
                out.append(" ".join(current))
                current, words = [line], _Words(line)
        out.append(" ".join(current))
    return out


def _hard_wrapped(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    body = lines[:-1]
    return sum(55 <= len(line) <= 100 for line in body) >= 0.8 * len(body) and not all(
        line.endswith(_TERMINAL) for line in body
    )


class _Words:
    """Word counts of a paragraph being joined from lines: enough to tell whether it reads as a title."""

    def __init__(self, line: str) -> None:
        self.total = self.lettered = self.capitalised = 0
        self.add(line)

    def add(self, line: str) -> None:
        for word in line.split():
            self.total += 1
            if word[:1].isalpha():
                self.lettered += 1
                self.capitalised += word[:1].isupper()

    def title_like(self) -> bool:
        """Three words or fewer, or mostly capitalised, counting only words that start with a letter."""
        return self.lettered <= 3 or self.capitalised / self.lettered >= 0.6


def _continues(last_line: str, words: _Words, following: str) -> bool:
    """Whether `following` continues the paragraph that ends with `last_line` and has `words`."""
    if last_line.endswith(_TERMINAL) or words.title_like():
        return False
    if following[:1].islower():
        return True
    last = last_line.split()[-1]
    return last[:1].isupper() and following[:1].isupper() and words.total >= 4


def _strip_markdown(paragraph: str) -> str:
    paragraph = _MD_HEADING.sub("", paragraph)
    paragraph = _unlink_markdown(paragraph)
    return _MD_EMPHASIS.sub(r"\2", paragraph)


def _unlink_markdown(text: str) -> str:
    r"""Replace Markdown links and images, `[text](url)` and `![alt](url)`, by their text.

    The same as `re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)`, but in linear time:
    the regular expression rescans to the end of the text from every `[` that opens no
    link, which took minutes on a page of brackets.
    """
    parts: list[str] = []
    done = search = 0
    while (opening := text.find("[", search)) >= 0:
        closing = text.find("]", opening + 1)
        if closing < 0:
            break
        if not text.startswith("(", closing + 1):
            search = closing + 1  # every `[` before `closing` meets the same `]` first
            continue
        end = text.find(")", closing + 2)
        if end < 0:
            break
        start = opening - 1 if opening > done and text[opening - 1] == "!" else opening
        parts += (text[done:start], text[opening + 1 : closing])
        done = search = end + 1
    parts.append(text[done:])
    return "".join(parts)


def _is_debris(paragraph: str) -> bool:
    key = re.sub(r"[^\w\s©]", "", paragraph).strip().casefold()
    return key in DEBRIS_LINES or any(key.startswith(prefix) for prefix in _DEBRIS_PREFIXES)


_TRUNCATED_COPY = 40
"""Characters a paragraph needs before it counts as a truncated copy of a longer one."""


def _drop_repeats(paragraphs: list[str]) -> tuple[list[str], int]:
    """Drop a paragraph seen before, or a truncated copy of one (a prefix of an earlier paragraph).

    Whether a paragraph goes depends only on the paragraphs before it, kept or not: what
    repeats a dropped paragraph repeats the one it was dropped for. So all are decided
    at once, in near-linear time, instead of comparing each paragraph with every earlier
    one (which took minutes on a few megabytes of short paragraphs).
    """
    keys = [comparable(p) for p in paragraphs]
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    longer = _first_longer(first)
    kept = [
        paragraph
        for index, (paragraph, key) in enumerate(zip(paragraphs, keys, strict=True))
        if first[key] == index and not (len(key) >= _TRUNCATED_COPY and longer[key] < index)
    ]
    return kept, len(paragraphs) - len(kept)


def _first_longer(first: dict[str, int]) -> dict[str, int]:
    """For each key, the earliest position of a longer key that starts with it (past the last when none).

    In sorted order the keys that start with a key follow it, so one pass with a stack
    of the keys that are prefixes of the current one finds every key's extensions:
    a key is popped when the pass leaves its extensions, handing their earliest
    position to the key below it.
    """
    none = max(first.values(), default=0) + 1
    longer: dict[str, int] = {}
    stack: list[tuple[str, int]] = []  # (key, earliest position among its longer keys so far)

    def pop() -> None:
        key, earliest = stack.pop()
        longer[key] = earliest
        if stack:
            below, below_earliest = stack[-1]
            stack[-1] = (below, min(below_earliest, earliest, first[key]))

    for key in sorted(first):
        while stack and not key.startswith(stack[-1][0]):
            pop()
        stack.append((key, none))
    while stack:
        pop()
    return longer
