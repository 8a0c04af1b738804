"""Merge: many `ExtractedArticle`s -> one `Brief`. Deterministic, no model, no I/O.

Sources are compared, not blended. Claims that say the same thing become one item
that cites every article behind it; the same quantity reported with different
values stays visible as a discrepancy; names spelled differently become one entity
(see `entities.py`). Everything is sorted by content before it is compared, so the
same extractions in any order give byte-identical output.

This module assembles the brief: sources, headline, lede, sections and interpretation.
Merging claims is `claims.py`'s; the run report and its cost are `report.py`'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.contracts import (
    SCHEMA_VERSION,
    Brief,
    BriefInterpretation,
    ClaimCategory,
    ExtractedArticle,
    InputProblem,
    MergedClaim,
    Section,
    SourceRef,
)
from briefing.ingest.language import DEFAULT_LANGUAGE, is_foreign
from briefing.merge.claims import Thresholds, claim_items, merge_claims
from briefing.merge.entities import EntityInput, merge_entities, role_discrepancies
from briefing.merge.meaning import Meaning
from briefing.merge.report import run_report
from briefing.merge.similarity import TokenIndex, content_tokens
from briefing.stories.embeddings import Embedder
from briefing.text import comparable

__all__ = ["MergeOptions", "merge"]

# Section titles for the Highlights part, in reading order. They are part of the brief
# (`Section.title`, in its JSON), not only of its rendering, so the merge chooses them.
SECTION_TITLES: tuple[tuple[str, tuple[ClaimCategory, ...]], ...] = (
    ("What happened", (ClaimCategory.event,)),
    ("The numbers", (ClaimCategory.figure,)),
    ("What was said", (ClaimCategory.quote, ClaimCategory.reaction)),
    ("Background", (ClaimCategory.background,)),
    ("What comes next", (ClaimCategory.outlook,)),
)
# Analysis is the sources' reading of events: it goes to Interpretation, never to Highlights.
INTERPRETATION_CATEGORIES = (ClaimCategory.analysis,)


@dataclass(frozen=True)
class MergeOptions:
    """Knobs of the merge; the defaults are tuned on the labelled examples in tests/."""

    same_claim: float = 0.42
    same_quantity: float = 0.22
    same_figures: float = 0.1
    same_meaning: float = 0.68
    same_meaning_words: float = 0.3
    same_meaning_alone: float = 0.75
    max_highlights: int = 12
    max_per_section: int = 4
    max_interpretation: int = 4
    lede_claims: int = 2


def merge(
    extracted: Sequence[ExtractedArticle],
    *,
    date: str | None = None,
    problems: Sequence[InputProblem] = (),
    options: MergeOptions | None = None,
    language: str = DEFAULT_LANGUAGE,
    embedder: Embedder | None = None,
) -> Brief:
    """Build the brief from every article's extraction; order of `extracted` does not matter.

    `embedder` reads how alike English statements mean (default: the bundled offline model).
    """
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
    thresholds = Thresholds(
        options.same_claim,
        options.same_quantity,
        options.same_figures,
        options.same_meaning,
        options.same_meaning_words,
        options.same_meaning_alone,
    )
    items = claim_items(articles, date)
    meaning = Meaning(
        [i.claim.statement for i in items],
        [i.article_id for i in items],
        [i.english for i in items],
        embedder,
    )
    claims, figure_discrepancies = merge_claims(items, entities, thresholds, meaning)
    discrepancies = figure_discrepancies + role_discrepancies(entities)
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
        report=run_report(articles, problems),
    )


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
