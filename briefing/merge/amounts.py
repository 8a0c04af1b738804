"""Amounts: whether two readings give one value, however each outlet rounds or bounds it.

"Nearly 40,000 households" and 39,200 homes, "more than 170 people" and 176, "about
1,400 jobs" and 1,430 are one value each; 2,400 and 2,000 are two. Pure functions.
"""

from __future__ import annotations

import re

from briefing.merge.quantities import Reading, close

__all__ = ["BOUND_SHARE", "ROUNDING_SHARE", "is_bound", "same_amount"]


ROUNDING_SHARE = 0.05
"""How far apart, as a share of the larger, a precise value and a round one may be and still be one report."""


def same_amount(a: Reading, b: Reading) -> bool:
    """One value, or a round figure and a precise one it rounds ("nearly 40,000" households, 39,200 homes).

    A round figure is given at the precision of its last non-zero digit; the precise one
    must round to it there and lie within `ROUNDING_SHARE` of it: 39,200 is 40,000 to the
    nearest ten thousand, 2% away, while 2,400 is 2,000 to the nearest thousand but 17% away.
    """
    if close(a.amount.low, b.amount.low) and close(a.amount.high, b.amount.high):
        return True
    if _within_bound(a, b) or _within_bound(b, a):
        return True
    x, y = a.amount.low, b.amount.low
    if a.amount.high != x or b.amount.high != y or abs(x - y) > ROUNDING_SHARE * max(abs(x), abs(y)):
        return False
    return _rounds_to(x, y) or _rounds_to(y, x)


BOUND_SHARE = 0.15
"""How far past a bound a value may lie and still be what the bound says: "more than 170" is 176, not 250."""
_ABOVE = re.compile(r"\b(?:more than|over|at least|upwards of|in excess of)$", re.IGNORECASE)
_ABOUT = re.compile(r"\b(?:about|around|some|roughly|approximately|close to|an estimated)$", re.IGNORECASE)
_BELOW = re.compile(
    r"\b(?:fewer than|less than|under|nearly|almost|up to|at most|just under)$", re.IGNORECASE
)


def _bound(reading: Reading) -> str | None:
    """What the words before a figure make it: "above" or "below" a bound, "about" it, or exact (None)."""
    before = " ".join(reading.before[-3:])
    if _ABOVE.search(before):
        return "above"
    if _BELOW.search(before):
        return "below"
    return "about" if _ABOUT.search(before) else None


def is_bound(reading: Reading) -> bool:
    """Whether a reading gives a bound ("more than 170", "nearly 200"), not an exact figure."""
    return _bound(reading) in ("above", "below")


def _within_bound(bound: Reading, value: Reading) -> bool:
    """Whether `bound` gives a bound ("more than 170", "nearly 200") that `value`'s exact figure keeps.

    "More than 170 people were rescued" and "176 people had been rescued" are one report,
    not two; so are "about 1,400 jobs" and 1,430: a round figure given as approximate, which
    the exact one rounds to within `ROUNDING_SHARE` ("some 61.9 per cent" is exact).
    """
    x, y = bound.amount.low, value.amount.low
    if bound.amount.high != x or value.amount.high != y or not x:
        return False
    kind = _bound(bound)
    if kind == "above":
        return x < y <= x * (1 + BOUND_SHARE)
    if kind == "below":
        return x * (1 - BOUND_SHARE) <= y < x
    if kind == "about" and x == int(x) and int(x) % 10 == 0:
        # A round figure given as approximate: the exact one rounds to it, within ROUNDING_SHARE.
        step = _step(x)
        return round(y / step) * step == x and abs(y - x) <= ROUNDING_SHARE * max(abs(x), abs(y))
    return False


def _rounds_to(value: float, rounded: float) -> bool:
    """Whether `rounded`, a whole round figure of four digits or more, is `value` given at its precision."""
    if rounded < 1000 or rounded != int(rounded) or value == rounded:
        return False
    step = _step(rounded)
    if step < 1000:
        return False
    return round(value / step) * step == rounded and abs(value - rounded) <= ROUNDING_SHARE * max(
        abs(value), abs(rounded)
    )


def _step(rounded: float) -> int:
    """The precision a whole round figure is given at: 10,000 for 40,000, 100 for 1,400."""
    digits = str(int(abs(rounded)))
    return 10 ** (len(digits) - len(digits.rstrip("0")))
