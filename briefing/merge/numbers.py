"""Numbers in news text: find them as written, read their value, compare them across sources.

Sources write the same quantity in many ways ("34.5%", "34.5 percent", "$28.8 billion",
"28.8 billion dollars") and different quantities in similar ways ("June 9", "2025",
"10:00", "COVID-19" are not figures). The merge must tell a real disagreement (34.5%
against 34-35%) from a spelling difference, so figures are read into a `FigureValue`
on a base scale with a canonical unit before they are compared.

This module is the one API through which extraction, merge, grounding, verify and eval
read numbers; it finds figures in sentences and compares them, and re-exports what the
other stages need from the modules it is built on:

- `briefing.merge.numerals`: digits in both groupings ("1,234.5", "1.234,5"), scale
  words in every language read ("mln", "crore", "Mrd."), ranges, and when one written
  number supports another;
- `briefing.merge.units`: what a number counts (currencies, percent words, units,
  spelled-out numbers), word lists an editor can extend without reading the regexes;
- `briefing.merge.periods`: the period and comparison basis a sentence gives a figure.

Everything here is a pure function of its input strings.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from briefing.contracts import Figure
from briefing.merge.numerals import (
    DECIMAL_COMMA_LANGUAGES,
    FIGURE_NUMBER,
    LETTERS,
    SCALE_VALUES,
    SCALE_WORDS,
    SCALES,
    WrittenNumber,
    between_start,
    numbers_in,
    range_after,
    read_digits,
    scale_after,
    unstated_numbers,
)
from briefing.merge.periods import BASIS_MARKERS, LOOKBACK, MONTH, TIME_MARKERS, markers, nearest
from briefing.merge.units import (
    ATTACHED_UNITS,
    CURRENCY_PREFIXES,
    CURRENCY_WORD_UNITS,
    CURRENCY_WORDS,
    FUNCTION_WORDS_BEFORE,
    KNOWN_UNITS,
    NOT_UNITS,
    PER_UNITS,
    PERCENT_WORDS,
    TIME_UNITS,
    WORD_NUMBER_PATTERN,
    WORD_NUMBER_UNITS,
    WORD_NUMBERS,
    canonical_unit,
    word_number,
)

__all__ = [
    "DECIMAL_COMMA_LANGUAGES",
    "FIGURE_PLACEHOLDER",
    "SCALES",
    "SCALE_VALUES",
    "SCALE_WORDS",
    "FigureValue",
    "WrittenNumber",
    "canonical_unit",
    "conflicting",
    "find_figures",
    "is_statistic",
    "mask_figures",
    "numbers_in",
    "parse_value",
    "read_digits",
    "same_value",
    "unstated_numbers",
]

FIGURE_PLACEHOLDER = "#"
"""What `mask_figures` puts in place of a number; not a word, so similarity ignores it."""


_ANY_NUM = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_ATTACHED_WORD = re.compile(rf"[{LETTERS}]+")
_PERCENT_SIGN = re.compile(r" ?%")
_PERCENT_WORD = re.compile(r" (" + "|".join(map(re.escape, PERCENT_WORDS)) + r")\b", re.IGNORECASE)
_CURRENCY_WORD = re.compile(r" (" + "|".join(map(re.escape, CURRENCY_WORDS)) + r")\b(?! of\b)", re.IGNORECASE)
_PER_UNIT = re.compile(r"(?: ?/ ?| (?:a|an|per) )([A-Za-z]+)\b", re.IGNORECASE)
_HYPHEN_TIME = re.compile(r"-(" + "|".join(TIME_UNITS) + r")\b(?!-old)", re.IGNORECASE)
_NEXT_WORD = re.compile(r" ([a-z][a-z'’-]*[a-z]|[a-z])\b")
_TIME_AFTER = re.compile(
    r"(?: ?(?:a\.m\.|p\.m\.|am|pm|GMT|BST|UTC|CET|EST|EDT|ET|hrs)\b|:[0-9]|/[0-9]|h[0-9]| o'clock)",
    re.IGNORECASE,
)
_MONTH_BEFORE = re.compile(rf"\b{MONTH} ?$")
_MONTH_AFTER = re.compile(rf"^(?:st|nd|rd|th)? (?:of )?{MONTH}(?![A-Za-z])")
_NUMBER_SIGN_BEFORE = re.compile(r"(?:\bNo\.|\bNos?\.|#|\bnumber|\bNumber) ?$")
_WORD_BEFORE = re.compile(rf"([{LETTERS}][{LETTERS}&'’.]*)[ \u00a0]$")
_WORD_NUMBER = re.compile(
    r"("
    + WORD_NUMBER_PATTERN
    + r")(-| )("
    + "|".join(sorted(WORD_NUMBER_UNITS, key=len, reverse=True))
    + r")\b(?!-old)",
    re.IGNORECASE,
)

_PC = re.compile(r"pc\b")
_PLAIN_COUNT_UNITS = KNOWN_UNITS - set(TIME_UNITS) - set(TIME_UNITS.values())
_CHANGE_BEFORE = re.compile(
    r"\bby (?:about |around |nearly |almost |some |more than |over )?$", re.IGNORECASE
)


@dataclass(frozen=True)
class FigureValue:
    """A figure's value on a base scale ('$28.8 billion' -> 28.8e9 USD); a point has low == high."""

    low: float
    high: float
    unit: str

    @property
    def is_range(self) -> bool:
        return self.low != self.high


