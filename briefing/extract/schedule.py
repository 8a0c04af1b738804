"""Extraction: one `ArticleExtraction` per article, from a model or from the text alone.

This module only decides which backend handles an article and keeps per-article
failures from ending the run: a model failure for good becomes an extractive
fallback with its reason recorded, so every article is accounted for. The backends
themselves live in `model/` (instructor over the openai client) and `extractive/`
(offline, no model); `model/breaker.py` stops a run from calling an endpoint that is
down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from briefing.contracts import (
    Article,
    ArticleExtraction,
    Backend,
    ExtractedArticle,
    ExtractionMeta,
    Usage,
)
from briefing.errors import EndpointDownError, FatalProviderError, ProviderError

if TYPE_CHECKING:
    from briefing.extract.model.backend import ModelBackend
    from briefing.extract.model.batch import BatchSettings
    from briefing.extract.model.breaker import CircuitBreaker
    from briefing.extract.model.call import ModelSession
    from briefing.extract.model.pricing import CostCeiling
    from briefing.store.cache import ExtractionCache

__all__ = [
    "ExtractiveBackendProtocol",
    "extract_all",
    "extract_one",
    "fallback",
    "from_cache",
    "model_cache_key",
]


class ExtractiveBackendProtocol(Protocol):
    name: str

    def extract(self, article: Article) -> ArticleExtraction: ...


async def extract_one(
    article: Article,
    *,
    model: ModelBackend,
    session: ModelSession,
    extractive: ExtractiveBackendProtocol,
    cache: ExtractionCache | None = None,
    ceiling: CostCeiling | None = None,
    require_model: bool = False,
) -> ExtractedArticle:
    """Extract one article, falling back to the extractive backend if the model fails for good.

    With a cache, a stored extraction of the same text by the same model, prompt and
    schema is used instead of a call; a new model extraction is stored. With a cost
    ceiling that the run has reached, the article goes to the extractive backend
    without a call, and its fallback reason says so; likewise once the session's
    circuit breaker has opened (the endpoint is down), with the breaker's reason.

    `FatalProviderError` (bad key, unknown model, rejected request) is not a per-article
    failure: it would fail every article the same way, so it propagates and ends the run.
    With `require_model`, so does `EndpointDownError` (the breaker opened): the caller
    wants the model's extraction or none.
    """
    key = None
    if cache is not None:
        key = model_cache_key(article, model)
        if (stored := cache.get(key)) is not None:
            return from_cache(article, stored)
    if ceiling is not None and ceiling.reached():
        return fallback(article, model, extractive, ceiling.reason())
    try:
        if session.breaker.is_open:
            raise EndpointDownError(session.breaker.reason or "", article_id=article.id)
        extraction, meta = await model.extract_async(article, session)
    except FatalProviderError:
        raise
    except ProviderError as exc:
        if require_model and isinstance(exc, EndpointDownError):
            raise
        if ceiling is not None:
            ceiling.add(exc.usage or Usage())
        return fallback(article, model, extractive, str(exc), attempts=exc.attempts, usage=exc.usage)
    if ceiling is not None:
        ceiling.add(meta.usage)
    if cache is not None and key is not None:
        cache.put(key, extraction, meta)
    return ExtractedArticle(article=article, extraction=extraction, meta=meta)


def fallback(
    article: Article,
    model: ModelBackend,
    extractive: ExtractiveBackendProtocol,
    reason: str,
    *,
    attempts: int = 0,
    usage: Usage | None = None,
) -> ExtractedArticle:
    """The extractive backend's extraction of an article the model was meant for, and why."""
    meta = ExtractionMeta(
        backend=Backend.extractive,
        model=model.model,
        prompt_version=model.prompt_version,
        attempts=attempts,
        usage=usage or Usage(),
        fallback_reason=reason,
    )
    return ExtractedArticle(article=article, extraction=extractive.extract(article), meta=meta)


def model_cache_key(article: Article, model: ModelBackend) -> str:
    """The cache key of `article`'s extraction by `model` with its prompt and schema."""
    from briefing.store.cache import cache_key

    # A translated extraction is another answer: its key names the brief's language.
    # Articles in the brief's language keep the key they always had.
    version = model.prompt_version
    if model.translation_for(article) is not None:
        version = f"{version}:to-{model.language}"
    return cache_key(article, endpoint=model.endpoint, model=model.model, prompt_version=version)


