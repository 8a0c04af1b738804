"""The label-based metrics of `briefing eval`: what a brief says, scored against a cluster's labels.

Pure functions of a finished `Brief` (and the statements it shows, `shown_statements`) and
its `Labels`; `briefing.check.evaluate` runs them and gathers a `ClusterScore`. Each is
built so that it can fail: a brief that repeats a fact, pairs two different quantities or
respells a name scores lower, and `missed` says which item did it.

- **key-fact coverage**: a fact counts when all its `keywords` occur in the shown statements
  (joined), or all the words of one of its `phrasings` occur in one shown statement;
  compared after folding typography, case and diacritics to ASCII. The lines of the counts
  over time and of the disagreements count as shown statements: "homes: 38 (Tuesday) →
  112 (Wednesday)" tells the reader the fire has destroyed 112 homes.
- **redundancy**: the claims shown (lede, then sections, each claim once) in reading order;
  an item is redundant when it states a labelled fact that an earlier item already stated.
  An item states a fact when it holds all the words of one of the fact's `phrasings` (its
  `keywords` when it has none). Target 0.
- **discrepancy recall**: share of labelled disagreements (not `time_dependent`) that the
  brief shows with the same kind and the same set of values (values compared by
  `same_label_value`). Time-dependent ones are reported apart.
- **discrepancy precision**: share of the disagreements the brief shows whose values all
  belong to one labelled, not time-dependent disagreement of the same kind: one quantity. A
  shown disagreement that mixes two quantities, pairs two wordings of one role, or sets
  counts of different days against each other (a timeline) is a false one. A timeline the
  brief shows as one (kind `timeline`) is not a disagreement: it counts towards
  `time_dependent_found` (the time-dependent labels found) instead.
- **canonical-name accuracy**: share of the labelled `canonical_names` the brief shows
  (as an entity or in a statement) that it spells right everywhere: the merged entity is
  named with the gold spelling, and each shown statement uses it, except that a statement
  cited to one source alone may keep that source's own spelling when its evidence has it
  (never rewrite what is attributed to a source). Compared after folding typography and
  case, not diacritics (`Erdoğan` and `Erdogan` are two spellings).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from briefing.check.labels import CanonicalName, KeyFact, LabelledDiscrepancy, Labels
from briefing.check.verify import Shown
from briefing.contracts import Brief, Discrepancy
from briefing.merge.numbers import numbers_in, parse_value
from briefing.text import comparable

__all__ = [
    "Ratio",
    "Redundancy",
    "ascii_fold",
    "canonical_name_accuracy",
    "discrepancy_scores",
    "key_fact_coverage",
    "redundancy",
    "same_label_value",
    "table_lines",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ratio(_Model):
    hits: int
    total: int
    value: float = Field(description="hits / total, 1.0 when total is 0.")
    missed: list[str] = Field(default_factory=list, description="What did not count as a hit, and why.")

    @classmethod
    def of(cls, hits: int, total: int, missed: Iterable[str] = ()) -> Ratio:
        return cls(hits=hits, total=total, value=hits / total if total else 1.0, missed=list(missed))


class Redundancy(_Model):
    items: int = Field(description="Claims shown (lede and sections), each counted once.")
    redundant: int = Field(description="Items restating a labelled fact an earlier item stated (target 0).")
    repeats: list[str] = Field(default_factory=list, description="Each redundant item and what it repeats.")


class DiscrepancyScores(_Model):
    recall: Ratio
    precision: Ratio
    time_dependent_found: Ratio
    spurious_values: list[str]
    paired_wrongly: list[str]


def ascii_fold(text: str) -> str:
    """Typography, case and diacritics folded: 'Kahramanmaraş' -> 'kahramanmaras'."""
    decomposed = unicodedata.normalize("NFKD", comparable(text).replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _has_all(words: Sequence[str], folded_text: str) -> bool:
    return bool(words) and all(ascii_fold(w) in folded_text for w in words)


def _states(fact: KeyFact, folded_item: str) -> bool:
    """Whether one shown item states the fact (see the module docstring)."""
    return any(_has_all(p, folded_item) for p in fact.phrasings or [fact.keywords])


def key_fact_coverage(shown: Sequence[Shown], facts: Sequence[KeyFact], tables: Sequence[str] = ()) -> Ratio:
    """`tables` are the lines of the counts over time and the disagreements, which a reader sees too."""
    items = [ascii_fold(s.text) for s in shown] + [ascii_fold(line) for line in tables]
    text = "\n".join(items)

    def covered(fact: KeyFact) -> bool:
        return _has_all(fact.keywords, text) or any(_has_all(p, i) for p in fact.phrasings for i in items)

    missed = [f.fact for f in facts if not covered(f)]
    return Ratio.of(len(facts) - len(missed), len(facts), missed)


def table_lines(brief: Brief) -> list[str]:
    """The counts over time and the disagreements as a reader sees them: subject, then values."""
    return [
        f"{d.subject}: " + " · ".join(f"{v.value} ({v.when})" if v.when else v.value for v in d.values)
        for d in brief.discrepancies
    ]


def redundancy(brief: Brief, facts: Sequence[KeyFact]) -> Redundancy:
    claims = {c.id: c for c in brief.claims}
    placed = [("lede", i) for i in brief.lede_claim_ids] + [
        (s.title, i) for s in brief.sections for i in s.claim_ids
    ]
    first_said: dict[str, str] = {}
    seen_ids: set[str] = set()
    repeats: list[str] = []
    items = 0
    for where, claim_id in placed:
        if claim_id in seen_ids or claim_id not in claims:
            continue
        seen_ids.add(claim_id)
        items += 1
        statement = claims[claim_id].statement
        folded = ascii_fold(statement)
        stated = [f.fact for f in facts if _states(f, folded)]
        again = [fact for fact in stated if fact in first_said]
        if again:
            repeats.append(f"{where}: restates {again[0]!r} (first in {first_said[again[0]]}): {statement}")
        for fact in stated:
            first_said.setdefault(fact, where)
    return Redundancy(items=items, redundant=len(repeats), repeats=repeats)


def same_label_value(a: str, b: str) -> bool:
    """Whether a labelled value and a brief's value are the same report.

    Labels write values bare ('1,600') where the brief may keep the noun ('1,600 deaths'):
    the numbers must agree one for one ('4-2' is not '4-1'), and the units too when both
    name one.
    """
    if "".join(a.split()).casefold() == "".join(b.split()).casefold():
        return True
    numbers_a = [n.absolute for n in numbers_in(a)]
    if not numbers_a or numbers_a != [n.absolute for n in numbers_in(b)]:
        return False
    value_a, value_b = parse_value(a), parse_value(b)
    units = {v.unit for v in (value_a, value_b) if v is not None and v.unit}
    return len(units) <= 1


def _values_match(labelled: Sequence[str], found: Sequence[str]) -> bool:
    return all(any(same_label_value(v, f) for f in found) for v in labelled) and all(
        any(same_label_value(v, f) for v in labelled) for f in found
    )


def _within(found: Sequence[str], labelled: Sequence[str]) -> bool:
    return all(any(same_label_value(v, f) for v in labelled) for f in found)


def _shown(d: Discrepancy) -> str:
    return f"{d.kind}: {d.subject}: " + " · ".join(v.value for v in d.values)


def discrepancy_scores(brief: Brief, labels: Labels) -> DiscrepancyScores:
    # A timeline the brief shows as such (kind "timeline") is no disagreement: it is scored
    # against the time-dependent labels only.
    shown_disagreements = [d for d in brief.discrepancies if d.kind != "timeline"]
    found = [(d.kind, [v.value for v in d.values]) for d in shown_disagreements]
    shown_timelines = [
        ("figure", [v.value for v in d.values]) for d in brief.discrepancies if d.kind == "timeline"
    ]
    disagreements = [d for d in labels.discrepancies if not d.time_dependent]
    timelines = [d for d in labels.discrepancies if d.time_dependent]

    def present(d: LabelledDiscrepancy) -> bool:
        pool = shown_timelines if d.time_dependent else found
        return any(kind == d.kind and _values_match(d.values, values) for kind, values in pool)

    def ratio(items: list[LabelledDiscrepancy]) -> Ratio:
        missed = [f"{d.kind}: {d.subject} {d.values}" for d in items if not present(d)]
        return Ratio.of(len(items) - len(missed), len(items), missed)

    false: list[str] = []
    for shown in shown_disagreements:
        values = [v.value for v in shown.values]
        if any(d.kind == shown.kind and _within(values, d.values) for d in disagreements):
            continue
        timeline = any(d.kind == shown.kind and _within(values, d.values) for d in timelines)
        why = "a timeline shown as a disagreement" if timeline else "matches no labelled disagreement"
        false.append(f"{why}: {_shown(shown)}")
    spurious = [
        v
        for _, values in found
        for v in values
        if any(same_label_value(v, bad) for bad in labels.not_discrepancy_values)
    ]
    paired = [
        f"{a} / {b}: {_shown(shown)}"
        for a, b in labels.not_discrepancy_pairs
        for shown in shown_disagreements
        if all(any(same_label_value(x, v.value) for v in shown.values) for x in (a, b))
    ]
    return DiscrepancyScores(
        recall=ratio(disagreements),
        precision=Ratio.of(len(found) - len(false), len(found), false),
        time_dependent_found=ratio(timelines),
        spurious_values=spurious,
        paired_wrongly=paired,
    )


def _spellings_in(text: str, spellings: Sequence[str]) -> list[str]:
    """The labelled spellings written in `text`, longest first, each occurrence once."""
    rest = comparable(text)
    out: list[str] = []
    for spelling in sorted(spellings, key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(comparable(spelling))}(?!\w)")
        for _ in pattern.finditer(rest):
            out.append(spelling)
        rest = pattern.sub(lambda m: " " * len(m.group()), rest)
    return out


def _name_problems(label: CanonicalName, brief: Brief, shown: Sequence[Shown]) -> tuple[bool, list[str]]:
    """(whether the brief shows the name at all, each place it is spelled wrong)."""
    spellings = [label.name, *label.variants]
    keys = {comparable(s) for s in spellings}
    gold = comparable(label.name)
    problems: list[str] = []
    present = False
    for entity in brief.entities:
        if keys & {comparable(v) for v in entity.variants}:
            present = True
            if comparable(entity.name) != gold:
                problems.append(f"{label.name}: entity named {entity.name!r}")
    for s in shown:
        written = _spellings_in(s.text, spellings)
        if not written:
            continue
        present = True
        own: list[str] = []
        if len(set(s.article_ids)) == 1:
            evidence = " ".join(e.text for e in s.evidence if e.article_id in s.article_ids)
            own = _spellings_in(evidence, spellings)
        allowed = {comparable(x) for x in own} or {gold}
        wrong = [w for w in written if comparable(w) not in allowed]
        problems += [f"{label.name}: {s.where} writes {w!r}: {s.text}" for w in wrong]
    return present, problems


def canonical_name_accuracy(
    brief: Brief, shown: Sequence[Shown], names: Sequence[CanonicalName]
) -> tuple[Ratio, list[str]]:
    """The share of labelled names shown that are spelled right everywhere, and the names not shown."""
    hits = total = 0
    missed: list[str] = []
    absent: list[str] = []
    for label in names:
        present, problems = _name_problems(label, brief, shown)
        if not present:
            absent.append(label.name)
            continue
        total += 1
        if problems:
            missed.extend(problems)
        else:
            hits += 1
    return Ratio(hits=hits, total=total, value=hits / total if total else 1.0, missed=missed), absent
