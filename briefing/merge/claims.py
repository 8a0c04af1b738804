"""Claims merging: the same claim told by several sources becomes one `MergedClaim`.

Claims are clustered greedily in content order, each joining the most similar earlier
cluster, with a lower similarity bar when the claims share figures. A cluster's
statement is its best-supported member's; members that give another value for the
same quantity are kept apart as a figure `Discrepancy` instead of being cited for it.
Statements keep their source's words; `names.py` decides where canonical spellings go.
Deterministic: the same extractions in any order give the same claims.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from briefing.contracts import (
    Claim,
    ClaimCategory,
    Discrepancy,
    DiscrepancyValue,
    Evidence,
    ExtractedArticle,
    Figure,
    MergedClaim,
    MergedEntity,
)
from briefing.merge.numbers import conflicting, same_value
from briefing.merge.similarity import TokenIndex, content_tokens
from briefing.text import comparable

__all__ = ["ClaimItem", "Thresholds", "claim_items", "merge_claims"]

_BASIS_PATTERNS = (
    (
        "year",
        re.compile(
            r"year[- ]on[- ]year|year[- ]over[- ]year|\byoy\b|from a year (?:earlier|ago)|annual", re.I
        ),
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
    ),
)


@dataclass(frozen=True)
class Thresholds:
    """How similar two claims must be to be one: less when they share figures (see `MergeOptions`)."""

    same_claim: float
    same_quantity: float
    same_figures: float


@dataclass
class ClaimItem:
    """One claim of one article, as the merge sees it."""

    article_id: str
    rank: int
    claim: Claim
    tokens: frozenset[str]
    basis: str | None
    sort_key: tuple[str, str, int] = field(init=False)
    units: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.sort_key = (comparable(self.claim.statement), self.article_id, self.rank)
        self.units = frozenset(f.unit.casefold() for f in self.claim.figures)


def _basis(text: str) -> str | None:
    for name, pattern in _BASIS_PATTERNS:
        if pattern.search(text):
            return name
    return None


def claim_items(articles: Sequence[ExtractedArticle]) -> list[ClaimItem]:
    items: list[ClaimItem] = []
    for e in articles:
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
            items.append(
                ClaimItem(
                    article_id=e.article.id,
                    rank=rank,
                    claim=claim,
                    tokens=content_tokens(claim.statement),
                    basis=_basis(f"{periods} {claim.statement} {claim.evidence}"),
                )
            )
    return sorted(items, key=lambda i: i.sort_key)


def _figures_compatible(a: ClaimItem, b: ClaimItem) -> bool:
    """Two claims can be one fact only if their numbers measure the same kind of thing the same way."""
    if a.basis and b.basis and a.basis != b.basis:
        return False
    return not (a.units and b.units and a.units.isdisjoint(b.units))


def _share_figure(a: ClaimItem, b: ClaimItem) -> bool:
    return any(f.unit.casefold() == g.unit.casefold() for f in a.claim.figures for g in b.claim.figures)


def _three_same_figures(a: ClaimItem, b: ClaimItem) -> bool:
    """Whether b states at least three of a's figures with the same value (rarely chance)."""
    if min(len(a.claim.figures), len(b.claim.figures)) < 3:
        return False  # the common case, decided without comparing values
    return sum(1 for f in a.claim.figures if any(same_value(f, g) for g in b.claim.figures)) >= 3


