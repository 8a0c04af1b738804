"""Disagreements: sources giving different values for one quantity, named in words.

Every figure of every claim is read as a quantity (`briefing.merge.quantities`); two
readings from different sources conflict when they are one quantity, their values differ,
and neither source also states the other's value. Conflicts are joined into one
disagreement per quantity, and every source agreeing with one of its values is cited for
that value. A growing count given for different days is a timeline, never a conflict.

The label names the quantity, not the sentence: the measure with its places and day
("deaths in Myanmar, Monday"), or the words the sources share before the figure
("tariff on Chinese goods").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from briefing.merge.amounts import same_amount
from briefing.merge.days import in_time_order
from briefing.merge.quantities import (
    NAMED_QUANTITIES,
    Reading,
    common_phrase,
    holder_name,
    named_count,
    same_day,
    same_quantity,
    timeline_pair,
)
from briefing.merge.units import terms

__all__ = ["Disagreement", "Located", "find_disagreements", "find_timelines"]

_MEASURE_WORDS = {
    "deaths": "deaths",
    "injured": "injured",
    "missing": "missing",
    "magnitude": "magnitude",
    "attendance": "attendance",
    "vote": "vote",
    "evacuated": "people evacuated",
    "rescued": "people rescued",
    "on strike": "workers on strike",
    "homes": "homes",
    "without power": "homes without power",
    "hectares": "area in hectares",
    "acres": "area in acres",
    "share of jobs": "share of jobs",
    "turnout": "turnout",
}
_QUALIFIER_WORDS = {
    "second": "of the second shock",
    "aftershock": "of the aftershock",
    "third": "of the third",
}


@dataclass(frozen=True)
class Located:
    """A reading with where it stands: the claim item, its article and its merged cluster."""

    item: int
    article_id: str
    cluster: int
    reading: Reading


@dataclass
class Disagreement:
    """One quantity, its values (most-supported first), each with the readings that give it."""

    subject: str
    values: list[list[Located]]

    @property
    def items(self) -> set[int]:
        return {loc.item for group in self.values for loc in group}


def _conflict(a: Located, b: Located, stated: dict[tuple[int, str], list[Reading]]) -> bool:
    if a.article_id == b.article_id or same_amount(a.reading, b.reading):
        return False
    if not same_quantity(a.reading, b.reading, same_item=a.cluster == b.cluster):
        return False
    if timeline_pair(a.reading, b.reading):
        return False
    # A source that states both values is speaking of two things, not disagreeing.
    mine = stated[(a.item, a.reading.unit)]
    theirs = stated[(b.item, b.reading.unit)]
    return not any(same_amount(r, b.reading) for r in mine) and not any(
        same_amount(r, a.reading) for r in theirs
    )


def _value(reading: Reading, n: int) -> tuple[float, float] | int:
    """A reading's value, to tell readings of one value apart cheaply; `n` when not finite (equals none)."""
    low, high = reading.amount.low, reading.amount.high
    return (low, high) if math.isfinite(low) and math.isfinite(high) else n


def _agrees(a: Located, b: Located) -> bool:
    return (
        same_amount(a.reading, b.reading)
        and same_quantity(a.reading, b.reading, same_item=a.cluster == b.cluster)
        and not (a.reading.growing and not same_day(a.reading, b.reading))
    )


def _buckets(located: Sequence[Located]) -> list[list[int]]:
    """Readings that may be one quantity, so that only those are compared (not every pair).

    Figures of one merged item with the same unit, role, period and qualifier; across
    items, changes from the same starting level ("from 145%"), and named measures
    (deaths, magnitude); the only pairs `same_quantity` can accept.
    """
    buckets: dict[tuple[object, ...], list[int]] = {}
    for n, loc in enumerate(located):
        r = loc.reading
        if r.role == "from":
            continue
        base = (r.unit, r.role, r.period, r.qualifier, r.head)
        buckets.setdefault(("item", loc.cluster, *base), []).append(n)
        if r.partner is not None:
            buckets.setdefault(("change", round(r.partner, 9), *base), []).append(n)
        if r.unit in NAMED_QUANTITIES or r.unit.startswith("ordinal: "):
            buckets.setdefault(("measure", *base), []).append(n)
    return [members for _, members in sorted(buckets.items(), key=lambda kv: repr(kv[0]))]


