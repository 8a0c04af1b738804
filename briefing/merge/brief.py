"""Merge: many `ExtractedArticle`s -> one `Brief`. Deterministic, no model, no I/O.

Sources are compared, not blended. Claims that say the same thing become one item
that cites every article behind it; the same quantity reported with different
values stays visible as a discrepancy; names spelled differently become one entity
(see `entities.py`). Everything is sorted by content before it is compared, so the
same extractions in any order give byte-identical output.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from briefing.contracts import (
    SCHEMA_VERSION,
    ArticleReport,
    Brief,
    BriefInterpretation,
    Claim,
    ClaimCategory,
    Discrepancy,
    DiscrepancyValue,
    Evidence,
    ExtractedArticle,
    Figure,
    InputProblem,
    MergedClaim,
    MergedEntity,
    RunReport,
    Section,
    SourceRef,
    Usage,
)
from briefing.extract.model.pricing import PRICES_AS_OF, estimate_cost
from briefing.ingest.language import DEFAULT_LANGUAGE, is_foreign
from briefing.merge.entities import EntityInput, merge_entities, role_conflicts
from briefing.merge.numbers import conflicting, same_value
from briefing.merge.similarity import TokenIndex, content_tokens
from briefing.text import comparable

__all__ = ["MergeOptions", "merge"]

# Section titles for the Highlights part, in reading order.
SECTION_TITLES: tuple[tuple[str, tuple[ClaimCategory, ...]], ...] = (
    ("What happened", (ClaimCategory.event,)),
    ("The numbers", (ClaimCategory.figure,)),
    ("What was said", (ClaimCategory.quote, ClaimCategory.reaction)),
    ("Background", (ClaimCategory.background,)),
    ("What comes next", (ClaimCategory.outlook,)),
)
# Analysis is the sources' reading of events: it goes to Interpretation, never to Highlights.
INTERPRETATION_CATEGORIES = (ClaimCategory.analysis,)
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
class MergeOptions:
    """Knobs of the merge; the defaults are tuned on the labelled examples in tests/."""

    same_claim: float = 0.42
    same_quantity: float = 0.22
    same_figures: float = 0.1
    max_highlights: int = 12
    max_per_section: int = 4
    max_interpretation: int = 4
    lede_claims: int = 2


@dataclass
class _Item:
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


def merge(
    extracted: Sequence[ExtractedArticle],
    *,
    date: str | None = None,
    problems: Sequence[InputProblem] = (),
    options: MergeOptions | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> Brief:
    """Build the brief from every article's extraction; order of `extracted` does not matter."""
    options = options or MergeOptions()
    articles = sorted(extracted, key=lambda e: (e.article.source.casefold(), e.article.title, e.article.id))
    sources = [
        SourceRef(
            number=n,
            article_id=e.article.id,
            source=e.article.source,
            title=e.article.title,
            published=e.article.published,
            url=e.article.url,
            language=e.article.language,
            translated=e.meta.translated_to is not None,
            copies=e.article.copies,
            backend=e.meta.backend,
            model=e.meta.model,
            fallback_reason=e.meta.fallback_reason,
        )
        for n, e in enumerate(articles, start=1)
    ]
    entities = merge_entities(
        [
            EntityInput(name=ent.name, kind=ent.kind, role=ent.role, article_id=e.article.id)
            for e in articles
            for ent in e.extraction.entities
            if ent.name.strip()
        ]
    )
    items = _items(articles)
    claims, figure_discrepancies = _merge_claims(items, entities, options)
    discrepancies = figure_discrepancies + _role_discrepancies(entities)
    ranked = sorted(claims, key=lambda c: (-c.score, c.id))
    foreign = frozenset(e.article.id for e in articles if not _in_language(e, language))
    interpretation = _interpretation(ranked, articles, options)
    lede_ids, sections = _sections(ranked, {i for p in interpretation for i in p.claim_ids}, options, foreign)
    backends = sorted({e.meta.backend.value for e in articles})
    # Models tried, including those whose articles fell back: the header must say a model was used.
    models = sorted({e.meta.model for e in articles if e.meta.model})
    prompt_versions = sorted({e.meta.prompt_version for e in articles if e.meta.prompt_version})
    return Brief(
        headline=_headline(articles, language),
        date=date,
        language=language,
        lede_claim_ids=lede_ids,
        backend="+".join(sorted(backends, key=lambda b: b != "model")) if backends else "none",
        models=models,
        prompt_version=prompt_versions[0] if len(prompt_versions) == 1 else None,
        schema_version=SCHEMA_VERSION,
        sources=sources,
        entities=entities,
        claims=ranked,
        sections=sections,
        interpretation=interpretation,
        discrepancies=discrepancies,
        report=_report(articles, problems),
    )


