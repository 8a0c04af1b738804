"""Quantities: what each figure of a claim measures, so that only like is compared with like.

Two values disagree only when they are values of one quantity: the same subject, measure
and period. "To 80 percent from 145 percent" and "from 145% to 30%" are one tariff
after a cut (the same starting level, another end); "a 90-day pause" and "two days of
talks" are different quantities that merely share a unit; a death toll of 144 on Friday
and 2,056 on Monday is a count that grew (a timeline), while 2,056 and 2,065 on the same
Monday are a disagreement. A `Reading` holds what a sentence says about one of its
figures; `disagreements` pairs readings of different sources.

Counts of casualties and magnitudes are read even without a counted noun ("the number of
dead at 2,065", "magnitude 7.7"), because news writes them that way. Pure functions.

The module is longer than most because reading a figure's quantity is one job with many
small readers (measure words, counted nouns, held counts, shares and votes in words,
places); which day a count is given for is `days.py`'s, and whether two values are one
is `amounts.py`'s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.contracts import Figure
from briefing.merge.days import day_of_count, in_time_order
from briefing.merge.numbers import FigureValue, canonical_unit, find_figures, parse_value
from briefing.merge.numerals import FIGURE_NUMBER
from briefing.merge.periods import MONTH
from briefing.merge.similarity import content_tokens
from briefing.merge.units import TIME_UNITS, WORD_NUMBER_PATTERN, terms, word_number
from briefing.text import comparable

__all__ = [
    "NAMED_QUANTITIES",
    "Reading",
    "close",
    "holder_name",
    "named_count",
    "places_of_report",
    "readings",
    "same_day",
    "same_quantity",
    "timeline_pair",
    "unfinished_report",
]

# Measures a count is read for without a counted noun, each by the words that name it.
MEASURES: dict[str, str] = {
    **dict.fromkeys(
        ("killed", "killing", "dead", "deaths", "died", "death", "toll", "lives", "fatalities"), "deaths"
    ),
    **dict.fromkeys(("injured", "wounded", "hurt", "injuries"), "injured"),
    **dict.fromkeys(("missing",), "missing"),
    **dict.fromkeys(("evacuated", "evacuees", "displaced", "fled", "forced", "forcing"), "evacuated"),
    **dict.fromkeys(("rescued", "saved"), "rescued"),
    **dict.fromkeys(("striking", "strikers", "walked", "walkout", "walk-out", "downed"), "on strike"),
    **dict.fromkeys(("electricity", "blackout", "blackouts", "outage", "outages"), "without power"),
    **dict.fromkeys(("magnitude",), "magnitude"),
    **dict.fromkeys(("spectators", "attendance", "crowd"), "attendance"),
}
# Counts that grow while a story unfolds: values on different days are a timeline.
GROWING = frozenset(
    {"deaths", "injured", "missing", "evacuated", "rescued", "homes", "hectares", "acres", "without power"}
)
JOBS_SHARE = "share of jobs"
TURNOUT = "turnout"
NAMED_QUANTITIES = frozenset(MEASURES.values()) | GROWING | {"vote", JOBS_SHARE, TURNOUT}
"""Units that name one quantity of a story across its items: a measure, or a count that grows."""
_PEOPLE = frozenset({"", "people", "count"})
# Measures that count people, each read only for a number of the people it counts ("2,600
# residents" forced from their villages, "11,500 workers" walking out), never for anything else a
# sentence counts near the word ("the strike cost 2,300 cars a day", "forcing 300 workers to stay home").
_COUNTED_PEOPLE: dict[str, frozenset[str]] = {
    "deaths": _PEOPLE | {"deaths"},
    "injured": _PEOPLE,
    "missing": _PEOPLE,
    "rescued": _PEOPLE | frozenset(terms("survivors, passengers, crew, miners, villagers")),
    "attendance": _PEOPLE | {"attendance"},
    "evacuated": _PEOPLE | frozenset(terms("residents, villagers, inhabitants, families, evacuees")),
    "on strike": _PEOPLE | frozenset(terms("workers, members, employees, staff, strikers")),
    "without power": frozenset(terms("homes, households, customers, properties")),
}
_POWER_UNIT = re.compile(r"\b(?:electricity|power)\b", re.IGNORECASE)
_WITHOUT_POWER = re.compile(r"\b(?:without|lost|no|restored)\s+(?:power|electricity)\b", re.IGNORECASE)
MEASURE_WINDOW = 10
"""How far (in words) a measure word may stand from its figure: "known to have died ... rose to 1,644"."""

_CLAUSE_BREAK = re.compile(
    r",? and (?=[A-Za-z' ]{0,40}\b(?:will|would|has|have|had|said)\b)|;|\bwhile\b|\bwhereas\b|, but\b"
)
_WORD = re.compile(r"[\w'’%.,$-]+")
_PLACE = re.compile(
    r"\b(?:in|In) (?P<a>[A-Z][\w-]+(?: [A-Z][\w-]+)?)(?: and (?P<b>[A-Z][\w-]+(?: [A-Z][\w-]+)?))?"
    r"|\b(?P<c>[A-Z][\w-]+)['’]s\b"
)
_NOT_PLACES = frozenset(
    terms(
        "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, January, February, March, "
        "April, May, June, July, August, September, October, November, December, The, A, An, It, Its"
    )
)
# "his 26th World Cup match": an ordinal and what it counts (up to three words, names kept).
_ORDINAL = re.compile(r"\b(?P<n>[0-9]{1,3})(?:st|nd|rd|th) (?P<what>(?:[A-Z][\w-]* ){0,2}[a-z][\w-]*)")
_TIME_NOUNS = frozenset(
    terms("second, minute, hour, day, week, month, year, time, birthday, anniversary, century, minutes")
)
# Someone's age is no count: "a 67-year-old man died", "aged 67", "Anton Reisz, 67, a teacher".
_AGE_AFTER = re.compile(r"(?:-| )years?[- ]olds?\b")
_AGED_BEFORE = re.compile(r"\baged\s*$")
_NAME_THEN_COMMA = re.compile(r"\b[A-Z][\w'’-]+,\s*$")
_COMMA_AFTER = re.compile(r"\s*[,.;]")
_NOT_BARE = re.compile(r"^(?::[0-9]|[ ]?(?:a\.m\.|p\.m\.|am\b|pm\b)|[0-9]|-[0-9])")
# What a number's neighbours say about it: a later event ("a second shock of magnitude 7.6").
QUALIFIERS = {"second": "second", "aftershock": "aftershock", "aftershocks": "aftershock", "third": "third"}
# Words before "by" that make the figure after it the size of a change ("cut by 115 points").
_CHANGE_WORDS = frozenset(
    terms(
        "rose, fell, grew, increased, decreased, cut, lowered, lower, raised, raise, dropped, "
        "climbed, jumped, slipped, declined, down, up, reduced, reduce, gained, lost, shrank, "
        "expanded, goods, tariffs, prices"
    )
)


@dataclass(frozen=True)
class Reading:
    """One figure of one sentence, read as a quantity: what it measures, when, and its role in a change."""

    value: str
    """The figure as written."""
    amount: FigureValue
    unit: str
    """The measure ("deaths", "magnitude") when the sentence names one, else the canonical unit."""
    role: str
    """"from" (the level before a change), "to" (a level), or "by" (the size of a change)."""
    partner: float | None
    """The level a "to" value changed from, when the clause gives it: the quantity's fingerprint."""
    period: str
    """The period and comparison basis, case-folded ("" when none)."""
    period_label: str | None
    qualifier: str
    places: frozenset[str]
    head: str | None
    """What a duration is of: "pause" in "a 90-day pause", "talks" in "two days of talks"."""
    when: str | None
    """The day a growing count is given for (the sentence's day, else the report's)."""
    before: tuple[str, ...]
    """The words of the clause before the figure, for naming the quantity."""
    tokens: frozenset[str]
    reported: str | None = None
    """The day of the report the reading is from, to order counts whose own days cannot be."""
    unfinished: bool = False
    """Whether the report gives a count still being made (see `unfinished_report`)."""

    @property
    def growing(self) -> bool:
        return self.unit in GROWING


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    left, right = 0, len(sentence)
    for m in _CLAUSE_BREAK.finditer(sentence):
        if m.end() <= start:
            left = m.end()
        elif m.start() >= end and right == len(sentence):
            right = m.start()
    return left, right


