"""Claims merging: the same claim told by several sources becomes one `MergedClaim`.

Claims are clustered greedily in content order, each joining the most similar earlier
cluster, with a lower similarity bar when the claims share figures. A cluster's
statement is its best-supported member's; members that give another value for the
same quantity are kept apart as a figure `Discrepancy` instead of being cited for it.
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
    MergedClaim,
    MergedEntity,
)
from briefing.merge.disagreements import Disagreement, Located, find_disagreements
from briefing.merge.numbers import same_value
from briefing.merge.quantities import Reading, day_of_report, readings
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
    readings: list[Reading] = field(default_factory=list)
    english: bool = True
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
        day = day_of_report(e.article.text, e.article.published)
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
            items.append(
                ClaimItem(
                    article_id=e.article.id,
                    rank=rank,
                    claim=claim,
                    tokens=content_tokens(claim.statement),
                    basis=_basis(f"{periods} {claim.statement} {claim.evidence}"),
                    readings=readings(claim.statement, day),
                    english=english,
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
    variants = _variant_map(entities)
    located = [
        Located(item=n, article_id=item.article_id, cluster=cluster_of[n], reading=r)
        for n, item in enumerate(items)
        for r in item.readings
    ]
    disagreements = find_disagreements(located)
    # In each item, sources giving a minority value are kept out of its citations.
    disputing: dict[int, set[str]] = {}
    for d in disagreements:
        for group in d.values[1:]:
            for loc in group:
                disputing.setdefault(loc.cluster, set()).add(loc.article_id)
    claims = [
        _merged_claim(members, items, centrality[c], n_articles, index, variants, disputing.get(c, set()))
        for c, members in enumerate(clusters)
    ]
    discrepancies = [_discrepancy(d, items, claims, cluster_of) for d in disagreements]
    return claims, sorted(discrepancies, key=lambda d: d.id)


def _centrality(neighbours: list[list[int]], index: TokenIndex, cluster_of: list[int], n: int) -> list[float]:
    """LexRank-style degree centrality: how much of the story's vocabulary a cluster shares with others."""
    degree = [0.0] * n
    for i, candidates in enumerate(neighbours):
        for j in candidates:
            if cluster_of[i] != cluster_of[j]:
                degree[cluster_of[i]] += index.similarity(i, j)
    top = max(degree, default=0.0) or 1.0
    return [round(d / top, 6) for d in degree]


def _variant_map(entities: list[MergedEntity]) -> list[tuple[re.Pattern[str], str]]:
    """Whole-word patterns that rewrite a variant spelling to the entity's canonical name."""
    out: list[tuple[re.Pattern[str], str]] = []
    for entity in entities:
        canonical_last = entity.name.split()[-1]
        for variant in entity.variants[1:]:
            if len(variant.split()) > 1:
                out.append((re.compile(rf"\b{re.escape(variant)}\b"), entity.name))
            elif variant != canonical_last and variant not in entity.name.split():
                out.append((re.compile(rf"\b{re.escape(variant)}\b"), canonical_last))
    return sorted(out, key=lambda p: (-len(p[0].pattern), p[0].pattern))


_QUOTATION = re.compile(r"([\"“«„][^\"“”«»„]*[\"”»])")


def _canonical_names(text: str, variants: list[tuple[re.Pattern[str], str]]) -> str:
    """Rewrite variant spellings to the canonical name, never inside quotation marks.

    A quotation must stay verbatim, misspelling included, or it is no longer a quotation.
    """
    parts = _QUOTATION.split(text)
    for i in range(0, len(parts), 2):
        for pattern, name in variants:
            parts[i] = pattern.sub(name, parts[i])
    return "".join(parts)


def _merged_claim(
    positions: list[int],
    items: list[ClaimItem],
    centrality: float,
    n_articles: int,
    index: TokenIndex,
    variants: list[tuple[re.Pattern[str], str]],
    disputing: set[str],
) -> MergedClaim:
    members = [items[p] for p in positions]
    # The best-supported value wins the statement; articles that give another value for one
    # of its quantities are kept as a discrepancy instead of being cited for it.
    candidates = [p for p in positions if items[p].article_id not in disputing] or positions

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
        statement=_canonical_names(rep.claim.statement, variants),
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
    d: Disagreement, items: list[ClaimItem], claims: list[MergedClaim], cluster_of: list[int]
) -> Discrepancy:
    """The disagreement as the brief shows it, linked both ways with the items that carry it."""
    values: list[DiscrepancyValue] = []
    for group in d.values:
        evidence: dict[str, Evidence] = {}
        for loc in sorted(group, key=lambda x: (x.article_id, items[x.item].sort_key)):
            evidence.setdefault(
                loc.article_id, Evidence(article_id=loc.article_id, text=items[loc.item].claim.evidence)
            )
        shown = min(group, key=lambda x: (len(x.reading.value), x.reading.value)).reading.value
        values.append(
            DiscrepancyValue(value=shown, article_ids=sorted(evidence), evidence=list(evidence.values()))
        )
    claim_ids = sorted({claims[cluster_of[n]].id for n in d.items})
    digest = hashlib.sha256(
        "\n".join(f"{v.value}:{','.join(v.article_ids)}" for v in values).encode("utf-8")
    ).hexdigest()[:10]
    discrepancy = Discrepancy(
        id=f"d-{digest}", kind="figure", subject=d.subject, values=values, claim_ids=claim_ids
    )
    for claim in claims:
        if claim.id in claim_ids and discrepancy.id not in claim.discrepancy_ids:
            claim.discrepancy_ids = sorted([*claim.discrepancy_ids, discrepancy.id])
    return discrepancy
