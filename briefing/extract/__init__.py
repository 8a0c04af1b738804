"""Extraction: one `ArticleExtraction` per article, from a model or from the text alone.

This module only decides which backend handles an article and keeps per-article
failures from ending the run: a model failure for good becomes an extractive
fallback with its reason recorded, so every article is accounted for. The backends
themselves live in `model.py` (instructor over the openai client) and
`extractive.py` (offline, no model).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
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
    from briefing.cache import ExtractionCache
    from briefing.extract.model import ModelBackend
    from briefing.pricing import CostCeiling

__all__ = ["ExtractiveBackendProtocol", "extract_all", "extract_one"]


class ExtractiveBackendProtocol(Protocol):
    name: str

    def extract(self, article: Article) -> ArticleExtraction: ...


def extract_one(
    article: Article,
    *,
    model: ModelBackend | None,
    extractive: ExtractiveBackendProtocol,
    cache: ExtractionCache | None = None,
    ceiling: CostCeiling | None = None,
) -> ExtractedArticle:
    """Extract one article, falling back to the extractive backend if the model fails for good.

    With a cache, a stored extraction of the same text by the same model, prompt and
    schema is used instead of a call; a new model extraction is stored. With a cost
    ceiling that the run has reached, the article goes to the extractive backend
    without a call, and its fallback reason says so.

    `FatalProviderError` (bad key, unknown model, rejected request) is not a per-article
    failure: it would fail every article the same way, so it propagates and ends the run.
    """
    if model is None:
        return ExtractedArticle(
            article=article,
            extraction=extractive.extract(article),
            meta=ExtractionMeta(backend=Backend.extractive),
        )

    def fall_back(reason: str, attempts: int = 0, usage: Usage | None = None) -> ExtractedArticle:
        meta = ExtractionMeta(
            backend=Backend.extractive,
            model=model.model,
            prompt_version=model.prompt_version,
            attempts=attempts,
            usage=usage or Usage(),
            fallback_reason=reason,
        )
        return ExtractedArticle(article=article, extraction=extractive.extract(article), meta=meta)

    key = None
    if cache is not None:
        from briefing.cache import cache_key

        key = cache_key(
            article, endpoint=model.endpoint, model=model.model, prompt_version=model.prompt_version
        )
        if (stored := cache.get(key)) is not None:
            extraction, meta = stored
            meta = meta.model_copy(update={"attempts": 0, "usage": Usage(), "cached": True})
            return ExtractedArticle(article=article, extraction=extraction, meta=meta)
    if ceiling is not None and ceiling.reached():
        return fall_back(
            f"cost ceiling of ${ceiling.max_usd:g} reached (estimated ${ceiling.spent_usd:.4f} spent)"
        )
    try:
        extraction, meta = model.extract(article)
    except FatalProviderError:
        raise
    except ProviderError as exc:
        if ceiling is not None:
            ceiling.add(exc.usage or Usage())
        return fall_back(str(exc), attempts=exc.attempts, usage=exc.usage)
    if ceiling is not None:
        ceiling.add(meta.usage)
    if cache is not None and key is not None:
        cache.put(key, extraction, meta)
    return ExtractedArticle(article=article, extraction=extraction, meta=meta)


def extract_all(
    articles: list[Article],
    *,
    model: ModelBackend | None,
    extractive: ExtractiveBackendProtocol,
    on_progress: Callable[[Article], None] | None = None,
    cache: ExtractionCache | None = None,
    concurrency: int = 1,
    ceiling: CostCeiling | None = None,
) -> list[ExtractedArticle]:
    """Extract every article; the result has exactly one entry per input article, in input order.

    With a model and `concurrency` above 1, up to that many articles are extracted at
    once on worker threads (the openai client is thread-safe and each article's retries
    stay on its own thread), so a run takes about as long as its slowest calls rather
    than their sum. `on_progress` is called on the calling thread as articles finish.
    A `FatalProviderError` cancels the articles not yet started and is raised once the
    ones in flight have ended.
    """

    def one(article: Article) -> ExtractedArticle:
        return extract_one(article, model=model, extractive=extractive, cache=cache, ceiling=ceiling)

    if model is None or concurrency <= 1 or len(articles) <= 1:
        results: list[ExtractedArticle] = []
        for article in articles:
            results.append(one(article))
            if on_progress is not None:
                on_progress(article)
        return results

    done: dict[int, ExtractedArticle] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="briefing-extract") as pool:
        pending: dict[Future[ExtractedArticle], int] = {
            pool.submit(one, a): i for i, a in enumerate(articles)
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                index = pending.pop(future)
                if (error := future.exception()) is not None:
                    for other in pending:
                        other.cancel()
                    raise error
                done[index] = future.result()
                if on_progress is not None:
                    on_progress(articles[index])
    return [done[i] for i in range(len(articles))]