@dataclass(frozen=True)
class _Found:
    """One figure located in a text: its span, its value and how to describe it."""

    start: int
    end: int
    low: Decimal
    high: Decimal
    unit: str
    kind: str  # percent, money, measure, count, duration
    change: bool  # a change ("fell 12.7%", "down by 300 jobs") rather than a level


# ---------------------------------------------------------------------------
# finding figures
# ---------------------------------------------------------------------------


def find_figures(sentence: str) -> list[Figure]:
    """Every figure a sentence states, in reading order, each as written.

    Percentages, money, counts and measures with their unit, and ranges ('34-35%',
    'between 34 and 35 percent'). Not figures: dates and the day in them, plain years,
    clock times, ordinals, numbers that are part of a name ('COVID-19', 'S&P 500',
    'Q1') and bare numbers with nothing to say what they count. Spelled-out numbers
    count only before a common unit ('two days', 'two-day').

    `Figure.value` is always a substring of `sentence`, so a figure can be checked
    against the evidence it came from. `Figure.period` is the time or comparison the
    sentence gives for it ('May', 'May, year-on-year', 'May, compared to April').
    """
    found = _scan(sentence, lenient=False)
    if not found:
        return []
    time_markers = markers(sentence, TIME_MARKERS)
    basis_markers = markers(sentence, BASIS_MARKERS)
    figures: list[Figure] = []
    for f in found:
        period_parts: list[str] = []
        when = nearest(sentence, f.start, f.end, time_markers)
        if when:
            period_parts.append(when)
        if f.change or f.kind == "percent":
            basis = nearest(sentence, f.start, f.end, basis_markers)
            if basis and basis.casefold() not in {p.casefold() for p in period_parts}:
                period_parts.append(basis)
        figures.append(
            Figure(
                value=sentence[f.start : f.end],
                unit=f.unit,
                period=", ".join(period_parts) or None,
            )
        )
    return figures


def is_statistic(figure: Figure) -> bool:
    """Whether a figure is a statistic (share, money, measured amount), not a duration or headcount word.

    The extractive backend files a sentence under "The numbers" only for statistics:
    "talks will last two days" is news about a schedule, not a number to compare.
    """
    unit = canonical_unit(figure.unit)
    if unit in TIME_UNITS.values():
        return False
    value = figure.value.strip()
    return bool(_ANY_NUM.search(value))


def _scan(text: str, *, lenient: bool) -> list[_Found]:
    """Locate figures in `text`; `lenient` also accepts bare numbers and years (for parsing a value)."""
    out: list[_Found] = []
    consumed_to = -1
    for m in FIGURE_NUMBER.finditer(text):
        if m.start() < consumed_to:
            continue
        found = _figure_at(text, m, lenient=lenient)
        if found is not None:
            out.append(found)
            consumed_to = found.end
    for m in _WORD_NUMBER.finditer(text):
        if any(f.start <= m.start() < f.end for f in out):
            continue
        unit_word = m.group(3).casefold()
        hyphen = m.group(2) == "-"
        # "two-day" and "two days" are English; "two-days" and "two day" are not figures.
        if hyphen != (unit_word in TIME_UNITS):
            continue
        unit = _count_unit(unit_word)
        value = Decimal(word_number(m.group(1)))
        kind = "duration" if unit in TIME_UNITS.values() else "count"
        out.append(_Found(m.start(), m.end(), value, value, unit, kind, change=False))
    if lenient and not out:
        word = text.strip().casefold()
        if word in WORD_NUMBERS:
            value = Decimal(WORD_NUMBERS[word])
            start = text.casefold().index(word)
            out.append(_Found(start, start + len(word), value, value, "", "count", change=False))
    return sorted(out, key=lambda f: f.start)