def _basis(text: str) -> str | None:
    for name, pattern in _BASIS_PATTERNS:
        if pattern.search(text):
            return name
    return None


def _items(articles: Sequence[ExtractedArticle]) -> list[_Item]:
    items: list[_Item] = []
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
                _Item(
                    article_id=e.article.id,
                    rank=rank,
                    claim=claim,
                    tokens=content_tokens(claim.statement),
                    basis=_basis(f"{periods} {claim.statement} {claim.evidence}"),
                )
            )
    return sorted(items, key=lambda i: i.sort_key)


def _figures_compatible(a: _Item, b: _Item) -> bool:
    """Two claims can be one fact only if their numbers measure the same kind of thing the same way."""
    if a.basis and b.basis and a.basis != b.basis:
        return False
    return not (a.units and b.units and a.units.isdisjoint(b.units))


def _share_figure(a: _Item, b: _Item) -> bool:
    return any(f.unit.casefold() == g.unit.casefold() for f in a.claim.figures for g in b.claim.figures)


def _three_same_figures(a: _Item, b: _Item) -> bool:
    """Whether b states at least three of a's figures with the same value (rarely chance)."""
    if min(len(a.claim.figures), len(b.claim.figures)) < 3:
        return False  # the common case, decided without comparing values
    return sum(1 for f in a.claim.figures if any(same_value(f, g) for g in b.claim.figures)) >= 3


