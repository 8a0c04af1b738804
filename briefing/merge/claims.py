"""Claims merging: the same claim told by several sources becomes one `MergedClaim`.

Claims are clustered greedily in content order, each joining the most similar earlier
cluster, with a lower similarity bar when the claims share figures. A cluster's
statement is its best-supported member's; members that give another value for the
same quantity are kept apart as a figure `Discrepancy` instead of being cited for it.
Statements keep their source's words; `names.py` decides where canonical spellings go.
Deterministic: the same extractions in any order give the same claims.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from briefing.check.grounding import quotations
from briefing.contracts import (
    Claim,
    ClaimCategory,
    Discrepancy,
    DiscrepancyValue,
    Evidence,
    ExtractedArticle,
    MergedClaim,
    MergedEntity,
)
from briefing.merge.amounts import is_bound, same_amount
from briefing.merge.days import day_of_report
from briefing.merge.disagreements import (
    Disagreement,
    Located,
    find_disagreements,
    find_timelines,
)
from briefing.merge.meaning import Meaning
from briefing.merge.numbers import same_value
from briefing.merge.periods import MONTH
from briefing.merge.quantities import (
    NAMED_QUANTITIES,
    Reading,
    places_of_report,
    readings,
    same_quantity,
    timeline_pair,
    unfinished_report,
)
from briefing.merge.similarity import SAMPLE_SIZE, TokenIndex, content_tokens
from briefing.text import comparable

__all__ = ["ClaimItem", "Thresholds", "claim_items", "merge_claims"]

_BASIS_PATTERNS = (
    (
        "year",
        re.compile(
            r"year[- ]on[- ]year|year[- ]over[- ]year|\byoy\b|from a year (?:earlier|ago)|annual", re.I
        ),
        ("year", "yoy", "annual"),
    ),
    (
        "month",
        re.compile(
            r"month[- ]on[- ]month|from the previous month"
            r"|compared (?:to|with) (?:january|february|march|april|may|june|july|august|september|october"
            r"|november|december)\b(?! \d{4})"
            r"|from (?:january|february|march|april|june|july|august|september|october|november|december)\b",
            re.I,
        ),
        ("month", "compared", "from"),
    ),
)
"""Each basis, its pattern, and the words one of which every match holds (lower-cased, the
only case-insensitive spelling of their letters), looked for before the pattern is run."""


SUBJECT_WORDS = 6
"""A person named within a statement's first words is taken for whom it is about."""


@dataclass(frozen=True)
class Thresholds:
    """How similar two claims must be to be one: less when they share figures (see `MergeOptions`)."""

    same_claim: float
    same_quantity: float
    same_figures: float
    same_meaning: float = 0.68
    """Cosine similarity of two English statements' embeddings from which they may be one claim..."""
    same_meaning_words: float = 0.3
    """... when they also share this much of their words (IDF-weighted Jaccard)."""
    same_meaning_alone: float = 0.75
    """Cosine similarity from which two English statements may be one claim on meaning alone."""


@dataclass
class ClaimItem:
    """One claim of one article, as the merge sees it."""

    article_id: str
    rank: int
    claim: Claim
    tokens: frozenset[str]
    basis: str | None
    readings: list[Reading] = field(default_factory=list)
    english: bool = True
    days: frozenset[str] = frozenset()
    """The weekdays the statement names, dates included when the year is known ("June 9" -> Monday)."""
    sort_key: tuple[str, str, int] = field(init=False)
    units: frozenset[str] = field(init=False)
    dates: frozenset[str] = field(init=False)
    """The dates the statement names ("June 9"), case-folded, read once for `_same_time`."""
    ordinals: frozenset[str] = field(init=False)
    """Its ordinal words ("second"), case-folded: "the first day" is not "the second day"."""
    counts: tuple[Reading, ...] = field(init=False)
    """Its readings of growing counts (deaths, injured): those of another day make another fact."""

    def __post_init__(self) -> None:
        self.sort_key = (comparable(self.claim.statement), self.article_id, self.rank)
        self.units = frozenset(f.unit.casefold() for f in self.claim.figures)
        self.dates = _found(_DATE, self.claim.statement)
        self.ordinals = _found(_ORDINAL_WORD, self.claim.statement)
        self.counts = tuple(r for r in self.readings if r.growing)


def _basis(text: str) -> str | None:
    lowered = text.lower()
    for name, pattern, words in _BASIS_PATTERNS:
        if any(w in lowered for w in words) and pattern.search(text):
            return name
    return None