def _currency_before(text: str, start: int) -> tuple[int, str] | None:
    """The currency written just before position `start` ('$', 'US$ ', 'EUR '), as (its start, code)."""
    head = text[max(0, start - 6) : start]
    ending = _PREFIXES_ENDING.get(head[-2:], ()), _PREFIXES_ENDING.get(head[-1:], ())
    for n in sorted({*ending[0], *ending[1]}):
        prefix, spaced, code = _PREFIX_SPELLINGS[n]
        if head.endswith(spaced) and _prefix_fits(prefix, spaced, text, start - len(spaced)):
            return start - len(spaced), code
    return None


def _prefix_fits(prefix: str, spaced: str, text: str, begin: int) -> bool:
    """Whether a currency `prefix`, written as `spaced` at `begin`, stands as one.

    Not a prefix ending in a letter that another letter comes before ("US$" inside "BUS$"),
    and a word prefix ("EUR") only with a space before the number.
    """
    if prefix[-1].isalpha() and begin > 0 and text[begin - 1].isalpha():
        return False
    return not (prefix.isalpha() and not spaced.endswith((" ", "\u00a0")))


# Each currency prefix as written before a number, in `CURRENCY_PREFIXES` order (the first that
# fits wins), and which of them end in each one or two characters: a number is checked only
# against the few spellings that can end just before it.
_PREFIX_SPELLINGS = [
    (prefix, spaced, code)
    for prefix, code in CURRENCY_PREFIXES.items()
    for spaced in (prefix, prefix + " ", prefix + "\u00a0")
]


