"""When a figure holds: the period ('in May', 'Q1 2025') and the comparison ('year-on-year') it is given.

"Exports fell 34.5%" is only comparable with another source's figure for the same
month and basis, so `briefing.merge.numbers` attaches to each figure the nearest of
these markers in its own clause. Pure functions of the sentence.
"""

from __future__ import annotations

import re

__all__ = ["BASIS_MARKERS", "LOOKBACK", "MONTH", "TIME_MARKERS", "markers", "nearest"]

MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" + (
    r"Jan\.?|Feb\.?|Mar\.|Apr\.?|Jun\.|Jul\.|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
LOOKBACK = 40
"""How far before a number its context is read ('between', 'from', 'by', a month, a name)."""

TIME_MARKERS = tuple(
    re.compile(p, 0 if i in (2, 4) else re.IGNORECASE)
    for i, p in enumerate(
        (
            r"\b(?:in|for|during|over|of|through|throughout|by) (?:the )?(?P<p>(?:first|second|third|fourth|"
            r"final|last) (?:quarter|half)(?: of (?:[0-9]{4}|the year|this year|last year))?)",
            r"\b(?P<p>Q[1-4](?: [0-9]{4})?|H[12](?: [0-9]{4})?)\b",
            # Case-sensitive: "May" the month, not "may" the verb; a day number after it makes a date.
            rf"\b(?:[Ii]n|[Ff]or|[Dd]uring|[Oo]ver|[Oo]f|[Tt]hrough|[Tt]hroughout|[Bb]y|[Ll]ast|[Tt]his) "
            rf"(?P<p>{MONTH}(?: [0-9]{{4}})?)(?![ ]?[0-9])",
            rf"\b(?P<p>{MONTH} [0-9]{{4}})\b",
            # "China's May exports", "May was the worst month": the month names the period it qualifies.
            rf"(?:^|'s |’s )(?P<p>{MONTH})(?= (?:exports|imports|data|figures|sales|output|inflation|"
            r"trade|was|saw|marked|brought)\b)",
            r"\b(?:in|for|during|over|through|throughout) (?P<p>(?:19|20)[0-9]{2})\b(?![-–][0-9])",
            r"\b(?P<p>(?:last|this|next|the previous|the past) (?:year|month|quarter|week|summer|"
            r"winter|spring|autumn|fall))\b",
        )
    )
)
_SINCE_BEFORE = re.compile(r"\b(?:since|from|until|till)\b[^,;:()]*$", re.IGNORECASE)
_HARD_BREAK = re.compile(r"[;()]|\s[-–—]\s|—")
BASIS_MARKERS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?P<p>year[- ]on[- ]year|year[- ]over[- ]year|y/y|yoy|on an annual basis|"
        r"from a year (?:earlier|ago|before)|(?:than|compared (?:to|with)) a year (?:earlier|ago|before)|"
        r"compared (?:to|with) the same (?:period|month|quarter) (?:of |a |last )*year(?: earlier| ago)?)",
        rf"\b(?P<p>month[- ]on[- ]month|month[- ]over[- ]month|m/m|from the previous month|from a month "
        rf"(?:earlier|ago)|compared (?:to|with) (?:the previous month|{MONTH}(?: [0-9]{{4}})?)|"
        rf"from {MONTH}\b(?! to\b))",
        r"\b(?P<p>quarter[- ]on[- ]quarter|quarter[- ]over[- ]quarter|q/q)",
        r"\b(?P<p>week[- ]on[- ]week|week[- ]over[- ]week)",
    )
)


def markers(text: str, patterns: tuple[re.Pattern[str], ...]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, phrase) markers; 'since February 2020' is a reference, not a period."""
    spans: list[tuple[int, int, str]] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            start, end = m.span("p")
            if _SINCE_BEFORE.search(text, max(0, start - LOOKBACK), start):
                continue
            if not any(s <= start < e or start <= s < end for s, e, _ in spans):
                spans.append((start, end, m.group("p")))
    return sorted(spans)


_FROM_LEVEL = re.compile(r"\bfrom (?:about |around |roughly |nearly |some )?[$€£¥]?[0-9]")


def nearest(text: str, start: int, end: int, markers: list[tuple[int, int, str]]) -> str | None:
    """The marker closest to the figure at `start:end` in its own clause ('fell 5% in May').

    On a tie the marker after the figure wins. A marker across a semicolon, bracket or
    dash belongs to another clause and is never used; one across a comma is used only
    when nothing nearer the figure is. A marker after the level a figure changed from
    ("up from 58.3 percent in 2021") is that level's time, not the figure's.
    """
    best: tuple[tuple[int, int, int], str] | None = None
    for marker_start, marker_end, label in markers:
        if marker_start >= end:
            between, after = text[end:marker_start], 0
            if _FROM_LEVEL.search(between):
                continue  # "61.9 percent, up from 58.3 percent in 2021": the earlier level's time
        elif marker_end <= start:
            between, after = text[marker_end:start], 1
        else:
            continue
        if _HARD_BREAK.search(between):
            continue
        key = (between.count(","), len(between), after)
        if best is None or key < best[0]:
            best = (key, label)
    return best[1] if best else None