def _measure(sentence: str, start: int, end: int, lo: int, hi: int) -> str | None:
    """The measure word nearest the figure within its clause, if any."""
    before = _WORD.findall(sentence[lo:start])[-MEASURE_WINDOW:]
    after = _WORD.findall(sentence[end:hi])[:MEASURE_WINDOW]
    best: tuple[int, str] | None = None
    for distance, word in enumerate(reversed(before)):
        number, name = _measure_word(word)
        if number:
            break  # a measure word past another number is that number's
        if name and (best is None or distance < best[0]):
            best = (distance, name)
            break
    for distance, word in enumerate(after):
        number, name = _measure_word(word)
        if number:
            break
        if name and (best is None or distance <= best[0]):
            best = (distance, name)
            break
    return best[1] if best else None


@functools.lru_cache(maxsize=1 << 14)
def _measure_word(word: str) -> tuple[bool, str | None]:
    """Whether a word holds a digit, and the measure it names; cached, as words repeat."""
    return any(c.isdigit() for c in word), MEASURES.get(word.casefold().strip(".,"))


def _role(sentence: str, start: int, unit: str) -> str:
    head = sentence[max(0, start - 40) : start].casefold().split()
    last = head[-1] if head else ""
    if last == "from":
        return "from"
    if last == "by" and (
        unit in {"percent", "percentage points", "basis points"}
        or (head[-2:-1] and head[-2] in _CHANGE_WORDS)
    ):
        return "by"
    return "to"


