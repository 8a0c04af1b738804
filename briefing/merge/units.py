"""What a number counts: currencies, percent words, units and spelled-out numbers.

Figures are compared by value and unit, so every spelling of one unit ('%', 'per cent',
'pct'; '$', 'dollars', 'USD') must come out as one string (`canonical_unit`). The word
lists are data, written as comma-separated text, so an editor can extend them without
reading the regexes of `briefing.merge.numbers`, which finds figures with them.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "ATTACHED_UNITS",
    "CURRENCY_PREFIXES",
    "CURRENCY_WORDS",
    "CURRENCY_WORD_UNITS",
    "DIGIT_FINISHERS",
    "FUNCTION_WORDS_BEFORE",
    "ISO_CURRENCIES",
    "KNOWN_UNITS",
    "NOT_UNITS",
    "PERCENT_WORDS",
    "PER_UNITS",
    "TIME_UNITS",
    "WORD_NUMBERS",
    "WORD_NUMBER_PATTERN",
    "WORD_NUMBER_UNITS",
    "canonical_unit",
    "terms",
    "word_number",
]


def terms(text: str) -> tuple[str, ...]:
    """A word list written as comma-separated text, so an editor can read and extend it."""
    return tuple(term.strip() for term in text.split(",") if term.strip())


def _mapping(text: str) -> dict[str, str]:
    """'written: meaning, ...' pairs, in the order given (longest spellings should come first)."""
    pairs = (term.rsplit(":", 1) for term in terms(text))
    return {key.strip(): value.strip() for key, value in pairs}


# ISO codes written before or after an amount ("NOK 1.4 billion", "5 billion USD").
ISO_CURRENCIES = terms(
    "USD, EUR, GBP, JPY, CNY, CHF, CAD, AUD, NZD, HKD, SGD, INR, KRW, RUB, BRL, MXN, ZAR, TRY, SEK, "
    "NOK, DKK, PLN, CZK, HUF, VND, THB, IDR, MYR, PHP, SAR, AED"
)
# Currency written before the number, longest first so "US$" wins over "$".
CURRENCY_PREFIXES = _mapping(
    "US$: USD, U.S.$: USD, HK$: HKD, NZ$: NZD, A$: AUD, C$: CAD, S$: SGD, R$: BRL, $: USD, €: EUR, "
    "£: GBP, ¥: JPY, ₹: INR, ₩: KRW, ₽: RUB, ₫: VND, ₺: TRY, Rs.: INR, Rs: INR, RMB: CNY, "
    + ", ".join(f"{code}: {code}" for code in ISO_CURRENCIES)
)
# Currency written after the number ("28.8 billion dollars", "100 yuan"); matched case-insensitively.
CURRENCY_WORDS = _mapping(
    "US dollars: USD, U.S. dollars: USD, American dollars: USD, Hong Kong dollars: HKD, "
    "Australian dollars: AUD, Canadian dollars: CAD, Singapore dollars: SGD, dollars: USD, "
    "dollar: USD, euros: EUR, euro: EUR, pounds sterling: GBP, pounds: GBP, pound: GBP, yuan: CNY, "
    "renminbi: CNY, yen: JPY, rupees: INR, roubles: RUB, rubles: RUB, dong: VND, Swiss francs: CHF, "
    "Norwegian crowns: NOK, Swedish crowns: SEK, Danish crowns: DKK, RMB: CNY, "
    + ", ".join(f"{code}: {code}" for code in ISO_CURRENCIES)
)
# What a price is quoted per: "$3,300/ounce", "$80 a barrel".
PER_UNITS = frozenset(
    terms(
        "ounce, oz, barrel, bbl, tonne, ton, share, hour, day, week, month, year, gallon, litre, "
        "liter, kilogram, kg, pound, lb, unit, person, head, capita, mwh, kwh"
    )
)
PERCENT_WORDS = _mapping(
    "percentage points: percentage points, percentage point: percentage points, "
    "basis points: basis points, basis point: basis points, per cent: percent, percent: percent, "
    "pct: percent, bps: basis points"
)
# Singular time units and the plural used as a figure's unit.
TIME_UNITS = {
    unit: unit + "s" for unit in terms("second, minute, hour, day, week, month, quarter, year, decade")
}
# Nouns counted often enough in news to be units even where they do not look plural ("km", "people").
KNOWN_UNITS = frozenset(
    {
        *TIME_UNITS,
        *TIME_UNITS.values(),
        *terms(
            "people, persons, workers, jobs, deaths, cases, tonnes, tons, barrels, km, kilometres, "
            "kilometers, miles, kg, kilograms, ounces, gallons, litres, liters, hectares, acres, mw, "
            "gw, twh, gwh, degrees, countries, companies, firms, vehicles, cars, units, seats, votes, "
            "troops, soldiers, students, refugees, migrants, passengers"
        ),
    }
)
# Measurement units written glued to the number ("5km", "3GW").
ATTACHED_UNITS = frozenset(terms("km, kg, mw, gw, kwh, mwh, gwh, twh, mph, bpd, cm, mm"))
# Words that follow a number but are not what it counts.
NOT_UNITS = frozenset(
    terms(
        "a, an, the, and, or, but, of, in, on, at, by, for, to, from, with, as, is, was, are, were, "
        "has, had, have, its, his, her, their, this, that, these, those, than, then, percent, per, "
        "cent, more, less, most, least, over, under, about, after, before, since, until, into, onto, "
        "up, down, off, out, also, only, just, yet, so, nor, not, no, it, he, she, they, we, you, who, "
        "which, whom, whose, while, when, where, whereas, unless, thus, always, perhaps, across, "
        "besides, around, among, along, against, amid, despite, during, through, towards, toward, "
        "upon, via, versus, vs, plus, minus, times, each, every, other, such, same, new, yes"
    )
)
# Capitalised words that may precede a count without making it part of a name ("About 1,200 people").
FUNCTION_WORDS_BEFORE = frozenset(
    terms(
        "about, some, nearly, almost, over, around, roughly, approximately, only, just, at, by, to, "
        "of, in, on, for, from, with, and, but, the, these, those, another, all, more, fewer, less, "
        "up, down, under, below, above, than, least, exactly, estimated, an, a, while, as, after, "
        "since, if"
    )
)
# What a spelled-out number must count to be a figure: "two days", "five people"; not "two sides".
WORD_NUMBER_UNITS = frozenset({*TIME_UNITS, *TIME_UNITS.values(), "people", "persons", "workers", "deaths"})
WORD_NUMBERS = {
    word: n
    for n, word in enumerate(
        terms("zero, one, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve")
    )
    if n >= 2
} | {
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
WORD_NUMBER_PATTERN = (
    rf"(?<![\w-])(?:(?:{'|'.join(_TENS)})-(?:{'|'.join(_UNITS)})|"
    + "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))
    + r")"
)
"""A number spelled out ("forty-four", "twelve"), never the end of a compound ("four" in "forty-four")."""


def word_number(text: str) -> int:
    """The value of a number `WORD_NUMBER_PATTERN` matched: "Forty-four" is 44."""
    tens, _, unit = text.casefold().partition("-")
    return WORD_NUMBERS[tens] + (_UNITS.index(unit) + 1 if unit else 0)


DIGIT_FINISHERS = "\u00bc-\u00be\u2150-\u215e\u2189\u00b2\u00b3\u00b9\u2070-\u209f"
"""Vulgar fractions and super- and subscript digits (a regex class body): after digits they make
another number ("3½", "10²"), whose value is not the digits' alone."""
CURRENCY_WORD_UNITS = {w.casefold(): code for w, code in CURRENCY_WORDS.items()}
"""A currency word as read (case-folded) -> its ISO code."""