def _by_ending(spellings: list[tuple[str, str, str]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for n, (_, spaced, _) in enumerate(spellings):
        out.setdefault(spaced[-2:], []).append(n)
    return out


_PREFIXES_ENDING = _by_ending(_PREFIX_SPELLINGS)


def _figure_at(text: str, m: re.Match[str], *, lenient: bool) -> _Found | None:
    literal = m.group()
    start, end = m.span()
    low = read_digits(literal)
    if low is None:
        return None
    # Part of a name or code: "COVID-19", "F-35".
    if start >= 2 and text[start - 1] in "-‑" and text[start - 2].isalpha():
        return None
    if start >= 1 and text[start - 1] in "-−" and (start == 1 or text[start - 2] in " (\t"):
        start -= 1
        low = -low
    if not lenient and _TIME_AFTER.match(text, end):
        return None
    currency = _currency_before(text, start)
    money = currency[1] if currency else None
    if currency:
        start = currency[0]
    pos = end
    scale_hit = scale_after(text, pos, money=money is not None)
    scale = Decimal(1)
    if scale_hit:
        pos, scale = scale_hit
    measure: str | None = None
    attached = _ATTACHED_WORD.match(text, pos)
    if attached and attached.start() == end and not scale_hit:
        word = attached.group().casefold()
        if word in ATTACHED_UNITS:
            measure, pos = word, attached.end()
        elif word != "pc":
            return None  # ordinal, decade or code: "2nd", "1990s", "5G"
    high = low
    # Ranges: "34-35%", "34 to 35 percent", "between 34 and 35 percent", "$10-12 billion".
    second = range_after(text, start, pos, low, scale if scale_hit else None, money)
    if second is not None:
        pos, high, high_scale = second
        if scale_hit is None:
            scale = high_scale
        else:
            high = high * high_scale / scale
    unit, kind = "", ""
    percent = _PERCENT_SIGN.match(text, pos) or _PERCENT_WORD.match(text, pos) or _PC.match(text, pos)
    if money is None and percent:
        pos = percent.end()
        word = percent.group(1).casefold() if percent.re is _PERCENT_WORD else "%"
        unit, kind = canonical_unit(word), "percent"
        if second is None:
            # "34% to 35%", "34%-35%": the unit written on both ends.
            again = range_after(text, start, pos, low, None, None)
            closing = again and (_PERCENT_SIGN.match(text, again[0]) or _PERCENT_WORD.match(text, again[0]))
            if again and closing:
                pos, high = closing.end(), again[1]
    if not kind:
        word_currency = _CURRENCY_WORD.match(text, pos)
        if word_currency and money is None:
            money = CURRENCY_WORD_UNITS[word_currency.group(1).casefold()]
            pos = word_currency.end()
        if money is not None:
            unit, kind = money, "money"
            per = _PER_UNIT.match(text, pos)
            if per and per.group(1).casefold() in PER_UNITS:
                unit = f"{money} per {per.group(1).casefold()}"
                pos = per.end()
    if not kind and measure:
        unit, kind = measure, "measure"
    if not kind:
        noun = _count_noun(text, pos)
        if noun is not None:
            pos, unit, kind = noun
        elif scale_hit:
            unit, kind = "count", "count"
        elif lenient:
            kind = "count"
        else:
            return None
    if (
        not lenient
        and kind in {"count", "duration", "measure"}
        and _not_a_quantity(text, m, start, pos, unit)
    ):
        return None
    if high != low:
        start = between_start(text, start)
    change = kind == "percent" or bool(_CHANGE_BEFORE.search(text, max(0, start - LOOKBACK), start))
    return _Found(start, pos, low * scale, high * scale, unit, kind, change)


def _not_a_quantity(text: str, m: re.Match[str], start: int, end: int, unit: str) -> bool:
    """Dates, years, list numbers and names that look like counts: 'June 9', 'in 2018', 'Boeing 737 jets'."""
    if _MONTH_BEFORE.search(text, max(0, m.start() - LOOKBACK), m.start()) or _MONTH_AFTER.match(
        text[m.end() : m.end() + 20]
    ):
        return True
    literal = m.group()
    if literal.isdigit() and 1000 <= int(literal) <= 2199 and unit not in _PLAIN_COUNT_UNITS:
        return True
    if _NUMBER_SIGN_BEFORE.search(text, max(0, start - LOOKBACK), start):
        return True
    before = _WORD_BEFORE.search(text, max(0, start - LOOKBACK), start)
    return bool(
        before and before.group(1)[0].isupper() and before.group(1).casefold() not in FUNCTION_WORDS_BEFORE
    )


def _count_noun(text: str, pos: int) -> tuple[int, str, str] | None:
    """What a number counts: the noun after it ('1,200 people', '90 days', '3 major automakers')."""
    hyphen = _HYPHEN_TIME.match(text, pos)
    if hyphen:
        unit = TIME_UNITS[hyphen.group(1).casefold()]
        return hyphen.end(), unit, "duration"
    first = _NEXT_WORD.match(text, pos)
    if not first:
        return None
    word = first.group(1)
    if word in NOT_UNITS:
        return None
    if _is_unit_noun(word):
        return _with_per(text, first.end(), word)
    second = _NEXT_WORD.match(text, first.end())
    if second and second.group(1) not in NOT_UNITS and _is_unit_noun(second.group(1)) and len(word) > 2:
        return _with_per(text, second.end(), second.group(1))
    return None


def _count_unit(noun: str) -> str:
    """A counted noun as a unit: 'day' -> 'days', 'persons' -> 'people'; 'pounds' stays a weight here."""
    folded = noun.casefold()
    if folded in TIME_UNITS:
        return TIME_UNITS[folded]
    return {"persons": "people", "person": "people", "tons": "tonnes"}.get(folded, folded)


def _with_per(text: str, pos: int, noun: str) -> tuple[int, str, str]:
    unit = _count_unit(noun)
    kind = "duration" if unit in TIME_UNITS.values() else "count"
    per = _PER_UNIT.match(text, pos)
    if per and per.group(1).casefold() in PER_UNITS and kind == "count":
        return per.end(), f"{unit} per {per.group(1).casefold()}", kind
    return pos, unit, kind


def _is_unit_noun(word: str) -> bool:
    if word in KNOWN_UNITS:
        return True
    return len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))