def _qualifier(sentence: str, lo: int, start: int) -> str:
    """An ordinal before the figure that makes it another event's: "a second shock of magnitude 7.6"."""
    for word in reversed(_WORD.findall(sentence[lo:start])[-6:]):
        if any(c.isdigit() for c in word):
            break
        if word.casefold() in QUALIFIERS:
            return QUALIFIERS[word.casefold()]
    return ""


# Counts that belong to someone named before them: a party's seats.
_HELD = frozenset({"seats"})
_NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


def named_count(reading: Reading) -> bool:
    """Whether a reading is of a quantity its words name across items: a measure, a party's seats."""
    return reading.unit in NAMED_QUANTITIES or reading.unit in _HELD


def holder_name(reading: Reading) -> str | None:
    """Whose count a reading of a held count (seats) is, as its clause names it ("Civic Alliance").

    The name before the figure, without a leading "The" or an owner before a possessive
    ("Helena Varga's Civic Alliance" is the Civic Alliance); None for other counts.
    """
    if reading.unit not in _HELD:
        return None
    runs = _NAME_RUN.findall(" ".join(reading.before))
    if not runs:
        return None
    words = runs[-1].split()
    owned = [i for i, w in enumerate(words) if w.endswith(("'s", "’s"))]
    words = words[owned[-1] + 1 :] if owned else words
    if words and words[0] == "The":
        words = words[1:]
    return " ".join(words) or None


def _qualifier_of(kind: str, sentence: str, lo: int, start: int, end: int) -> str:
    """What tells one count of its kind from another: whose seats, which area's jobs, which shock."""
    if kind in _HELD:
        return _holder(sentence, lo, start)
    if kind == JOBS_SHARE:
        return _wider_area(sentence, end)
    return _qualifier(sentence, lo, start)


def _holder(sentence: str, lo: int, start: int) -> str:
    """Whose count it is: the last word of the last name before the figure in its clause ("alliance")."""
    runs = [m.group().split()[-1] for m in _NAME_RUN.finditer(sentence, lo, start)]
    return "of " + runs[-1].rstrip("'’s").casefold() if runs else ""


_FORECAST = re.compile(r"\b(?:could|may|might|would|expected|estimated?|forecasts?|projected|up to)\b", re.I)
_DURATIONS = frozenset(TIME_UNITS.values())
_HEAD = re.compile(r"(?: of (?:the |their |its )?| )([a-z][a-z-]+)")


def _head(sentence: str, end: int) -> str | None:
    m = _HEAD.match(sentence, end)
    if not m or m.group(1) in {"and", "or", "to", "from", "in", "on", "at", "after", "before", "for", "of"}:
        return None
    return m.group(1)


def _places(text: str) -> frozenset[str]:
    out: set[str] = set()
    for m in _PLACE.finditer(text):
        for name in (m.group("a"), m.group("b"), m.group("c")):
            if name and name not in _NOT_PLACES:
                out.add(name)
    return frozenset(out)