def from_cache(article: Article, stored: tuple[ArticleExtraction, ExtractionMeta]) -> ExtractedArticle:
    """A cached extraction as this run's result: no attempts and no tokens spent now."""
    extraction, meta = stored
    meta = meta.model_copy(update={"attempts": 0, "usage": Usage(), "cached": True})
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
    batch: BatchSettings | None = None,
    breaker: CircuitBreaker | None = None,
    require_model: bool = False,
) -> list[ExtractedArticle]:
    """Extract every article; the result has exactly one entry per input article, in input order.

    With `batch`, the articles not in the cache go to the provider's Batch API first
    (`briefing.extract.model.batch`); those it gives no usable answer for take the online
    path below, unless the batch is still running, in which case they go to the
    extractive backend and the next run collects the batch.

    Without a model each article goes to the extractive backend in turn. With one, the
    run is one asyncio event loop in which `concurrency` workers take articles in order
    and up to that many requests are in flight at once (each worker waits on its own
    article's retries), so a run takes about as long as its slowest calls rather than
    their sum. `on_progress` is called as articles finish. A `FatalProviderError` stops
    the workers from taking more articles and is raised once the ones in flight end.

    One circuit breaker (`breaker`, else one with the default thresholds) watches the
    run's requests: once the endpoint is found down, the articles left go to the
    extractive backend without a call, or, with `require_model`, `EndpointDownError`
    ends the run the way a `FatalProviderError` does.
    """
    if model is None:
        results: list[ExtractedArticle] = []
        for article in articles:
            extraction = extractive.extract(article)
            results.append(
                ExtractedArticle(
                    article=article, extraction=extraction, meta=ExtractionMeta(backend=Backend.extractive)
                )
            )
            if on_progress is not None:
                on_progress(article)
        return results
    run = _Run(
        model=model,
        extractive=extractive,
        on_progress=on_progress,
        cache=cache,
        concurrency=max(1, concurrency),
        ceiling=ceiling,
        breaker=breaker,
        require_model=require_model,
    )
    if batch is not None:
        return _extract_in_batch(articles, run, batch)
    return asyncio.run(_extract_concurrently(articles, run))


@dataclass(frozen=True)
class _Run:
    """What every article of one run is extracted with."""

    model: ModelBackend
    extractive: ExtractiveBackendProtocol
    on_progress: Callable[[Article], None] | None
    cache: ExtractionCache | None
    concurrency: int
    ceiling: CostCeiling | None
    breaker: CircuitBreaker | None
    require_model: bool


def _extract_in_batch(articles: list[Article], run: _Run, batch: BatchSettings) -> list[ExtractedArticle]:
    from briefing.extract.model.batch import run_batch

    model, cache, ceiling = run.model, run.cache, run.ceiling

    done: dict[int, ExtractedArticle] = {}
    pending: list[int] = []
    for index, article in enumerate(articles):
        stored = cache.get(model_cache_key(article, model)) if cache is not None else None
        if stored is not None:
            done[index] = from_cache(article, stored)
        else:
            pending.append(index)
    admitted, over = _within_ceiling([articles[i] for i in pending], model, ceiling)
    outcome = run_batch(
        [articles[i] for i in pending if articles[i].id in admitted], model=model, settings=batch, cache=cache
    )
    online: list[int] = []
    for index in pending:
        article = articles[index]
        if article.id in outcome.extracted:
            extraction, meta = outcome.extracted[article.id]
            if ceiling is not None:
                ceiling.add(meta.usage, batch=True)
            done[index] = ExtractedArticle(article=article, extraction=extraction, meta=meta)
        elif article.id in over or outcome.waiting:
            reason = (
                ceiling.reason() if article.id in over and ceiling is not None else outcome.failed[article.id]
            )
            done[index] = fallback(article, model, run.extractive, reason)
        else:
            online.append(index)
    for index in sorted(done):
        if run.on_progress is not None:
            run.on_progress(articles[index])
    if online:
        retried = asyncio.run(_extract_concurrently([articles[i] for i in online], run))
        done.update(zip(online, retried, strict=True))
    return [done[i] for i in range(len(articles))]


def _within_ceiling(
    articles: list[Article], model: ModelBackend, ceiling: CostCeiling | None
) -> tuple[set[str], set[str]]:
    """Article ids a batch may take under the ceiling, and those it may not.

    A batch cannot be stopped halfway, so it is sized before it is sent: in input order,
    each article is admitted while the run's spend plus the worst case of what is
    admitted (estimated prompt, and a full-length answer, at the batch price) stays
    within the ceiling.
    """
    ids = [a.id for a in articles]
    if ceiling is None:
        return set(ids), set()
    from briefing.extract.model.budget import estimate_tokens
    from briefing.extract.model.pricing import estimate_cost

    overhead = model.overhead_tokens()
    admitted: set[str] = set()
    worst = ceiling.spent_usd
    for article in articles:
        usage = Usage(
            prompt_tokens=overhead + estimate_tokens(article.text),
            completion_tokens=model.max_completion_tokens,
        )
        worst += estimate_cost(model.model, usage, batch=True) or 0.0
        if worst > ceiling.max_usd:
            break
        admitted.add(article.id)
    return admitted, set(ids) - admitted


async def _extract_concurrently(articles: list[Article], run: _Run) -> list[ExtractedArticle]:
    done: list[ExtractedArticle | None] = [None] * len(articles)
    queue = iter(enumerate(articles))
    fatal: list[ProviderError] = []

    async def worker(session: ModelSession) -> None:
        for index, article in queue:  # one shared iterator: each article is taken once
            if fatal:
                return
            try:
                done[index] = await extract_one(
                    article,
                    model=run.model,
                    session=session,
                    extractive=run.extractive,
                    cache=run.cache,
                    ceiling=run.ceiling,
                    require_model=run.require_model,
                )
            except (FatalProviderError, EndpointDownError) as exc:
                fatal.append(exc)
                return
            if run.on_progress is not None:
                run.on_progress(article)

    async with run.model.session(run.breaker) as session:
        await asyncio.gather(*(worker(session) for _ in range(min(run.concurrency, len(articles)))))
    if fatal:
        raise fatal[0]
    return [result for result in done if result is not None]