# ---------------------------------------------------------------------------
# values and comparison
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def parse_value(value: str, unit: str | None = None) -> FigureValue | None:
    """Read a figure as written ('34-35%', '$28.8 billion', 'three') into a comparable value.

    The unit the text names wins ('$3,300/ounce' is 'USD per ounce'); `unit` (as a
    `Figure` gives it) is used when the text names none ('28.8 billion' with 'USD').
    Scale words are applied ('28.8 billion' -> 28.8e9). Returns None when `value`
    holds no number. Cached: merge compares the same few values across many claim pairs,
    and the result (frozen) depends on the two strings alone.
    """
    found = _scan(value, lenient=True)
    if not found:
        return None
    first = found[0]
    text_unit = first.unit if first.unit and first.unit != "count" else ""
    resolved = text_unit or canonical_unit(unit) or first.unit
    if text_unit and unit:
        hinted = canonical_unit(unit)
        # A hint that refines the text's unit ("USD" -> "USD per ounce") is not a contradiction.
        if hinted.startswith(text_unit + " per "):
            resolved = hinted
    return FigureValue(low=float(first.low), high=float(first.high), unit=resolved)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _values(a: Figure, b: Figure) -> tuple[FigureValue, FigureValue] | None:
    va, vb = parse_value(a.value, a.unit), parse_value(b.value, b.unit)
    if va is None or vb is None:
        return None
    return va, vb


def same_value(a: Figure, b: Figure) -> bool:
    """Whether two figures state the same amount in the same unit, however each is written.

    '34.5%' equals '34.5 percent'; '$28.8 billion' equals '28.8 billion dollars'. A
    figure with no number ('a third') only equals the same words.
    """
    pair = _values(a, b)
    if pair is None:
        return " ".join(a.value.casefold().split()) == " ".join(
            b.value.casefold().split()
        ) and canonical_unit(a.unit) == canonical_unit(b.unit)
    va, vb = pair
    return va.unit == vb.unit and _close(va.low, vb.low) and _close(va.high, vb.high)


def conflicting(a: Figure, b: Figure) -> bool:
    """Whether two figures give different values in the same unit.

    Only values and units are compared; whether the two measure the same quantity is
    the caller's decision. A range and a point inside it conflict too ('34.5%' and
    '34-35%' are different reports, and the reader should see both).
    """
    pair = _values(a, b)
    if pair is None:
        return False
    va, vb = pair
    if not va.unit or va.unit != vb.unit:
        return False
    return not (_close(va.low, vb.low) and _close(va.high, vb.high))


# ---------------------------------------------------------------------------
# masking
# ---------------------------------------------------------------------------

_CURRENCY_PREFIX_RE = "|".join(re.escape(p) for p in CURRENCY_PREFIXES if not p.isalpha())
# Scale words are masked with their number: words after a space or hyphen, "bn" or "m" only glued on.
_GLUED_SCALES = frozenset({"k", "m", "b", "t", "bn", "mn", "tn"})
_SPELLED_SCALES = "|".join(
    re.escape(w) for w in sorted(set(SCALE_WORDS) - _GLUED_SCALES, key=len, reverse=True)
)
_SHORT_SCALES = "|".join(re.escape(w) for w in sorted(_GLUED_SCALES, key=len, reverse=True))
_MASK_SCALE = rf"(?:[ -]?(?:{_SPELLED_SCALES})\b|(?:{_SHORT_SCALES})\b)?"
_MASK = re.compile(
    rf"(?:(?:{_CURRENCY_PREFIX_RE}) ?)?[-−]?(?<![0-9])[0-9]+(?:[.,][0-9]+)*{_MASK_SCALE}"
    rf"(?:(?: ?[-–—] ?| to )(?:(?:{_CURRENCY_PREFIX_RE}) ?)?[0-9]+(?:[.,][0-9]+)*{_MASK_SCALE})?"
    r"(?: ?%| (?:percent|per cent|percentage points?|pct)\b)?"
    r"(?: (?:US |U\.S\. )?(?:dollars|euros|pounds|yuan|yen)\b)?",
    re.IGNORECASE,
)

_DIGIT = re.compile(r"[0-9]")
"""Every figure `_MASK` replaces has a digit: a text without one is left as it is, unscanned."""


def mask_figures(text: str) -> str:
    """Replace every number (with its currency sign, scale and percent word) by `FIGURE_PLACEHOLDER`.

    The merge compares sentences this way so that 'exports fell 34.5%' and 'exports
    fell 34-35%' look alike and the difference shows up as a discrepancy instead of
    keeping the two claims apart. Count nouns stay ('# people'), because what is
    counted is part of what a sentence says.
    """
    return _MASK.sub(FIGURE_PLACEHOLDER, text) if _DIGIT.search(text) else text