def claim_items(articles: Sequence[ExtractedArticle], date: str | None = None) -> list[ClaimItem]:
    """Every claim of every article, with what the merge compares; `date` (the brief's) dates "June 9"."""
    items: list[ClaimItem] = []
    for e in articles:
        day = day_of_report(e.article.text, e.article.published)
        places = places_of_report(e.article.text)
        unfinished = unfinished_report(e.article.text)
        english = (e.meta.translated_to or e.article.language or "en").split("-")[0] == "en"
        claims = list(e.extraction.claims)
        known = {comparable(c.evidence) for c in claims}
        # Interpretation points rest on evidence too; one not already a claim becomes an analysis claim.
        for point in e.extraction.interpretation:
            if comparable(point.evidence) not in known:
                claims.append(
                    Claim(statement=point.text, category=ClaimCategory.analysis, evidence=point.evidence)
                )
                known.add(comparable(point.evidence))
        for rank, claim in enumerate(claims):
            periods = " ".join(f.period or "" for f in claim.figures)
            tokens = content_tokens(claim.statement)
            items.append(
                ClaimItem(
                    article_id=e.article.id,
                    rank=rank,
                    claim=claim,
                    tokens=tokens,
                    basis=_basis(f"{periods} {claim.statement} {claim.evidence}"),
                    readings=readings(claim.statement, day, places, tokens, unfinished),
                    english=english,
                    days=_weekdays(claim.statement, e.article.published or date),
                )
            )
    return sorted(items, key=lambda i: i.sort_key)


def _figures_compatible(a: ClaimItem, b: ClaimItem) -> bool:
    """Two claims can be one fact only if their numbers measure the same kind of thing the same way."""
    if a.basis and b.basis and a.basis != b.basis:
        return False
    return not (a.units and b.units and a.units.isdisjoint(b.units))


def _share_figure(a: ClaimItem, b: ClaimItem) -> bool:
    """Whether the two give figures in one unit that, when both are read as quantities, count one thing.

    "300 people had been rescued" and "nine people had died" both count people, but one
    counts the rescued and the other the dead: that lowers no bar to merge them.
    """
    if not any(f.unit.casefold() == g.unit.casefold() for f in a.claim.figures for g in b.claim.figures):
        return False
    return not (a.readings and b.readings) or any(r.unit == q.unit for r in a.readings for q in b.readings)


def _three_same_figures(a: ClaimItem, b: ClaimItem) -> bool:
    """Whether b states at least three of a's figures with the same value (rarely chance)."""
    if min(len(a.claim.figures), len(b.claim.figures)) < 3:
        return False  # the common case, decided without comparing values
    return sum(1 for f in a.claim.figures if any(same_value(f, g) for g in b.claim.figures)) >= 3


