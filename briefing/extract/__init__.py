"""Extraction: one `ArticleExtraction` per article, from a model or from the text alone.

This module only decides which backend handles an article and keeps per-article
failures from ending the run: a model failure for good becomes an extractive
fallback with its reason recorded, so every article is accounted for. The backends
themselves live in `model.py` (instructor over the openai client) and
`extractive.py` (offline, no model).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from briefing.errors import FatalProviderError, ProviderError
from briefing.models import (
    Article,
    ArticleExtraction,
    Backend,
    ExtractedArticle,
    ExtractionMeta,
    Usage,
)

if TYPE_CHECKING:
    from briefing.extract.model import ModelBackend

__all__ = ["ExtractiveBackendProtocol", "extract_all", "extract_one"]


class ExtractiveBackendProtocol(Protocol):
    name: str

    def extract(self, article: Article) -> ArticleExtraction: ...


def extract_one(
    article: Article,
    *,
    model: ModelBackend | None,
    extractive: ExtractiveBackendProtocol,
) -> ExtractedArticle:
    """Extract one article, falling back to the extractive backend if the model fails for good.

    `FatalProviderError` (bad key, unknown model, rejected request) is not a per-article
    failure: it would fail every article the same way, so it propagates and ends the run.
    """
    if model is None:
        return ExtractedArticle(
            article=article,
            extraction=extractive.extract(article),
            meta=ExtractionMeta(backend=Backend.extractive),
        )
    try:
        extraction, meta = model.extract(article)
    except FatalProviderError:
        raise
    except ProviderError as exc:
        meta = ExtractionMeta(
            backend=Backend.extractive,
            model=model.model,
            prompt_version=model.prompt_version,
            attempts=exc.attempts,
            usage=exc.usage or Usage(),
            fallback_reason=str(exc),
        )
        return ExtractedArticle(article=article, extraction=extractive.extract(article), meta=meta)
    return ExtractedArticle(article=article, extraction=extraction, meta=meta)


def extract_all(
    articles: list[Article],
    *,
    model: ModelBackend | None,
    extractive: ExtractiveBackendProtocol,
    on_progress: Callable[[Article], None] | None = None,
) -> list[ExtractedArticle]:
    """Extract every article; the result has exactly one entry per input article, in input order."""
    results: list[ExtractedArticle] = []
    for article in articles:
        results.append(extract_one(article, model=model, extractive=extractive))
        if on_progress is not None:
            on_progress(article)
    return results