def _spans(sentence: str, figures: Sequence[Figure]) -> list[tuple[int, int, str, str | None]]:
    """(start, end, value, unit) of each figure: the number reader's (`figures`), then bare counts."""
    out: list[tuple[int, int, str, str | None]] = []
    cursor = 0
    for figure in figures:
        at = sentence.find(figure.value, cursor)
        if at < 0:
            continue
        out.append((at, at + len(figure.value), figure.value, figure.unit))
        cursor = at + len(figure.value)
    for m in FIGURE_NUMBER.finditer(sentence):
        if any(s <= m.start() < e for s, e, _, _ in out) or _NOT_BARE.match(sentence[m.end() :]):
            continue
        if re.search(rf"{MONTH} ?$", sentence[max(0, m.start() - 12) : m.start()]):
            continue
        digits = m.group()
        if digits.isdigit() and 1000 <= int(digits) <= 2199:
            continue
        if _is_age(sentence[: m.start()], sentence[m.end() :]):
            continue
        out.append((m.start(), m.end(), digits, None))
    # A count spelled out, read as a bare number: "the toll rose to four on Wednesday".
    for m in _SPELLED.finditer(sentence):
        if not any(s <= m.start() < e for s, e, _, _ in out):
            out.append((m.start(), m.end(), m.group(), None))
    return sorted(out)


_VOTE_NUMBER = rf"(?:\d{{1,3}}|{WORD_NUMBER_PATTERN})"
_VOTE = re.compile(
    rf"\b(?P<a>{_VOTE_NUMBER})(?P<votes>\s+votes?)?(?:\s*[-–]\s*|\s+to\s+)(?P<b>{_VOTE_NUMBER})\b",
    re.IGNORECASE,
)
_VOTE_BEFORE = re.compile(r"\b(?:ruled|ruling|voted|vote|decision|verdict|majority)\s+(?:by\s+)?(?:a\s+)?$")
_VOTE_AFTER = re.compile(r"\s+(?:vote|decision|ruling|verdict|majority)\b")
VOTE = "vote"
"""The measure of a split vote ("ruled 7-2", "by six votes to three"): a named quantity."""


def _votes(sentence: str) -> list[tuple[int, int, str, FigureValue, str, str, tuple[int, int]]]:
    """Each split vote the sentence gives: its two numbers, the smaller as low, read for comparing.

    Only in the words of a vote ("votes", "ruled", "a 7-2 decision"): "won 4-2" is a score.
    """
    out = []
    for m in _VOTE.finditer(sentence):
        before, after = sentence[max(0, m.start() - 40) : m.start()], sentence[m.end() : m.end() + 20]
        if not (m["votes"] or _VOTE_BEFORE.search(before) or _VOTE_AFTER.match(after)):
            continue
        a, b = (int(x) if x.isdigit() else word_number(x) for x in (m["a"], m["b"]))
        amount = FigureValue(low=float(min(a, b)), high=float(max(a, b)), unit="")
        out.append((m.start(), m.end(), m.group(), amount, VOTE, "to", _clause(sentence, m.start(), m.end())))
    return out


# An election's turnout, named in the figure's clause just before it or right after it.
_TURNOUT_BEFORE = re.compile(r"\bturnout\b[^,;.]{0,30}$", re.IGNORECASE)
_TURNOUT_AFTER = re.compile(
    r"\s+turnout\b"
    r"|\s+of\s+(?:the\s+)?(?:registered\s+|eligible\s+)?(?:voters|electorate)\s+(?:took part|voted|cast)\b",
    re.IGNORECASE,
)
# A share of all the jobs somewhere: "about a quarter of all jobs in Altenweiler", "15 percent of employment".
_OF_JOBS = re.compile(r"\s+of\s+(?:all\s+|the\s+)?(?:jobs|employment)\b", re.IGNORECASE)
# A share of the jobs of an area wider than a town is another quantity: "in the region".
_WIDER_AREA = re.compile(
    r"\s+of\s+(?:all\s+|the\s+)?(?:jobs|employment)\s+(?:in|across)\s+(?:the\s+|its\s+)?"
    r"(?P<area>region|province|state|county|country|nation)\b",
    re.IGNORECASE,
)


def _wider_area(sentence: str, end: int) -> str:
    """What wider area a share of jobs is of ("in region"); "" for a town's, named or not ("in Kettleby")."""
    m = _WIDER_AREA.match(sentence, end)
    return f"in {m['area'].casefold()}" if m else ""


