"""Numerals as written: the digits of a number and the scale word after it, in every language read.

Extraction, grounding, verify and eval must agree on what "$2 trn", "Rs 3 crore" or
"2,5 Mrd." is worth: if two readers disagree, a figure changed by a factor of a million
can pass the faithfulness check. So the scale words of every language the project
reads, the two ways digits are grouped ("1,234.5" and "1.234,5"), and the rule for
when one written number supports another live here, once; so do ranges ("10-12", "10 to
12", "between 10 and 12"), whose second number is read like the first.
`briefing.merge.numbers` builds figures (units, periods) on top of this and is the API
other stages import.

Scale words read, each to one of `SCALE_VALUES`:

- English: thousand, k; million, mn, mln, m; billion, bn, bln, b; trillion, tn, trn, t.
  In a figure the single letters count only glued to the number, and m, b and t only
  after a currency ("$5m"; "5m" alone may be metres).
- South Asian: lakh, lakhs, lac, lacs (1e5); crore, crores (1e7).
- German: Tsd., tausend; Mio., Million, Millionen; Mrd., Milliarde, Milliarden; Billionen (1e12).
- French, Italian, Spanish, Portuguese: mille, millions, milliard(s), milione, milioni,
  miliardo, miliardi, millón, millones, mil millones, milhão, milhões, billón, billones (1e12).
  "mil" is a thousand only in a text of a decimal-comma language (English "$5 mil" means million).
- Dutch, Polish, Russian, Swedish, Indonesian, Vietnamese, Turkish: duizend, miljoen,
  miljard, biljoen; tys., mln, mld, miliard, bilion (1e12); тыс., млн, млрд, трлн; miljon(er),
  miljard(er); ribu, juta, miliar; nghìn, triệu, tỷ; milyon, milyar.
- "billion" is read as in English (1e9) in every language: a German or French "Billion"
  (1e12) is not told apart, while the words only long-scale languages write (Billionen,
  billones, biljoen, bilion) are read as 1e12.

Two numbers state the same amount when their values with scales applied are equal:
"2 mln" supports "2 million", and "3 crore" supports "30 million" (a translation may
restate an amount in the reader's scale). The same digits at another scale never do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from briefing.merge.periods import LOOKBACK
from briefing.merge.units import CURRENCY_PREFIXES, DIGIT_FINISHERS, terms

__all__ = [
    "DECIMAL_COMMA_LANGUAGES",
    "FIGURE_NUMBER",
    "LETTERS",
    "SCALES",
    "SCALE_VALUES",
    "SCALE_WORDS",
    "WrittenNumber",
    "between_start",
    "numbers_in",
    "range_after",
    "read_digits",
    "scale_after",
    "unstated_numbers",
]


SCALE_VALUES: dict[str, Decimal] = {
    "thousand": Decimal(10) ** 3,
    "lakh": Decimal(10) ** 5,
    "million": Decimal(10) ** 6,
    "crore": Decimal(10) ** 7,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}
"""Each scale by its English name, the name a `WrittenNumber` carries."""

SCALE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        terms("thousand, k, tsd, tausend, mille, duizend, tys, тыс, ribu, nghìn, ngàn"),
        "thousand",
    ),
    **dict.fromkeys(terms("lakh, lakhs, lac, lacs"), "lakh"),
    **dict.fromkeys(
        terms(
            "million, mn, mln, m, mio, millionen, millions, milione, milioni, millón, millones, milhão, "
            "milhões, miljoen, milion, miliony, milionów, млн, миллион, миллиона, миллионов, miljon, "
            "miljoner, juta, triệu, milyon"
        ),
        "million",
    ),
    **dict.fromkeys(terms("crore, crores"), "crore"),
    **dict.fromkeys(
        terms(
            "billion, bn, bln, b, mrd, milliarde, milliarden, milliard, milliards, miliardo, miliardi, "
            "mil millones, miljard, miljarden, miljarder, mld, miliard, miliardy, miliardów, млрд, "
            "миллиард, миллиарда, миллиардов, miliar, tỷ, milyar"
        ),
        "billion",
    ),
    **dict.fromkeys(
        terms(
            "trillion, tn, trn, t, billionen, billón, billones, biljoen, bilion, biliony, bilionów, "
            "трлн, триллион, триллиона, триллионов"
        ),
        "trillion",
    ),
}
"""Every scale word read after a number (case-folded) -> its scale's name."""