def merge_claims(
    items: list[ClaimItem],
    entities: list[MergedEntity],
    thresholds: Thresholds,
    meaning: Meaning | None = None,
) -> tuple[list[MergedClaim], list[Discrepancy]]:
    """Greedy clustering in content order: each claim joins the most similar earlier cluster.

    Two claims are alike when they share enough words (less when they share figures), or,
    both in English, when `meaning` says they mean alike and nothing they name contradicts
    it: the people they name, the days they give. A different value for one quantity is no
    reason to keep claims apart: it becomes a disagreement inside the item.
    """
    index = TokenIndex([i.tokens for i in items])
    # Each claim's candidate list serves both the clustering and the centrality below.
    neighbours = [index.candidates(i, min_shared=1) for i in range(len(items))]
    people = _people(items, entities)
    names = _people(items, entities, kinds=None)
    subjects = _people(items, entities, SUBJECT_WORDS)
    close = meaning.neighbours(thresholds.same_meaning) if meaning is not None else [[] for _ in items]
    cluster_of: list[int] = [-1] * len(items)
    clusters: list[list[int]] = []
    cluster_articles: list[set[str]] = []
    for i, item in enumerate(items):
        best, best_sim = -1, 0.0
        # A statement that gives no day, date, ordinal or growing count is of the same time as any.
        timeless = not (item.days or item.dates or item.ordinals or item.counts)
        alike = dict(close[i])
        for j in sorted(set(neighbours[i]) | set(alike)):
            if j >= i or cluster_of[j] < 0:
                continue
            other = items[j]
            if not _figures_compatible(item, other):
                continue
            if item.article_id in cluster_articles[cluster_of[j]]:
                continue
            sim = index.similarity(i, j)
            same_people = bool(subjects[i]) and subjects[i] == subjects[j]
            if (
                j in alike
                and _alike(alike[j], sim, same_people, thresholds)
                and _compatible(item, other, people[i], people[j])
                and not (names[i] and names[j] and names[i].isdisjoint(names[j]))
                and not _disjoint_names(item.claim.statement, other.claim.statement)
            ):
                sim = max(sim, alike[j])
            elif _three_same_figures(item, other):
                sim = sim if sim >= thresholds.same_figures else 0.0
            elif _share_figure(item, other):
                sim = sim if sim >= thresholds.same_quantity else 0.0
            else:
                sim = sim if sim >= thresholds.same_claim else 0.0
            if sim <= best_sim or sim == 0.0:
                continue
            # Against the first members only, so a fact thousands of sources report costs linear time.
            if timeless or all(
                _same_time(item, items[k]) for k in [j, *clusters[cluster_of[j]][:SAMPLE_SIZE]]
            ):
                best, best_sim = cluster_of[j], sim
        if best < 0:
            cluster_of[i] = len(clusters)
            clusters.append([i])
            cluster_articles.append({item.article_id})
        else:
            cluster_of[i] = best
            clusters[best].append(i)
            cluster_articles[best].add(item.article_id)
    found = find_disagreements(_located(items, cluster_of))
    folded, folded_of = _fold_disagreements(items, clusters, cluster_of, found)
    # When folding joins no items (most days), the disagreements just found are the answer.
    disagreements = found if folded_of == cluster_of else find_disagreements(_located(items, folded_of))
    clusters, cluster_of = folded, folded_of
    n_articles = len({i.article_id for i in items}) or 1
    centrality = _centrality(neighbours, index, cluster_of, len(clusters))
    spelling = _spelling_support(items)
    # In each item, sources giving a minority value are kept out of its citations.
    values = _Values(disagreements)
    claims = [
        _merged_claim(
            members,
            items,
            centrality[c],
            n_articles,
            index,
            values,
            meaning,
            spelling,
        )
        for c, members in enumerate(clusters)
    ]
    discrepancies = [_discrepancy(d, items, claims, cluster_of) for d in disagreements]
    timelines = [
        _discrepancy(t, items, claims, cluster_of, kind="timeline")
        for t in find_timelines(_located(items, cluster_of))
    ]
    return claims, sorted(discrepancies, key=lambda d: d.id) + sorted(timelines, key=lambda d: d.id)


_NAME_WORD = re.compile(r"\b[A-ZÀ-Þ][\w'’-]+")


def _spelling_support(items: list[ClaimItem]) -> dict[int, float]:
    """How many sources write each statement's capitalised words as it does, on average.

    Between statements equally like the rest, the one spelled as most sources spell names
    is shown ("Martínez" over one outlet's "Martines").
    """
    writers: dict[str, set[str]] = {}
    words = [set(_NAME_WORD.findall(item.claim.statement)) for item in items]
    for item, found in zip(items, words, strict=True):
        for word in found:
            writers.setdefault(word, set()).add(item.article_id)
    return {
        n: round(sum(len(writers[w]) for w in found) / len(found), 6) if found else 0.0
        for n, found in enumerate(words)
    }


class _Values:
    """Which value of each disagreement every item and every source gives."""

    def __init__(self, disagreements: list[Disagreement]) -> None:
        self._item: dict[int, dict[int, int]] = {}
        self._source: dict[str, dict[int, set[int]]] = {}
        for d, disagreement in enumerate(disagreements):
            for g, group in enumerate(disagreement.values):
                for loc in group:
                    self._item.setdefault(loc.item, {})[d] = g
                    self._source.setdefault(loc.article_id, {}).setdefault(d, set()).add(g)

    def minority(self, item: int) -> int:
        """How many of its values are not the best-supported value of their quantity."""
        return sum(1 for g in self._item.get(item, {}).values() if g != 0)

    def contradicts(self, source: str, item: int) -> bool:
        """Whether a source gives, anywhere, another value for a quantity the item states."""
        given = self._source.get(source, {})
        return any(given.get(d, {g}) - {g} for d, g in self._item.get(item, {}).items())


QUOTE_SHARE = 0.6
"""How much of a quotation's words a source must carry to be cited for it."""


def _quoted_tokens(statement: str) -> frozenset[str]:
    """The content words inside a statement's quotation marks; none when it quotes no one."""
    return frozenset().union(*(content_tokens(q) for q in quotations(statement)))


