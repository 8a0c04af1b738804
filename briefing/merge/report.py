"""The run report: what each article cost and how it was read, and what the run cost in all.

The cost is an estimate from the token counts and `briefing.extract.model.pricing`'s
price table; it is left out when any model called has no known price, since a total
that silently counts an unknown model as free would understate the bill.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from briefing.contracts import ArticleReport, ExtractedArticle, InputProblem, RunReport, Usage
from briefing.extract.model.pricing import PRICES_AS_OF, estimate_cost
from briefing.ingest.article import UNKNOWN_OUTLET

__all__ = ["run_report"]


def run_report(articles: Sequence[ExtractedArticle], problems: Sequence[InputProblem]) -> RunReport:
    """Per-article reports and the run's totals; inputs skipped (`problems`) count among the articles in."""
    reports = [
        ArticleReport(
            article_id=e.article.id,
            source=_label(e),
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


def _cost(articles: Sequence[ExtractedArticle]) -> dict[str, Any]:
    """The run's estimated model cost, if every model that was called has a known price."""
    spent = [(e.meta.model or "", e.meta.usage, e.meta.batch) for e in articles if e.meta.attempts]
    if not spent:
        return {}
    costs = [estimate_cost(model, usage, batch=batch) for model, usage, batch in spent]
    if any(c is None for c in costs):
        return {}
    return {"estimated_cost_usd": sum(c or 0.0 for c in costs), "prices_as_of": PRICES_AS_OF}


def _label(extracted: ExtractedArticle) -> str:
    """Which article a report line is about: its outlet, or the file it was read from when none is known."""
    article = extracted.article
    if article.source != UNKNOWN_OUTLET or not article.path:
        return article.source
    return PurePath(article.path).name