def merge_claims(
    items: list[ClaimItem], entities: list[MergedEntity], thresholds: Thresholds
) -> tuple[list[MergedClaim], list[Discrepancy]]:
    """Greedy clustering in content order: each claim joins the most similar earlier cluster."""
    index = TokenIndex([i.tokens for i in items])
    # Each claim's candidate list serves both the clustering and the centrality below.
    neighbours = [index.candidates(i, min_shared=1) for i in range(len(items))]
    cluster_of: list[int] = [-1] * len(items)
    clusters: list[list[int]] = []
    cluster_articles: list[set[str]] = []
    for i, item in enumerate(items):
        best, best_sim = -1, 0.0
        for j in neighbours[i]:
            if j >= i or cluster_of[j] < 0:
                continue
            other = items[j]
            if not _figures_compatible(item, other):
                continue
            if item.article_id in cluster_articles[cluster_of[j]]:
                continue
            sim = index.similarity(i, j)
            if _three_same_figures(item, other):
                threshold = thresholds.same_figures
            elif _share_figure(item, other):
                threshold = thresholds.same_quantity
            else:
                threshold = thresholds.same_claim
            if sim >= threshold and sim > best_sim:
                best, best_sim = cluster_of[j], sim
        if best < 0:
            cluster_of[i] = len(clusters)
            clusters.append([i])
            cluster_articles.append({item.article_id})
        else:
            cluster_of[i] = best
            clusters[best].append(i)
            cluster_articles[best].add(item.article_id)
    n_articles = len({i.article_id for i in items}) or 1
    centrality = _centrality(neighbours, index, cluster_of, len(clusters))
    merged = [
        _merged_claim(members, items, centrality[c], n_articles, index) for c, members in enumerate(clusters)
    ]
    claims = [c for c, _ in merged]
    discrepancies = sorted((d for _, d in merged if d is not None), key=lambda d: d.id)
    return claims, discrepancies


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
) -> tuple[MergedClaim, Discrepancy | None]:
    members = [items[p] for p in positions]
    # The best-supported set of figures wins the statement; articles that give other values
    # for the same quantity are kept as a discrepancy instead of being cited for it.
    groups = _value_groups(members)
    disputing = {a for _, ids in groups[1:] for a in ids} - (set(groups[0][1]) if groups else set())
    candidates = [p for p in positions if items[p].article_id not in disputing]

    def rank(p: int) -> tuple[float, int, tuple[str, str, int]]:
        m = items[p]
        return (-round(index.support(p, positions), 9), len(m.claim.statement), m.sort_key)

    rep = items[min(candidates, key=rank)]
    supporting = sorted({items[p].article_id for p in candidates})
    disputed = sorted({m.article_id for m in members} - set(supporting))
    categories = sorted({m.claim.category for m in members}, key=lambda c: (c != rep.claim.category, c.value))
    evidence = sorted(
        {(m.article_id, m.claim.evidence) for m in members}, key=lambda pair: (pair[0], comparable(pair[1]))
    )
    digest = hashlib.sha256(
        "\n".join(f"{a}:{comparable(t)}" for a, t in evidence).encode("utf-8")
    ).hexdigest()[:10]
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
    discrepancy = _figure_discrepancy(claim, groups) if disputed else None
    if discrepancy is not None:
        claim.discrepancy_ids = [discrepancy.id]
    return claim, discrepancy


def _conflicting_units(a: list[Figure], b: list[Figure]) -> list[str]:
    """Units both lists give a figure in, where no value of one matches a value of the other."""
    units = sorted({f.unit.casefold() for f in a} & {g.unit.casefold() for g in b})
    return [
        u
        for u in units
        if not any(
            same_value(f, g) or not conflicting(f, g)
            for f in a
            if f.unit.casefold() == u
            for g in b
            if g.unit.casefold() == u
        )
    ]


def _value_groups(members: list[ClaimItem]) -> list[tuple[list[Figure], list[str]]]:
    """Group members whose figures agree; the group most articles support comes first."""
    groups: list[tuple[list[Figure], list[str]]] = []
    # Members stating the very same figures join the same group: look it up, do not search.
    group_of: dict[tuple[tuple[str, str], ...], int] = {}
    for m in members:
        if not m.claim.figures:
            continue
        signature = tuple(
            sorted((f.unit.casefold(), " ".join(f.value.casefold().split())) for f in m.claim.figures)
        )
        index = group_of.get(signature)
        if index is None:
            index = next(
                (
                    i
                    for i, (figures, _) in enumerate(groups)
                    if not _conflicting_units(figures, m.claim.figures)
                ),
                len(groups),
            )
            if index == len(groups):
                groups.append((list(m.claim.figures), []))
            group_of[signature] = index
        ids = groups[index][1]
        if m.article_id not in ids:
            ids.append(m.article_id)
    return sorted(groups, key=lambda g: (-len(g[1]), [f.value for f in g[0]]))


def _figure_discrepancy(
    claim: MergedClaim, groups: list[tuple[list[Figure], list[str]]]
) -> Discrepancy | None:
    main_figures, main_ids = groups[0]
    evidence = {e.article_id: e for e in claim.evidence}
    values: list[DiscrepancyValue] = []
    shown_main: list[Figure] = []
    for figures, ids in groups[1:]:
        units = _conflicting_units(main_figures, figures)
        theirs = [f for f in figures if f.unit.casefold() in units]
        shown_main += [f for f in main_figures if f.unit.casefold() in units and f not in shown_main]
        values.append(_value(theirs, ids, evidence))
    if not values:
        return None
    values.insert(0, _value(shown_main, main_ids, evidence))
    return Discrepancy(
        id=f"d-{claim.id[2:]}",
        kind="figure",
        subject=_subject(claim.statement, shown_main),
        values=values,
        claim_ids=[claim.id],
    )


def _value(figures: list[Figure], ids: list[str], evidence: dict[str, Evidence]) -> DiscrepancyValue:
    return DiscrepancyValue(
        value=", ".join(f.value for f in figures),
        article_ids=sorted(ids),
        evidence=[evidence[a] for a in sorted(ids) if a in evidence],
    )


def _subject(statement: str, figures: list[Figure]) -> str:
    """A short subject for a discrepancy line: the statement up to its first figure, plus the period."""
    text = re.split(r"\s(?:by|to|of|from|at)\s[\d$€£]|\s[\d$€£]", statement, maxsplit=1)[0]
    words = text.split()
    subject = " ".join(words[:12]).rstrip(",;:") + ("…" if len(words) > 12 else "")
    period = next((f.period for f in figures if f.period), None)
    return f"{subject} ({period})" if period else subject