_FRACTIONS = {"half": 50.0, "third": 100 / 3, "quarter": 25.0, "fifth": 20.0}
# A share in words: "about a quarter of all jobs", "two-thirds of the vote", "half of the town".
# "A quarter" or "half" counts only before "of" ("the first quarter" is three months);
# "two-thirds" and "seven in ten" are shares wherever they stand.
_FRACTION = re.compile(
    r"\b(?:(?:(?:a|one)[- ](?P<one>half|third|quarter|fifth)|(?P<half>half))(?= of\b)"
    r"|(?P<many>two|three|four)[- ](?P<parts>thirds|quarters|fifths)\b"
    r"|(?P<n>one|two|three|four|five|six|seven|eight|nine) in (?P<m>three|four|five|ten)\b)",
    re.IGNORECASE,
)


def _fractions(sentence: str) -> list[tuple[int, int, str, FigureValue, str, str, tuple[int, int]]]:
    """Each share the sentence gives in words, read as a percentage: "a quarter of all jobs" is 25 percent.

    "Nearly seven in ten nurses" is 70 percent, "more than two-thirds" 66.7: two outlets'
    wordings of one result are one value (see `amounts.same_amount`).
    """
    out = []
    for m in _FRACTION.finditer(sentence):
        if m["one"] or m["half"]:
            share = _FRACTIONS[(m["one"] or m["half"]).casefold()]
        elif m["many"]:
            share = word_number(m["many"]) * _FRACTIONS[m["parts"].casefold().rstrip("s")]
        else:
            n = 1 if m["n"].casefold() == "one" else word_number(m["n"])
            share = 100 * n / word_number(m["m"])
            if share >= 100:
                continue  # "four in three" is no share
        amount = FigureValue(low=round(share, 6), high=round(share, 6), unit="percent")
        lo, hi = _clause(sentence, m.start(), m.end())
        kind = _share_of(sentence, lo, m.start(), m.end())
        out.append((m.start(), m.end(), m.group(), amount, kind, "to", (lo, hi)))
    return out


def _share_of(sentence: str, lo: int, start: int, end: int) -> str:
    """What a percentage at `start:end` is a share of, when its words name it; else "percent".

    "15 percent of employment in the town" is a place's share of jobs; "turnout stood at
    61.9 percent" and "a 63 percent turnout" are a turnout.
    """
    if _OF_JOBS.match(sentence, end):
        return JOBS_SHARE
    if _TURNOUT_BEFORE.search(sentence, lo, start) or _TURNOUT_AFTER.match(sentence, end):
        return TURNOUT
    return "percent"


# A whole after its part: "34 of the 81 seats", "39 of the assembly's 81 seats".
_OF_A_TOTAL = re.compile(r"\bof (?:the|its|their) (?:[\w-]+['’]s )?$")
_PART_OF = re.compile(r"\s+of (?:the |its |their )(?:[\w-]+['’]s )?")
# Only a spelled number that counts no noun of its own: "rose to four on Wednesday", not "three factories".
_SPELLED = re.compile(
    rf"\b(?:{WORD_NUMBER_PATTERN})\b(?=\s*[,.;]|\s+(?:on|in|at|by|after|before|as|and|from|when|while)\b)"
)


def _is_age(before: str, after: str) -> bool:
    return bool(
        _AGE_AFTER.match(after)
        or _AGED_BEFORE.search(before)
        or (_NAME_THEN_COMMA.search(before) and _COMMA_AFTER.match(after))
    )


# A count still being made: "with about 70 percent of ballots counted", "provisional results",
# "the count will not finish until Tuesday".
_UNFINISHED = re.compile(
    r"\b(?:provisional|preliminary|partial|incomplete) "
    r"(?:results?|counts?|figures|tally|returns|turnout|manifest|passenger list|estimates?)\b"
    r"|\bwith (?:about |around |nearly |almost |some |roughly |over |more than )?[0-9]+(?:\.[0-9]+)?"
    r" ?(?:percent|per cent|%) of (?:the )?"
    r"(?:ballots|votes|precincts|polling stations|districts|constituencies)"
    r"(?: \w+)? (?:counted|in|tallied|reporting)\b"
    r"|\bcount(?:ing)?(?: of [\w' ]{1,30})? (?:is still|was still|still|continues|continued|"
    r"will not (?:finish|end|be complete))\b",
    re.IGNORECASE,
)