def _conflict_components(
    located: Sequence[Located], buckets: list[list[int]], stated: dict[tuple[int, str], list[Reading]]
) -> list[list[int]]:
    """The readings that conflict with another of their bucket, joined through their conflicts.

    Each component is sorted, and they come in the order of their first reading. Only the
    components matter, so a pair is tested only when it could join two of them or bring a
    reading into one: never two readings of one value (they cannot conflict), nor a pair
    already inside one component. A bucket of a thousand readings of a few values then
    costs thousands of tests, not half a million.
    """
    parent = list(range(len(located)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    in_conflict: set[int] = set()

    def settled(members: list[int], start: int, root: int, tail: int) -> int | None:
        """Whether every reading from `start` on already conflicts and is in `root`'s component.

        `members[tail:]` are known to (in the component of the last): only the readings
        before them are looked at. Returns the new `tail` when they all are, else None.
        """
        if tail < len(members) and find(members[-1]) != root:
            return None
        if all(n in in_conflict and find(n) == root for n in members[start:tail]):
            return min(start, tail)
        return None

    for members in buckets:
        values = [_value(located[n].reading, n) for n in members]
        if len(set(values)) < 2:
            continue
        tail = len(members)
        for i, a in enumerate(members):
            if a in in_conflict and settled(members, i + 1, find(a), tail) is not None:
                break  # every pair left in the bucket is inside one component
            joined = a in in_conflict
            for j in range(i + 1, len(members)):
                b = members[j]
                if values[j] == values[i]:
                    continue
                if a in in_conflict and b in in_conflict and find(a) == find(b):
                    continue
                if _conflict(located[a], located[b], stated):
                    parent[find(a)] = find(b)
                    in_conflict.update((a, b))
                    if not joined:
                        joined = True
                        known = settled(members, j + 1, find(a), tail)
                        if known is not None:
                            tail = known
                            break
    components: dict[int, list[int]] = {}
    for n in sorted(in_conflict):
        components.setdefault(find(n), []).append(n)
    return list(components.values())


def find_disagreements(located: Sequence[Located]) -> list[Disagreement]:
    """Every quantity the sources give different values for, in a deterministic order."""
    stated: dict[tuple[int, str], list[Reading]] = {}
    for loc in located:
        stated.setdefault((loc.item, loc.reading.unit), []).append(loc.reading)
    buckets = _buckets(located)
    # The buckets each reading is in: its mates are their members (kept as buckets, not as one
    # set per reading, which would grow with the square of a large bucket).
    bucket_of: dict[int, list[int]] = {}
    for b, members in enumerate(buckets):
        for n in members:
            bucket_of.setdefault(n, []).append(b)
    out: list[Disagreement] = []
    for members in _conflict_components(located, buckets, stated):
        groups: list[list[int]] = []
        for n in members:
            group = next((g for g in groups if same_amount(located[g[0]].reading, located[n].reading)), None)
            if group is None:
                groups.append([n])
            else:
                group.append(n)
        taken = set(members)
        near = {b for m in members for b in bucket_of[m]}
        for n in sorted(set().union(*(buckets[b] for b in near)) - taken):
            for group in groups:
                if any(_agrees(located[n], located[other]) for other in group):
                    group.append(n)
                    break
        claimed: dict[str, int] = {}
        for number, g in sorted(
            enumerate(groups), key=lambda ng: -len({located[x].article_id for x in ng[1]})
        ):
            for n in g:
                claimed.setdefault(located[n].article_id, number)
        values = [
            [located[n] for n in g if claimed[located[n].article_id] == number]
            for number, g in enumerate(groups)
        ]
        values = [g for g in values if g]
        if len(values) < 2:
            continue
        values.sort(
            key=lambda g: (-len({x.article_id for x in g}), g[0].reading.amount.low, g[0].reading.value)
        )
        out.append(Disagreement(subject=_subject(values), values=values))
    return sorted(out, key=lambda d: (min(d.items), d.subject))


def _subject(values: list[list[Located]]) -> str:
    """The quantity in words: the measure, places and day, or the words its sources share."""
    top = values[0][0].reading
    period = top.period_label
    if top.unit in _MEASURE_WORDS:
        words = _MEASURE_WORDS[top.unit]
        if top.qualifier:
            words += " " + _QUALIFIER_WORDS.get(top.qualifier, "")
        named: dict[str, set[str]] = {}
        for loc in (loc for g in values for loc in g):
            for place in loc.reading.places:
                named.setdefault(place, set()).add(loc.article_id)
        sources = {loc.article_id for g in values for loc in g}
        places = sorted(p for p, ids in named.items() if 2 * len(ids) >= len(sources))
        if places:
            words += " in " + " and ".join(places)
        when = top.when if top.growing else None
        return f"{words}, {when}" if when else words
    if top.unit.startswith("ordinal: "):
        return f"which {top.unit.removeprefix('ordinal: ')}"
    holders = sorted(
        Counter(name for g in values for loc in g if (name := holder_name(loc.reading))).items(),
        key=lambda pair: (-pair[1], -len(pair[0]), pair[0]),
    )
    if holders:
        return f"{holders[0][0]} {top.unit}"  # "Civic Alliance seats"
    befores = [loc.reading.before for g in values for loc in g]
    clauses = [_local(b) for b in befores]
    phrase = common_phrase(clauses) or common_phrase(befores) or _tail(clauses[0]) or f"figure in {top.unit}"
    return f"{phrase} ({period})" if period else phrase


def _local(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a clause after its last comma or colon: where the figure's noun phrase is."""
    for i in range(len(words) - 1, -1, -1):
        if words[i].endswith((",", ":")):
            return words[i + 1 :]
    return words


_VERBS = frozenset(
    terms(
        "is, was, were, are, be, been, will, would, has, have, had, fell, rose, fall, rise, dropped, "
        "drop, cut, put, said, says, showed, reached, stood, climbed, passed, came, come, lower, "
        "lowered, reduce, reduced"
    )
)


def _tail(words: tuple[str, ...]) -> str | None:
    """The noun phrase before the first verb of a clause ("US duties on imports from China")."""
    out: list[str] = []
    for word in words:
        if word.casefold() in _VERBS:
            break
        out.append(word)
    while out and out[0].casefold() in {"the", "a", "an"}:
        out = out[1:]
    return " ".join(out) if 1 <= len(out) <= 8 else None


def find_timelines(located: Sequence[Located]) -> list[Disagreement]:
    """Counts given for two or more days: one value a day, in the order of the days.

    Days that cannot be put in order (a weekday beside a date) leave the values in the
    order they rose, as the counts that are followed over days mostly do. One value given
    for two days is no timeline.

    Readings are one count when their measure, qualifier and places agree; a reading that
    names no place belongs to the count of its measure when there is only one. A day's
    value is the one most of its sources give (a disagreement on that day is shown apart).
    Besides the growing counts, a named count still being made is followed to its later
    values: a party's seats with 70 percent of ballots counted, then when the count was
    done (not the 70 percent, which names no quantity other reports give).
    """
    dated = [loc for loc in located if loc.reading.when and loc.reading.role != "from"]
    unfinished = {
        _count_key(loc.reading) for loc in dated if loc.reading.unfinished and named_count(loc.reading)
    }
    keyed: dict[tuple[str, str, frozenset[str]], list[Located]] = {}
    for loc in dated:
        r = loc.reading
        if r.growing or _count_key(r) in unfinished:
            keyed.setdefault(_count_key(r), []).append(loc)
    for key in [k for k in keyed if not k[2]]:
        named = [k for k in keyed if k[:2] == key[:2] and k[2]]
        if len(named) == 1:
            keyed[named[0]] += keyed.pop(key)
    out: list[Disagreement] = []
    for (unit, qualifier, places), members in keyed.items():
        days: dict[str, list[list[Located]]] = {}
        by_report = _by_report_day(members)
        for loc in members:
            when = (loc.reading.reported if by_report else loc.reading.when) or ""
            groups = days.setdefault(when, [])
            group = next((g for g in groups if same_amount(g[0].reading, loc.reading)), None)
            if group is None:
                groups.append([loc])
            elif loc.article_id not in {x.article_id for x in group}:
                group.append(loc)
        if len(days) < 2:
            continue
        chosen = [
            min(groups, key=lambda g: (-len(g), g[0].reading.amount.low, g[0].reading.value))
            for groups in days.values()
        ]
        if len({g[0].reading.amount.low for g in chosen}) < 2:
            continue  # one value given for two days is one count, not a change
        chosen.sort(key=_in_order_of_days(chosen))
        if unit in _MEASURE_WORDS:
            words = _MEASURE_WORDS[unit]
            if qualifier:
                words += " " + _QUALIFIER_WORDS.get(qualifier, "")
            if places:
                words += " in " + " and ".join(sorted(places))
        else:
            words = _subject(chosen)  # what the sources call it: "Labour-Green Union", "turnout"
        out.append(Disagreement(subject=words, values=chosen))
    return sorted(out, key=lambda d: (min(d.items), d.subject))


def _by_report_day(members: Sequence[Located]) -> bool:
    """Whether a count's values go on their reports' days: their own cannot be ordered, and those can."""
    own = [loc.reading.when or "" for loc in members]
    reported = [loc.reading.reported or "" for loc in members]
    return in_time_order(own) is None and in_time_order(reported) is not None


def _in_order_of_days(groups: list[list[Located]]) -> Callable[[list[Located]], tuple[object, ...]]:
    """How to sort a count's values of each day: by their days, else their reports' days, else as they rose.

    "31 missing on Monday" and "twenty-two on March 4" name their days in two ways that
    cannot be put in order; the reports that give them, of March 3 and March 4, can.
    """
    order = in_time_order([g[0].reading.when or "" for g in groups])
    if order:
        return lambda g: (order[g[0].reading.when or ""],)
    reported = in_time_order([g[0].reading.reported or "" for g in groups])
    if reported:
        return lambda g: (reported[g[0].reading.reported or ""], g[0].reading.amount.low)
    return lambda g: (g[0].reading.amount.low, g[0].reading.when or "")


def _count_key(reading: Reading) -> tuple[str, str, frozenset[str]]:
    """What makes readings one count over days: measure, qualifier (whose, which shock) and places."""
    return (reading.unit, reading.qualifier, reading.places)