SCALES: dict[str, Decimal] = {word: SCALE_VALUES[name] for word, name in SCALE_WORDS.items()}
"""Every scale word -> the factor it multiplies by."""

# Where 1.200 or 1 200 is twelve hundred and 4,2 is four point two.
DECIMAL_COMMA_LANGUAGES = frozenset(
    terms(
        "fr, de, es, it, pt, nl, pl, ru, uk, cs, sk, sl, hr, sr, bg, ro, hu, tr, sv, da, no, fi, et, "
        "lv, lt, el, id, vi, ca, gl, eu, is"
    )
)
# Read only in a text of a decimal-comma language: Spanish and Portuguese "mil" is a thousand.
_LOCAL_SCALE_WORDS = {"mil": "thousand"}
# Abbreviations that may carry a full stop ("2,5 Mrd. Euro").
_ABBREVIATIONS = frozenset(terms("tsd, mio, mrd, mln, bln, trn, mn, bn, tn, tys, mld, тыс, млн, млрд, трлн"))
# Single letters: a scale only glued to the number; m, b and t only after a currency.
_LETTERS = frozenset(terms("k, m, b, t"))
_CURRENCY_ONLY = frozenset(terms("m, b, t"))


def _alternation(words: Iterable[str]) -> str:
    """Longest first, so 'mil millones' wins over 'mil' and 'millionen' over 'million'."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# In a figure (`scale_after`): a word after one space, no-break space or hyphen ("5-million");
# an abbreviation after at most one space; a single letter glued on.
_FIGURE_SCALE = re.compile(
    r"(?:[ \u00a0-]?(" + _alternation(set(SCALE_WORDS) - _ABBREVIATIONS - _LETTERS) + r")"
    r"|([ \u00a0]?)(" + _alternation(_ABBREVIATIONS | _LETTERS) + r"))\b",
    re.IGNORECASE,
)
_ABBREVIATION_STOP = re.compile(r"\.(?= [^\W\d_])")
# In running text (`numbers_in`), any scale word after any space; text is already case-folded.
_TEXT_SCALE = re.compile(r"\s*(" + _alternation(SCALE_WORDS) + r")\b")
_LOCAL_TEXT_SCALE = re.compile(r"\s*(" + _alternation({*SCALE_WORDS, *_LOCAL_SCALE_WORDS}) + r")\b")

# Read the English way: 1,200 / 34.5 / 3 / .5; thousands separators are commas before 3 digits.
# Latin letters before a number make it part of a name (A320, G7); other scripts do not
# (Chinese writes "下降34.5%" with no space), so only ASCII word characters block a match.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d])|(?<![A-Za-z0-9_])\.(\d+)")
# Read the decimal-comma way: 1.200 / 1 200 / 4,2.
_NUMBER_DECIMAL_COMMA = re.compile(r"(?<![A-Za-z0-9_,])(\d{1,3}(?:[. ]\d{3})+|\d+)(,\d+)?(?![\d])")
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]{1,2}")
_DOT_GROUPS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?")
LETTERS = "A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
"""Letters of the scripts a number can be glued to: a name ("A320") or a unit ("5km")."""
# English grouping ("1,234.5"), a short decimal comma ("34,5"), and dots grouping thousands
# where that cannot be an English decimal ("1.234,5", "1.234.567"); `read_digits` reads each.
FIGURE_NUMBER = re.compile(
    rf"(?<![0-9{LETTERS}:/])(?<![0-9][.,])"
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+|[0-9]{1,3}(?:\.[0-9]{3}){2,}"
    r"|[0-9]+,[0-9]{1,2}(?![0-9])|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    # Not a number a fraction or a superscript finishes ("3½", "10²"): its value is not the digits'.
    rf"(?![0-9{DIGIT_FINISHERS}])"
)
_RANGE_DASH = re.compile(r" ?[-–—] ?")
_RANGE_TO = re.compile(r" to ", re.IGNORECASE)
_RANGE_AND = re.compile(r" and ", re.IGNORECASE)
_BETWEEN_BEFORE = re.compile(r"\bbetween $", re.IGNORECASE)
_FROM_BEFORE = re.compile(r"\bfrom (?:about |around |roughly |nearly |some )?$", re.IGNORECASE)


def read_digits(literal: str) -> Decimal | None:
    """The value of a number as a figure writes it, whichever way its digits are grouped.

    '1,200' -> 1200 and '34.5' -> 34.5 (English); '34,5' -> 34.5 (a decimal comma with one
    or two digits after it); '1.234,5' -> 1234.5 and '1.234.567' -> 1234567 (dots as
    thousands separators: only when a decimal comma follows or there are two or more
    groups, since '1.234' alone is an English decimal). None when it is no number.
    """
    if _DECIMAL_COMMA.fullmatch(literal):
        literal = literal.replace(",", ".")
    elif _DOT_GROUPS.fullmatch(literal) and ("," in literal or literal.count(".") > 1):
        literal = literal.replace(".", "").replace(",", ".")
    try:
        return Decimal(literal.replace(",", ""))
    except InvalidOperation:
        return None


def scale_after(text: str, pos: int, *, money: bool) -> tuple[int, Decimal] | None:
    """The scale word written right after a figure's number ending at `pos`: (its end, its factor).

    A single letter counts only glued to the number, and m, b or t only when `money`
    ("$5m", "$2t"; "5m" may be metres). An abbreviation keeps its full stop when a word
    follows ("2,5 Mrd. Euro").
    """
    m = _FIGURE_SCALE.match(text, pos)
    if not m:
        return None
    if m.group(1):
        return m.end(), SCALES[m.group(1).casefold()]
    word = m.group(3).casefold()
    if word in _LETTERS and (m.group(2) or (word in _CURRENCY_ONLY and not money)):
        return None
    end = m.end()
    stop = _ABBREVIATION_STOP.match(text, end)
    if stop and word in _ABBREVIATIONS:
        end = stop.end()
    return end, SCALES[word]


def range_after(
    text: str, start: int, pos: int, low: Decimal, low_scale: Decimal | None, money: str | None
) -> tuple[int, Decimal, Decimal] | None:
    """A second number making a range with the one ending at `pos`: (end, its value, its scale).

    "from 145% to 30%" is a change, not a range, and so is "rose 0.2% to 4.1%": a "to"
    range needs no "from" before it and two values within a factor of three.
    """
    between = _BETWEEN_BEFORE.search(text, max(0, start - LOOKBACK), start) is not None
    for sep, kind in ((_RANGE_DASH, "dash"), (_RANGE_TO, "to"), (_RANGE_AND, "and")):
        hit = sep.match(text, pos)
        if not hit:
            continue
        if kind == "and" and not between:
            continue
        if kind == "to" and (between or _FROM_BEFORE.search(text, max(0, start - LOOKBACK), start)):
            continue
        if kind == "dash" and hit.group().strip() in {"-", "—"} and hit.group() != hit.group().strip():
            continue  # a spaced hyphen or em dash is a clause break: "Mr. Lutnick - the person in charge"
        after = hit.end()
        if money:
            for prefix in CURRENCY_PREFIXES:
                if text.startswith(prefix, after):
                    after += len(prefix) + (
                        1 if prefix.isalpha() and text.startswith(" ", after + len(prefix)) else 0
                    )
                    break
        n2 = FIGURE_NUMBER.match(text, after)
        if not n2:
            continue
        high = read_digits(n2.group())
        if high is None:
            continue
        end, scale = n2.end(), Decimal(1)
        scaled = scale_after(text, end, money=money is not None)
        if scaled:
            end, scale = scaled
        comparable_high = high * scale / low_scale if low_scale else high
        if comparable_high <= low or (kind == "to" and comparable_high > 3 * low):
            continue
        return end, high, scale
    return None


def between_start(text: str, start: int) -> int:
    """Where 'between' begins before a range, so the value as written reads 'between 34 and 35 percent'."""
    hit = _BETWEEN_BEFORE.search(text, max(0, start - LOOKBACK), start)
    return hit.start() if hit else start


class WrittenNumber(NamedTuple):
    """A number as a text states it: its value, the scale word after it, and how it was written."""

    value: Decimal
    scale: str | None
    literal: str

    @property
    def absolute(self) -> Decimal:
        """The value with its scale applied, so '1.2 million' equals '1,200,000'."""
        return self.value * SCALE_VALUES[self.scale] if self.scale else self.value


def numbers_in(text: str, language: str | None = None) -> list[WrittenNumber]:
    """Every number written in `text` with digits, with the scale word that follows it, if any.

    '1,200' and '1200' give the same value and '34.50' equals '34.5', so figures compare by
    value, not spelling; the scale ('billion', 'bn', 'crore', 'Mrd.') is kept so that '28.8
    billion' is not taken as support for '28.8 million'. In a text in one of
    `DECIMAL_COMMA_LANGUAGES`, '4,2 millions' is 4.2 million, '1 200' or '1.200' is 1200 and
    'mil' is a thousand. `text` is read case-folded.
    """
    from briefing.text import comparable  # here, not at import: text loads the sentence splitter

    folded = comparable(text)
    if language in DECIMAL_COMMA_LANGUAGES:
        return _decimal_comma_numbers(folded)
    return _english_numbers(folded, _TEXT_SCALE)


def _english_numbers(folded: str, scales: re.Pattern[str]) -> list[WrittenNumber]:
    found: list[WrittenNumber] = []
    for match in _NUMBER.finditer(folded):
        if match.group(3) is not None:
            digits = "0." + match.group(3)
        else:
            digits = match.group(1).replace(",", "") + (match.group(2) or "")
        hit = scales.match(folded, match.end())
        found.append(
            WrittenNumber(Decimal(digits), _scale_name(hit.group(1)) if hit else None, match.group(0))
        )
    return found


def _scale_name(word: str) -> str:
    return _LOCAL_SCALE_WORDS.get(word) or SCALE_WORDS[word]


def _decimal_comma_numbers(folded: str) -> list[WrittenNumber]:
    found: list[WrittenNumber] = []
    for match in _NUMBER_DECIMAL_COMMA.finditer(folded):
        digits = re.sub(r"[. ]", "", match.group(1)) + (match.group(2) or "").replace(",", ".")
        hit = _LOCAL_TEXT_SCALE.match(folded, match.end())
        scale = _scale_name(hit.group(1)) if hit else None
        found.append(WrittenNumber(Decimal(digits), scale, match.group(0)))
    return found


def unstated_numbers(text: str, present: list[WrittenNumber], language: str | None) -> list[WrittenNumber]:
    """The numbers of `text` that `present` (the numbers of a source) does not state.

    A number with a scale needs the same amount ('2 mln' for '2 million', '30 million' for
    '3 crore'); so does one without ('28,800,000' for '28.8 million', never '28.8': the
    same digits at another scale). `text` is read the English way, or, when that leaves
    more unsupported, the way `language` writes numbers ("1 200", "4,2"): a figure from such a
    text may come either way. Not when `text` groups thousands with commas ("1,000
    billion"): it is then written the English way, and reading its "1,000" as 1.0 would
    let the same digits at another scale through; nor when it copies a number as the
    source writes it ("1.000" from "1.000 juta"): that number is read the source's way.
    Either way, the scale words of `language` are read ("1 mil" copied from a Portuguese
    text is a thousand).
    """
    from briefing.text import comparable

    local_words = language in DECIMAL_COMMA_LANGUAGES
    english = _english_numbers(comparable(text), _LOCAL_TEXT_SCALE if local_words else _TEXT_SCALE)
    unsupported = [n for n in english if not _supported(n, present)]
    if not local_words:
        return unsupported
    local = numbers_in(text, language)
    missing = [n for n in local if not _supported(n, present)]
    source_forms = {p.literal for p in present if not p.literal.isdigit()}
    if any(n.literal in source_forms for n in english if not n.literal.isdigit()):
        return missing
    grouped = any("," in n.literal for n in english)
    if unsupported and not grouped and local and len(missing) < len(unsupported):
        return missing
    return unsupported


def _supported(number: WrittenNumber, present: list[WrittenNumber]) -> bool:
    if number.scale is None:  # "$2" is not "$2 million": the same digits, another scale
        return any(
            (p.scale is None and number.value == p.value) or number.value == p.absolute for p in present
        )
    return any(number.absolute == p.absolute for p in present)
