"""Days: which day a count is given for, and the order of the days a story's reports name.

A report names its days as weekdays ("on Monday") or dates ("March 4", a publication
date); a count's day is the one it is given for, not the day something began ("since it
broke out on Monday") or an earlier value's ("up from 38 on Tuesday"). Pure functions.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from briefing.merge.periods import MONTH

__all__ = ["day_of_count", "day_of_report", "in_time_order"]

_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
# The day a count is given for: "on Monday", "Friday evening", "by Monday"; not "Friday's quake".
_DAY = re.compile(rf"\b(?P<d>{_WEEKDAY}|{MONTH} [0-9]{{1,2}}|[0-9]{{1,2}} {MONTH})\b(?!['’]s)")
# Words before a day that make it when something began or an earlier value's day, not the day a
# count is given for: "since it broke out on Monday", "which started on Monday", "up from 38 on Tuesday",
# "five more than it held when counting paused on Monday".
_BEGAN_BEFORE = re.compile(
    r"\b(?:since|started|starting|began|begun|broke out|erupted|(?:up|down) from|from [0-9][0-9,.]*)\b"
    r"[^,.;:]{0,30}$"
    r"|\b(?:more|fewer|less|higher|lower) than\b[^,.;:]{0,40}$",
    re.IGNORECASE,
)


def day_of_report(text: str, published: str | None) -> str | None:
    """The day an article reports on: the first day its text names, else its date.

    A day in a possessive ("Friday's quake") or naming when something began is not it.
    """
    day = day_of_count(text[:600])
    return day if day is not None else published


def day_of_count(text: str) -> str | None:
    """The first day the text names that is not when something began (see `_BEGAN_BEFORE`)."""
    days = (m for m in _DAY.finditer(text) if not _BEGAN_BEFORE.search(text[: m.start()]))
    return next((m.group("d") for m in days), None)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def in_time_order(whens: Sequence[str]) -> dict[str, int] | None:
    """Each day's place in time, when the days are all weekdays or all dates; else None.

    Weekdays are read as the days of one short span: Saturday, Sunday, Monday is the
    order of a story that ran over a weekend, the rotation of the week that spans least.
    """
    folded = [w.casefold() for w in whens]
    if all(w in _WEEKDAYS for w in folded):
        index = [_WEEKDAYS.index(w) for w in folded]
        start = min(range(7), key=lambda s: (max((i - s) % 7 for i in index), s))
        return {w: (i - start) % 7 for w, i in zip(whens, index, strict=True)}
    dates = [_date(w) for w in whens]
    if all(d is not None for d in dates):
        return {w: d.toordinal() for w, d in zip(whens, dates, strict=True) if d is not None}
    return None


def _date(when: str) -> datetime.date | None:
    """An ISO date ("2025-01-15", a publication date) or "March 12" / "12 March" (in a leap year)."""
    iso = _ISO_DAY.match(when)
    if iso:
        try:
            return datetime.date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    for form in ("%B %d %Y", "%d %B %Y", "%b %d %Y", "%d %b %Y"):
        try:
            return datetime.datetime.strptime(
                f"{when.replace('.', '').replace('Sept ', 'Sep ')} 2024", form
            ).date()
        except ValueError:
            continue
    return None