def _merge_claims(
    items: list[_Item], entities: list[MergedEntity], options: MergeOptions
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
                threshold = options.same_figures
            elif _share_figure(item, other):
                threshold = options.same_quantity
            else:
                threshold = options.same_claim
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
    merged = [
        _merged_claim(members, items, centrality[c], n_articles, index, variants)
        for c, members in enumerate(clusters)
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
    items: list[_Item],
    centrality: float,
    n_articles: int,
    index: TokenIndex,
    variants: list[tuple[re.Pattern[str], str]],
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


def _value_groups(members: list[_Item]) -> list[tuple[list[Figure], list[str]]]:
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


def _role_discrepancies(entities: list[MergedEntity]) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    for entity in entities:
        if len(entity.roles) < 2 or not role_conflicts(entity.roles):
            continue
        by_role: dict[str, set[str]] = defaultdict(set)
        for mention in entity.mentions:
            if mention.role:
                by_role[mention.role.strip()].add(mention.article_id)
        values = [
            DiscrepancyValue(value=role, article_ids=sorted(ids), evidence=[])
            for role, ids in sorted(by_role.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]
        out.append(Discrepancy(id=f"d-{entity.id[2:]}", kind="role", subject=entity.name, values=values))
    return out


def _sections(
    ranked: list[MergedClaim],
    interpreted: set[str],
    options: MergeOptions,
    foreign: frozenset[str] = frozenset(),
) -> tuple[list[str], list[Section]]:
    """The lede and the sections under it.

    The lede opens the brief, so it comes from claims a reader of the brief's language
    can read when there are any: not only from untranslated sources in another language
    (those still rank as usual in the sections, marked with their language).
    """
    highlights = [
        c for c in ranked if c.category not in INTERPRETATION_CATEGORIES and c.id not in interpreted
    ]
    readable = [c for c in highlights if not set(c.article_ids) <= foreign] or highlights
    lede_pool = [c for c in readable if c.category in (ClaimCategory.event, ClaimCategory.background)]
    lede = [c.id for c in (lede_pool or readable)[: options.lede_claims]]
    remaining = [c for c in highlights if c.id not in lede][: options.max_highlights]
    sections: list[Section] = []
    for title, categories in SECTION_TITLES:
        ids = [c.id for c in remaining if c.category in categories][: options.max_per_section]
        if ids:
            sections.append(Section(title=title, claim_ids=ids))
    return lede, sections


def _interpretation(
    ranked: list[MergedClaim], articles: Sequence[ExtractedArticle], options: MergeOptions
) -> list[BriefInterpretation]:
    """Interpretation points: the sources' own analysis, each resting on the claims that carry it."""
    leads: dict[str, str] = {}
    points: set[str] = set()
    for e in articles:
        for point in e.extraction.interpretation:
            leads.setdefault(comparable(point.evidence), point.lead.strip())
            points.add(comparable(point.evidence))
    out: list[BriefInterpretation] = []
    used_leads: set[str] = set()
    for claim in ranked:
        keys = [comparable(e.text) for e in claim.evidence]
        if claim.category not in INTERPRETATION_CATEGORIES and not points.intersection(keys):
            continue
        lead = next((leads[k] for k in keys if k in leads and leads[k].casefold() not in used_leads), None)
        lead = lead or _lead_from(claim.statement)
        if lead.casefold() in used_leads:
            continue  # the same speaker or point again, in other words: one line is enough
        used_leads.add(lead.casefold())
        out.append(
            BriefInterpretation(
                lead=lead, text=claim.statement, claim_ids=[claim.id], article_ids=claim.article_ids
            )
        )
        if len(out) >= options.max_interpretation:
            break
    return out


def _lead_from(statement: str) -> str:
    """A lead phrase when no source gave one: who is speaking, or the sentence's opening words."""
    match = re.match(r"^(.{3,60}?)\s(?:said|says|warned|noted|argued|expects?|believes?)\b", statement)
    if match:
        return f"{match.group(1).rstrip(',')}'s view"
    words = statement.rstrip(".").split()
    return " ".join(words[:5]) + ("…" if len(words) > 5 else "")


def _cost(articles: Sequence[ExtractedArticle]) -> dict[str, Any]:
    """The run's estimated model cost, if every model that was called has a known price."""
    spent = [(e.meta.model or "", e.meta.usage, e.meta.batch) for e in articles if e.meta.attempts]
    if not spent:
        return {}
    costs = [estimate_cost(model, usage, batch=batch) for model, usage, batch in spent]
    if any(c is None for c in costs):
        return {}
    return {"estimated_cost_usd": sum(c or 0.0 for c in costs), "prices_as_of": PRICES_AS_OF}


def _in_language(extracted: ExtractedArticle, language: str) -> bool:
    """Whether an extraction reads in `language`: written in it, translated to it, or of unknown language."""
    return not is_foreign(extracted.meta.translated_to or extracted.article.language, language)


def _headline(articles: Sequence[ExtractedArticle], language: str) -> str:
    """The headline most like the others: the story all sources tell, not one outlet's angle.

    An extraction without a headline (the evidence check empties one it cannot support)
    stands for its article's own title. Headlines in another language than the brief's
    (an untranslated source) are only used when there is no other.
    """
    readable = [e for e in articles if _in_language(e, language)]
    chosen = readable or articles
    headlines = sorted({(e.extraction.headline.strip() or e.article.title.strip()) for e in chosen} - {""})
    if not headlines:
        return "News brief"
    tokens = [content_tokens(h) for h in headlines]
    index = TokenIndex(tokens, max_df_share=1.0)
    everyone = range(len(headlines))
    best = min(
        everyone, key=lambda i: (-round(index.support(i, everyone), 9), len(headlines[i]), headlines[i])
    )
    return headlines[best]


def _report(articles: Sequence[ExtractedArticle], problems: Sequence[InputProblem]) -> RunReport:
    reports = [
        ArticleReport(
            article_id=e.article.id,
            source=e.article.source,
            backend=e.meta.backend,
            attempts=e.meta.attempts,
            usage=e.meta.usage,
            claims_extracted=len(e.extraction.claims),
            claims_dropped=list(e.meta.dropped),
            fallback_reason=e.meta.fallback_reason,
            parts=e.meta.parts,
            cached=e.meta.cached,
            batch=e.meta.batch,
        )
        for e in articles
    ]
    usage = Usage()
    for r in reports:
        usage = usage + r.usage
    return RunReport(
        articles_in=len(articles) + len([p for p in problems if p.action == "skipped"]),
        articles_used=len(articles),
        inputs_skipped=list(problems),
        claims_extracted=sum(r.claims_extracted for r in reports),
        claims_dropped=sum(len(r.claims_dropped) for r in reports),
        fallbacks=sum(1 for r in reports if r.fallback_reason),
        cached=sum(1 for r in reports if r.cached),
        batched=sum(1 for r in reports if r.batch),
        **_cost(articles),
        attempts=sum(r.attempts for r in reports),
        usage=usage,
        articles=reports,
    )