def _carries(item: ClaimItem, quoted: frozenset[str]) -> bool:
    """Whether an item's statement or evidence gives most of a quotation's words (`QUOTE_SHARE`).

    "We are still treating this as a rescue operation," Tollef said, is not in the report
    that she "said her crews had passed the board everything they had recorded".
    """
    own = content_tokens(item.claim.statement) | content_tokens(item.claim.evidence)
    return len(quoted & own) >= QUOTE_SHARE * len(quoted)


def _earlier_or_later(a: ClaimItem, b: ClaimItem) -> bool:
    """Whether a gives another day's value of a count b states: not a source for b's value.

    "The Labour-Green Union had 30 seats" with the count under way on Monday and "took
    27 seats" when it was done on Tuesday tell one fact in nearly the same words; the
    Monday report is the count's earlier value (shown over time), not a source for 27.
    """
    return any(
        r.role == q.role == "to"
        and not same_amount(r, q)
        and same_quantity(r, q, same_item=True)
        and timeline_pair(r, q)
        for r in a.readings
        for q in b.readings
    )


def _located(items: list[ClaimItem], cluster_of: list[int]) -> list[Located]:
    return [
        Located(item=n, article_id=item.article_id, cluster=cluster_of[n], reading=r)
        for n, item in enumerate(items)
        for r in item.readings
    ]


def _fold_disagreements(
    items: list[ClaimItem],
    clusters: list[list[int]],
    cluster_of: list[int],
    found: list[Disagreement],
) -> tuple[list[list[int]], list[int]]:
    """Join the items that give different values for one quantity: one fact, disputed, not two facts.

    `found` are the disagreements between the readings of `clusters`. An item is joined only
    when no source of it is already in the other: one source does not corroborate, or
    contradict, itself.
    """
    joined = [list(c) for c in clusters]
    owner = list(range(len(clusters)))

    def root(c: int) -> int:
        while owner[c] != c:
            c = owner[c]
        return c

    for d in found:
        top = d.values[0][0].reading
        if top.partner is None and top.unit not in NAMED_QUANTITIES and not top.unit.startswith("ordinal: "):
            continue  # only a quantity named beyond doubt (a measure, a change's start) joins items
        targets = sorted({cluster_of[loc.item] for group in d.values for loc in group})
        base = root(cluster_of[d.values[0][0].item])
        for c in targets:
            c = root(c)
            if c == base:
                continue
            if {items[n].article_id for n in joined[base]} & {items[n].article_id for n in joined[c]}:
                continue
            joined[base] = sorted(joined[base] + joined[c])
            joined[c] = []
            owner[c] = base
    kept = [c for c in joined if c]
    new_of = list(cluster_of)
    for number, members in enumerate(kept):
        for n in members:
            new_of[n] = number
    return kept, new_of