def unfinished_report(text: str) -> bool:
    """Whether an article reports a count still being made: an election's first returns.

    Its figures are a stage of the count. A later day's report of the final figure
    updates them rather than contradicting them: the governing party's 30 seats with 70
    percent of ballots counted, then 27 when the count was done, is a change over days.
    """
    return _UNFINISHED.search(text) is not None


def places_of_report(text: str) -> frozenset[str]:
    """The places an article's first sentence names: where its counts are, when a sentence does not say."""
    return _places(text.split(". ")[0][:300])


def readings(
    sentence: str,
    report_day: str | None,
    report_places: frozenset[str] = frozenset(),
    tokens: frozenset[str] | None = None,
    unfinished: bool = False,
) -> list[Reading]:
    """The quantities a sentence states, each figure once, in reading order.

    A bare number counts only when a measure word stands near it in its clause ("the
    number of dead at 2,065"); a figure with a unit always counts. A forecast of a count
    ("the toll could exceed 10,000") is not a count and is left out. A count that names no
    place is taken for the report's (`report_places`). `tokens` are the sentence's
    `content_tokens` when the caller has them: a clause that is the whole sentence reuses them.
    Every reading has its day, so that the figures of a count still being made (`unfinished`,
    see `unfinished_report`) can be told apart from a later day's.
    """
    figures = find_figures(sentence)
    spans = _spans(sentence, figures)
    found: list[tuple[int, int, str, FigureValue, str, str, tuple[int, int]]] = []
    for n, (start, end, value, unit) in enumerate(spans):
        number = value
        if _OF_A_TOTAL.search(sentence, max(0, start - 40), start):
            continue  # "34 of the 81 seats", "two short of the 41 it needs": a whole, not the count
        if unit is None and n + 1 < len(spans) and spans[n + 1][3] is not None:
            # The part of a whole counts what the whole does: "34 of the 81 seats" is 34 seats.
            whole_start, whole_end, _, whole_unit = spans[n + 1]
            if _PART_OF.fullmatch(sentence, end, whole_start):
                value, unit, number = sentence[start:whole_end], whole_unit, value
        lo, hi = _clause(sentence, start, end)
        measure = _measure(sentence, start, end, lo, hi)
        amount = parse_value(number, unit)
        if amount is None or (unit is None and measure is None):
            continue
        if canonical_unit(unit) in _COUNTED_PEOPLE["without power"] and (
            _POWER_UNIT.search(value) or _WITHOUT_POWER.search(sentence, lo, hi)
        ):
            measure = "without power"  # "61,500 electricity customers", "homes still without power"
        if measure in _COUNTED_PEOPLE and canonical_unit(unit) not in _COUNTED_PEOPLE[measure]:
            measure = None
        if measure == "magnitude" and unit is not None:
            measure = None
        if canonical_unit(unit) in {"spectators", "fans"}:
            measure = "attendance"
        if measure in GROWING and _FORECAST.search(" ".join(_WORD.findall(sentence[lo:start])[-4:])):
            continue
        kind = measure or canonical_unit(unit) or amount.unit
        if kind == "percent":
            kind = _share_of(sentence, lo, start, end)
        found.append((start, end, value, amount, kind, _role(sentence, start, kind), (lo, hi)))
    for m in _ORDINAL.finditer(sentence):
        if m.group("what").casefold() in _TIME_NOUNS:
            continue  # "the 80th minute" is when something happened, not a count
        lo, hi = _clause(sentence, m.start(), m.end())
        amount = FigureValue(low=float(m.group("n")), high=float(m.group("n")), unit="")
        value = sentence[m.start() : m.start("what") - 1]
        found.append((m.start(), m.end(), value, amount, "ordinal: " + m.group("what"), "to", (lo, hi)))
    found.extend(_votes(sentence))
    found.extend(_fractions(sentence))
    found.sort(key=lambda f: f[0])
    out: list[Reading] = []
    for start, end, value, amount, kind, role, (lo, hi) in found:
        partner = None
        if role == "to":
            partner = next(
                (
                    a.low
                    for s, _, _, a, k, r, clause in found
                    if r == "from" and k == kind and clause == (lo, hi) and abs(s - start) < 40
                ),
                None,
            )
        clause_text = sentence[lo:hi]
        day = day_of_count(clause_text)
        period = _own_period(value) or _period(figures, value)
        whole = tokens if clause_text == sentence else None
        clause_tokens = whole if whole is not None else content_tokens(clause_text)
        out.append(
            Reading(
                value=value,
                amount=amount,
                unit=kind,
                role=role,
                partner=partner,
                period=(period or "").casefold(),
                period_label=period,
                qualifier=_qualifier_of(kind, sentence, lo, start, end),
                places=_places(clause_text) or (report_places if kind in GROWING else frozenset()),
                head=_head(sentence, end) if kind in _DURATIONS else None,
                when=day or report_day,
                before=tuple(sentence[lo:start].split()),
                tokens=clause_tokens,
                reported=report_day,
                unfinished=unfinished,
            )
        )
    return out