_PER_IN_UNIT = re.compile(r"(.+?) ?(?:/| per | an | a ) ?([a-z]+)")


@functools.lru_cache(maxsize=4096)
def canonical_unit(unit: str | None) -> str:
    """The form units are compared in: 'percent', 'USD', 'USD per ounce', 'days', 'people'...

    Different spellings of one unit ('%', 'per cent', 'pct'; '$', 'dollars', 'usd') give
    the same string, so a caller can compare units with `==`. Cached: a day's figures
    use a few units many times.
    """
    if not unit:
        return ""
    folded = " ".join(unit.split()).casefold()
    per = _PER_IN_UNIT.fullmatch(folded)
    if per:
        thing = per.group(2)
        singular = thing[:-1] if thing.endswith("s") and thing[:-1] in PER_UNITS else thing
        if singular in PER_UNITS:
            return f"{_canonical_base(per.group(1))} per {singular}"
    return _canonical_base(folded)


def _canonical_base(folded: str) -> str:
    if folded in {"%", "percent", "per cent", "pct", "pc", "percentage", "percents"}:
        return "percent"
    if folded in {"pp", "ppt", "ppts", "percentage point", "percentage points"}:
        return "percentage points"
    if folded in {"bp", "bps", "basis point", "basis points"}:
        return "basis points"
    for prefix, code in CURRENCY_PREFIXES.items():
        if folded == prefix.casefold():
            return code
    if folded in CURRENCY_WORD_UNITS:
        return CURRENCY_WORD_UNITS[folded]
    if folded.upper() in set(CURRENCY_PREFIXES.values()):
        return folded.upper()
    if folded in TIME_UNITS:
        return TIME_UNITS[folded]
    if folded in {"persons", "person"}:
        return "people"
    if folded in {"houses", "homes", "dwellings"}:
        return "homes"
    if folded in {"tons", "ton", "tonne", "metric tons"}:
        return "tonnes"
    return folded