# Weekdays and dates are compared each with their own kind: "Monday" may well be "June 9".
_DAY_WORD = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?!['’]s)")
_DATE = re.compile(rf"\b({MONTH} [0-9]{{1,2}})\b")
_ORDINAL_WORD = re.compile(r"\b(first|second|third|fourth|fifth)\b", re.IGNORECASE)


def _weekdays(text: str, published: str | None) -> frozenset[str]:
    days = {d.casefold() for d in _DAY_WORD.findall(text)}
    year = published[:4] if published and published[:4].isdigit() else None
    for date in _DATE.findall(text) if year else ():
        try:
            when = datetime.datetime.strptime(f"{date.replace('.', '')} {year}", "%B %d %Y")
        except ValueError:
            continue
        days.add(when.strftime("%A").casefold())
    return frozenset(days)


def _found(pattern: re.Pattern[str], text: str) -> frozenset[str]:
    return frozenset(m.casefold() for m in pattern.findall(text))


def _disjoint(found_a: frozenset[str], found_b: frozenset[str]) -> bool:
    return bool(found_a and found_b and found_a.isdisjoint(found_b))


def _same_time(a: ClaimItem, b: ClaimItem) -> bool:
    """False when the statements are about different times: another day, another round, a count that grew.

    "Talks began on Monday" and "talks resumed on Tuesday", "the first day" and "the second
    day", 144 dead on Friday and 2,056 on Monday: alike in words, different facts.
    """
    if a.days and b.days and a.days.isdisjoint(b.days):
        return False
    if _disjoint(a.dates, b.dates) or _disjoint(a.ordinals, b.ordinals):
        return False
    # Only a growing count of another day makes another fact. A count still being made is the
    # same fact as its final value, and its source is not cited for it (see `_earlier_or_later`).
    return not a.counts or not any(
        timeline_pair(r, q) and same_quantity(r, q, same_item=True) for r in a.counts for q in b.readings
    )


def _people(
    items: list[ClaimItem],
    entities: list[MergedEntity],
    words: int | None = None,
    kinds: frozenset[str] | None = frozenset({"person"}),
) -> list[frozenset[str]]:
    """The people each statement names (by merged entity), any spelling or the surname alone.

    With `words`, only those named in its first words: whom the statement is about. With
    `kinds` None, every named entity (places and organisations too): statements alike in
    meaning that name different ones ("the Oslo council", "the Lyon council") are two facts.
    """
    patterns = [
        (
            e.id,
            re.compile(
                r"\b(?:"
                + "|".join(re.escape(v) for v in {*e.variants, *(v.split()[-1] for v in e.variants)})
                + r")\b"
            ),
        )
        for e in entities
        if (kinds is None or e.kind.value in kinds) and e.variants
    ]
    texts = [
        " ".join(item.claim.statement.split()[:words]) if words else item.claim.statement for item in items
    ]
    return [frozenset(eid for eid, p in patterns if p.search(text)) for text in texts]


_PROPER = re.compile(r"(?<=\s)[A-ZÀ-Þ][\w'’.-]*")


_CALENDAR = frozenset(
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
)


def _disjoint_names(a: str, b: str) -> bool:
    """Whether both statements capitalise names (past their first word) and share none of them.

    A country and its people's adjective are one name here: "Argentine television" and
    "playing for Argentina" speak of one country (see `_same_name`).
    """
    names_a = {w.rstrip(".'’s") for w in _PROPER.findall(a)} - _CALENDAR
    names_b = {w.rstrip(".'’s") for w in _PROPER.findall(b)} - _CALENDAR
    return bool(names_a and names_b) and not any(_same_name(x, y) for x in names_a for y in names_b)


_NAME_STEM = 4
"""Shortest common opening for a country and its adjective to count as one name ("Iran", "Iranian")."""


def _same_name(a: str, b: str) -> bool:
    """One name, or a place and its adjective: they differ only after all but the last letter of the shorter.

    "China"/"Chinese", "Argentina"/"Argentine", "Iran"/"Iranian"; "Austria" and
    "Australia" part at their sixth letter, so stay two names.
    """
    if a == b:
        return True
    shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return shared >= _NAME_STEM and shared >= min(len(a), len(b)) - 1


def _alike(meaning: float, words: float, same_people: bool, thresholds: Thresholds) -> bool:
    """Alike in meaning: very close, or close and sharing a fair part of their words or the same people.

    Sentence embeddings rate two reports of one event high even when they state
    different facts of it ("an inquiry was opened", "one man survived"); words keep those
    apart, and so do the people named ("Trump said" against "Trump and Xi must approve").
    """
    return meaning >= thresholds.same_meaning_alone or (
        meaning >= thresholds.same_meaning and (words >= thresholds.same_meaning_words or same_people)
    )


def _compatible(a: ClaimItem, b: ClaimItem, people_a: frozenset[str], people_b: frozenset[str]) -> bool:
    """Nothing in two statements says they are different facts: other people, other quantities.

    Statements about different people are different facts however alike they read; so are
    statements whose figures are all of different quantities (China's tariff cut against the
    US one). One quantity with two values is one fact, disputed.
    """
    if people_a and people_b and people_a.isdisjoint(people_b):
        return False
    if not a.readings or not b.readings:
        return True
    return any(same_quantity(r, q, same_item=True) for r in a.readings for q in b.readings)


def _centrality(neighbours: list[list[int]], index: TokenIndex, cluster_of: list[int], n: int) -> list[float]:
    """LexRank-style degree centrality: how much of the story's vocabulary a cluster shares with others."""
    degree = [0.0] * n
    for i, candidates in enumerate(neighbours):
        for j in candidates:
            if cluster_of[i] != cluster_of[j]:
                degree[cluster_of[i]] += index.similarity(i, j)
    top = max(degree, default=0.0) or 1.0
    return [round(d / top, 6) for d in degree]


def _merged_claim(
    positions: list[int],
    items: list[ClaimItem],
    centrality: float,
    n_articles: int,
    index: TokenIndex,
    values: _Values,
    meaning: Meaning | None,
    spelling: dict[int, float],
) -> MergedClaim:
    members = [items[p] for p in positions]

    def rank(p: int) -> tuple[int, float, float, int, tuple[str, str, int]]:
        # The statement most like the others in meaning when every member has an embedding,
        # else in words: the fact all of them tell, not one outlet's extra detail.
        m = items[p]
        alike = [meaning.similarity(p, q) for q in positions[:33] if q != p] if meaning else [None]
        if alike and None not in alike:
            support = math.fsum(x for x in alike if x is not None)
        else:
            support = index.support(p, positions)
        return (values.minority(p), -round(support, 4), -spelling[p], len(m.claim.statement), m.sort_key)

    # The statement giving the best-supported values wins; sources that give another value
    # for one of its quantities are kept as a discrepancy instead of being cited for it.
    chosen = min(positions, key=rank)
    rep = items[chosen]
    disputing = {
        m.article_id for m in members if values.contradicts(m.article_id, chosen) or _earlier_or_later(m, rep)
    } - {rep.article_id}
    # A quotation is cited only to the sources that carry its words (not whatever else its
    # speaker said).
    quoted = _quoted_tokens(rep.claim.statement)
    carrying = {m.article_id for m in members if not quoted or _carries(m, quoted)}
    elsewhere = {m.article_id for m in members} - carrying - {rep.article_id}
    cited = [m for m in members if m.article_id not in elsewhere - disputing]
    supporting = sorted({m.article_id for m in cited} - disputing)
    disputed = sorted({m.article_id for m in cited} - set(supporting))
    categories = sorted({m.claim.category for m in members}, key=lambda c: (c != rep.claim.category, c.value))
    evidence = sorted(
        {(m.article_id, m.claim.evidence) for m in cited}, key=lambda pair: (pair[0], comparable(pair[1]))
    )
    digest = hashlib.sha256(
        "\n".join(f"{a}:{comparable(t)}" for a, t in evidence).encode("utf-8")
    ).hexdigest()[:10]
    # The rank counts every outlet whose statement joined the item: each tells of it, though
    # only those carrying a quotation's words are cited for it.
    position = sum(1.0 / (1 + m.rank) for m in members) / len(members)
    all_sources = len({m.article_id for m in members})
    score = all_sources / n_articles + 0.35 * centrality + 0.15 * position
    claim = MergedClaim(
        id=f"c-{digest}",
        statement=rep.claim.statement,
        category=categories[0],
        figures=list(rep.claim.figures),
        evidence=[Evidence(article_id=a, text=t) for a, t in evidence],
        article_ids=supporting,
        disputed_by=disputed,
        source_count=len(supporting),
        single_source=len(supporting) == 1,
        score=round(score, 6),
    )
    return claim


def _discrepancy(
    d: Disagreement,
    items: list[ClaimItem],
    claims: list[MergedClaim],
    cluster_of: list[int],
    kind: Literal["figure", "timeline"] = "figure",
) -> Discrepancy:
    """The disagreement as the brief shows it, linked both ways with the items that carry it."""
    values: list[DiscrepancyValue] = []
    for group in d.values:
        evidence: dict[str, Evidence] = {}
        for loc in sorted(group, key=lambda x: (x.article_id, items[x.item].sort_key)):
            evidence.setdefault(
                loc.article_id, Evidence(article_id=loc.article_id, text=items[loc.item].claim.evidence)
            )
        # An exact figure over a bound it keeps: "176 people", not "170 people" from "more than 170".
        shown = min(
            group, key=lambda x: (is_bound(x.reading), len(x.reading.value), x.reading.value)
        ).reading.value
        values.append(
            DiscrepancyValue(
                value=shown,
                article_ids=sorted(evidence),
                evidence=list(evidence.values()),
                when=group[0].reading.when if kind == "timeline" else None,
            )
        )
    claim_ids = sorted({claims[cluster_of[n]].id for n in d.items})
    digest = hashlib.sha256(
        "\n".join([kind, *(f"{v.value}:{','.join(v.article_ids)}" for v in values)]).encode("utf-8")
    ).hexdigest()[:10]
    discrepancy = Discrepancy(
        id=f"d-{digest}", kind=kind, subject=d.subject, values=values, claim_ids=claim_ids
    )
    for claim in claims:
        if claim.id in claim_ids and discrepancy.id not in claim.discrepancy_ids:
            claim.discrepancy_ids = sorted([*claim.discrepancy_ids, discrepancy.id])
    return discrepancy