@functools.lru_cache(maxsize=4096)
def _own_period(value: str) -> str | None:
    """The period a figure's own words give ("May"); cached, as a day repeats its few values."""
    return next((f.period for f in find_figures(value) if f.period), None)


def _period(figures: Sequence[Figure], value: str) -> str | None:
    for figure in figures:
        if figure.value == value:
            return figure.period
    return None


def close(a: float, b: float) -> bool:
    """Whether two values are one, up to float noise."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _compatible(a: Reading, b: Reading) -> bool:
    """Same measure, role, period and places: nothing says they are different quantities."""
    if a.unit != b.unit or not a.unit or a.role != b.role or a.role == "from":
        return False
    if a.period != b.period or a.qualifier != b.qualifier or a.head != b.head:
        return False
    return not (a.places and b.places and a.places != b.places)


def same_quantity(a: Reading, b: Reading, *, same_item: bool) -> bool:
    """Whether two readings (of different sources) are values of one quantity.

    A change's starting level identifies it ("to 30% from 145%" and "to 80 percent from 145
    percent"); a named measure (deaths, magnitude) or a growing count (homes, hectares)
    with the same places does too; other
    figures only inside one merged item, and only when their clauses speak alike.
    """
    if not _compatible(a, b):
        return False
    if a.partner is not None and b.partner is not None:
        return close(a.partner, b.partner)
    if a.unit in NAMED_QUANTITIES or a.unit.startswith("ordinal: "):
        return True
    return same_item and _jaccard(a.tokens, b.tokens) >= 0.25


def timeline_pair(a: Reading, b: Reading) -> bool:
    """Whether two values of one count are of different days: a change, not a conflict.

    A growing count given for different days, or where a day is unknown; or a count still
    being made (see `unfinished_report`) and another day's value of it.
    """
    if a.growing:
        return a.when is None or b.when is None or not same_day(a, b)
    return (a.unfinished or b.unfinished) and None not in (a.when, b.when) and not same_day(a, b)


def same_day(a: Reading, b: Reading) -> bool:
    """Whether two readings are of one day: by their own days, else by their reports' days.

    "On Wednesday" in one report and "March 4" in another name days that cannot be put
    in order; the reports' days (March 4 both) can.
    """
    if a.when == b.when:
        return True
    if a.when is None or b.when is None or in_time_order([a.when, b.when]) is not None:
        return False
    return a.reported is not None and a.reported == b.reported


def common_phrase(phrases: Sequence[tuple[str, ...]]) -> str | None:
    """The longest run of two or more words, not starting or ending on a small word, most phrases share."""
    small = {"the", "a", "an", "of", "on", "in", "to", "its", "their", "and", "for", "from", "will", "down"}
    counts: dict[tuple[str, ...], int] = {}
    spelled: dict[tuple[str, ...], str] = {}
    for words in phrases:
        clean = [w.strip(",;:()") for w in words]
        keys = [comparable(w) for w in clean]
        seen: set[tuple[str, ...]] = set()
        for i in range(len(keys)):
            for j in range(i + 2, min(len(keys), i + 8) + 1):
                key = tuple(keys[i:j])
                if key[0] in small or key[-1] in small or key in seen:
                    continue
                seen.add(key)
                counts[key] = counts.get(key, 0) + 1
                spelled.setdefault(key, " ".join(clean[i:j]))
    shared = [(n, len(k), spelled[k]) for k, n in counts.items() if n >= 2]
    if not shared:
        return None
    return max(shared, key=lambda t: (t[0], t[1], [-ord(c) for c in t[2]]))[2]
