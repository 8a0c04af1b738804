"""The whole pipeline behind `briefing build`, as named steps.

    ingest -> fold copies -> detect languages -> group -> extract -> merge -> follow (then `briefing.render`)

`gather` runs the first three (`ingest`, `fold_copies`, `detect_languages`). `build_edition`
then groups the articles into stories, extracts every article once and merges each story on
its own into a ranked `Edition`, and, given an editions archive, follows the stories of recent
editions (`follow_stories`); `build` (and `build_from`, after `gather`) makes one brief
of all the articles, as for a single story. This is the library entry point the CLI and the daily job
call. It never prints and never exits: problems come back in the result, user errors as
`UserError`, so each caller decides how to show them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from briefing.contracts import (
    Article,
    Brief,
    Edition,
    EditionStory,
    ExtractedArticle,
    IngestResult,
    RunReport,
    Story,
)
from briefing.errors import EndpointDownError, NoArticlesError, UserError
from briefing.extract.choice import BackendChoice
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.model.budget import DEFAULT_MAX_INPUT_TOKENS
from briefing.extract.schedule import extract_all
from briefing.ingest import syndication
from briefing.ingest.feeds import FeedQuery
from briefing.ingest.fetch import Fetcher, FetchSettings, is_url
from briefing.ingest.language import DEFAULT_LANGUAGE, with_languages
from briefing.ingest.read import ingest
from briefing.merge.brief import merge
from briefing.merge.edition import DEFAULT_MAX_STORIES, merge_edition

if TYPE_CHECKING:
    from briefing.extract.model.backend import ModelBackend
    from briefing.store.embeddings import EmbeddingCache
    from briefing.stories.continuity import Match
    from briefing.stories.embeddings import EndpointEmbedder

__all__ = [
    "BackendChoice",
    "BuildOptions",
    "build",
    "build_edition",
    "build_edition_from",
    "build_from",
    "detect_languages",
    "exit_status",
    "fold_copies",
    "follow_stories",
    "gather",
    "group",
]

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class BuildOptions:
    """What `build` needs besides the inputs (`briefing.settings.Settings.build_options` fills it).

    API keys are read from the environment only.
    """

    backend: BackendChoice = BackendChoice.auto
    model: str | None = None
    base_url: str | None = None
    mode: str | None = None
    timeout: float = 60.0
    max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS
    concurrency: int = 8
    max_cost: float | None = None
    """Estimated USD after which no model call starts (the rest go extractive); None: no ceiling."""
    use_cache: bool = True
    cache_path: Path | None = None
    """None: `briefing.store.cache.default_cache_path()` ($BRIEFING_CACHE_DIR or the user cache directory)."""
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    batch: bool = False
    """Extract through the Batch API; its job is recorded in the cache file even with `use_cache` off."""
    batch_poll_s: tuple[float, float] = (10.0, 120.0)
    """First and longest wait between polls of a batch."""
    date: str | None = None
    language: str = DEFAULT_LANGUAGE
    """The brief's language: a model writes every claim in it (see `briefing.ingest.language`)."""
    allow_private_network: bool = False
    """Let feed entries and redirects reach private addresses on hosts the user did not give."""
    max_stories: int = DEFAULT_MAX_STORIES
    """Full stories in an edition; the rest get one line each under "Also reported"."""
    editions: Path | None = None
    """The editions archive: a story of a recent edition there is followed (developing, new since)."""
    embeddings_model: str | None = None
    """The endpoint's model that embeds leads for grouping (cached); None: the bundled model."""


def _model_backend(options: BuildOptions) -> ModelBackend | None:
    """Build the model backend, or None when the offline extractive backend is to be used."""
    from briefing.extract.model.providers import endpoint_configured

    if options.backend == BackendChoice.extractive:
        return None
    if not endpoint_configured(options.base_url, None):
        if options.backend == BackendChoice.auto and not options.model:
            return None
        raise UserError(
            "the model backend needs an endpoint: set OPENAI_API_KEY (for OpenAI) "
            "or --base-url / OPENAI_BASE_URL (for a local OpenAI-compatible server)"
        )
    from briefing.extract.model.backend import ModelBackend
    from briefing.extract.model.providers import make_client
    from briefing.extract.model.request import mode_from_name
    from briefing.extract.model.settings import ModelSettings
    from briefing.settings import read_environment

    client = make_client(base_url=options.base_url, api_key=None, timeout=options.timeout)
    settings = ModelSettings(
        model=options.model or read_environment("BRIEFING_MODEL") or DEFAULT_MODEL,
        mode=mode_from_name(options.mode) if options.mode else None,
        max_input_tokens=options.max_input_tokens,
        requests_per_minute=options.requests_per_minute,
        tokens_per_minute=options.tokens_per_minute,
        language=options.language,
    )
    return ModelBackend(client, settings)


def fold_copies(ingested: IngestResult) -> IngestResult:
    """Step 2: syndicated copies of one story become one article, the others listed under it.

    One line per copy folded is added to the problems (see `briefing.ingest.syndication`).
    """
    articles, copies = syndication.fold_copies(ingested.articles)
    return ingested.model_copy(update={"articles": articles, "problems": [*ingested.problems, *copies]})


def detect_languages(ingested: IngestResult) -> IngestResult:
    """Step 3: each article's language, which extraction and merge compare with the brief's."""
    return ingested.model_copy(update={"articles": with_languages(ingested.articles)})


def gather(
    paths: Sequence[str],
    options: BuildOptions | None = None,
    *,
    feeds: Sequence[FeedQuery] = (),
    stdin: bytes | None = None,
) -> IngestResult:
    """The pipeline's first steps: ingest, fold copies, detect languages.

    Ingest reads files, folders, '-', URLs and the entries of `feeds`. Pages fetched from
    the web are kept in the cache file (unless `use_cache` is off), so a re-run, or
    `verify` after `build`, reads the same bytes. A cache file that is damaged or cannot
    be written never stops this: see `IngestResult.cache_notes`. The hosts of the URLs
    and feeds given may be private addresses; a host reached only through a feed entry
    or a redirect may not, unless `allow_private_network`.
    """
    return detect_languages(fold_copies(_read(paths, options or BuildOptions(), feeds=feeds, stdin=stdin)))


def _read(
    paths: Sequence[str], options: BuildOptions, *, feeds: Sequence[FeedQuery], stdin: bytes | None
) -> IngestResult:
    """Step 1, ingest: with a fetcher (and the page cache) when a URL or a feed is given."""
    if not feeds and not any(is_url(p) for p in paths):
        return ingest(paths, stdin=stdin)
    cache = None
    if options.use_cache:
        from briefing.store.cache import PageCache, default_cache_path

        cache = PageCache(options.cache_path or default_cache_path())
    try:
        settings = FetchSettings(allow_private_network=options.allow_private_network)
        with Fetcher(settings, cache=cache) as fetcher:
            fetcher.trust([*(p for p in paths if is_url(p)), *(f.url for f in feeds)])
            result = ingest(paths, stdin=stdin, feeds=feeds, fetcher=fetcher)
    finally:
        if cache is not None:
            cache.close()
    if cache is not None and cache.notes:
        result = result.model_copy(update={"cache_notes": [*result.cache_notes, *cache.notes]})
    return result


def build(
    paths: Sequence[str],
    options: BuildOptions | None = None,
    *,
    feeds: Sequence[FeedQuery] = (),
    stdin: bytes | None = None,
    on_progress: Callable[[Article], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch_status: Callable[[str], None] | None = None,
) -> Brief:
    """Build a brief from files, folders, '-' (stdin), URLs and feeds.

    Raises:
        NoArticlesError: no input held a usable article (the problems are in the message).
        UserError: the endpoint or options are wrong in a way every article would hit.
    """
    return build_from(
        gather(paths, options, feeds=feeds, stdin=stdin),
        options,
        on_progress=on_progress,
        on_start=on_start,
        on_batch_status=on_batch_status,
    )


def build_from(
    ingested: IngestResult,
    options: BuildOptions | None = None,
    *,
    on_progress: Callable[[Article], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch_status: Callable[[str], None] | None = None,
) -> Brief:
    """`build` for articles already read (a caller that also needs them, to verify the brief).

    Raises:
        NoArticlesError: no input held a usable article (the problems are in the message).
        UserError: the endpoint or options are wrong in a way every article would hit.
        EndpointDownError: the model is required (`BackendChoice.model`) and its endpoint is down.
    """
    options = options or BuildOptions()
    extracted, notes, down = _extract(ingested, options, on_progress, on_start, on_batch_status)
    brief = merge(extracted, date=options.date, problems=ingested.problems, language=options.language)
    _note(brief.report, notes, down)
    return brief


def group(
    ingested: IngestResult, options: BuildOptions | None = None, *, notes: list[str] | None = None
) -> list[Story]:
    """Step 4: the articles grouped into stories, one real-world event each (`briefing.stories`).

    With `options.embeddings_model` and an endpoint, leads are embedded by the endpoint
    (vectors kept in the cache file); what went wrong with either (an endpoint that is
    down, so the bundled model was used) is one line each in `notes`.
    """
    from briefing.stories import group_stories

    options = options or BuildOptions()
    embedder, cache, lines = _story_embedder(options)
    try:
        stories = group_stories(ingested.articles, embedder=embedder)
    finally:
        if cache is not None:
            cache.close()
    if embedder is not None and embedder.failure is not None:
        lines.append(f"{embedder.failure}; stories grouped with the bundled model")
    if cache is not None:
        lines.extend(cache.notes)
    if notes is not None:
        notes.extend(lines)
    return stories


def _story_embedder(
    options: BuildOptions,
) -> tuple[EndpointEmbedder | None, EmbeddingCache | None, list[str]]:
    """The endpoint's embedder when `embeddings_model` is set and an endpoint configured; its cache."""
    from briefing.extract.model.providers import display_host, endpoint_configured, make_client

    name = options.embeddings_model
    if not name:
        return None, None, []
    if not endpoint_configured(options.base_url, None):
        return (
            None,
            None,
            [
                f"embeddings: no model endpoint for {name!r} (set OPENAI_API_KEY, or --base-url / "
                "OPENAI_BASE_URL); stories grouped with the bundled model"
            ],
        )
    from briefing.stories.embeddings import EndpointEmbedder

    client = make_client(
        base_url=options.base_url, api_key=None, timeout=options.timeout
    )  # a local server on a CPU can take tens of seconds for one batch: the run's --timeout decides
    cache = None
    if options.use_cache:
        from briefing.store.cache import default_cache_path
        from briefing.store.embeddings import EmbeddingCache

        cache = EmbeddingCache(options.cache_path or default_cache_path())
    return EndpointEmbedder(client, name, host=display_host(client.base_url), cache=cache), cache, []


def build_edition(
    paths: Sequence[str],
    options: BuildOptions | None = None,
    *,
    feeds: Sequence[FeedQuery] = (),
    stdin: bytes | None = None,
    on_progress: Callable[[Article], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch_status: Callable[[str], None] | None = None,
    on_follow: Callable[[EditionStory, Match], None] | None = None,
) -> Edition:
    """Build a day's edition (ranked stories, each with its own brief) from the inputs `build` takes.

    Raises:
        NoArticlesError: no input held a usable article (the problems are in the message).
        UserError: the endpoint or options are wrong in a way every article would hit.
    """
    return build_edition_from(
        gather(paths, options, feeds=feeds, stdin=stdin),
        options,
        on_progress=on_progress,
        on_start=on_start,
        on_batch_status=on_batch_status,
        on_follow=on_follow,
    )


def build_edition_from(
    ingested: IngestResult,
    options: BuildOptions | None = None,
    *,
    on_progress: Callable[[Article], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_batch_status: Callable[[str], None] | None = None,
    on_follow: Callable[[EditionStory, Match], None] | None = None,
) -> Edition:
    """`build_edition` for articles already read: group, extract every article once, merge each story.

    With `options.editions`, the stories of the archive's recent editions are followed
    (`follow_stories`); `on_follow` hears each story followed and why.

    Raises:
        NoArticlesError: no input held a usable article (the problems are in the message).
        UserError: the endpoint or options are wrong in a way every article would hit.
        EndpointDownError: the model is required (`BackendChoice.model`) and its endpoint is down.
    """
    options = options or BuildOptions()
    grouping: list[str] = []
    stories = group(ingested, options, notes=grouping) if ingested.articles else []
    extracted, notes, down = _extract(ingested, options, on_progress, on_start, on_batch_status)
    notes = list(dict.fromkeys([*grouping, *notes]))
    edition = merge_edition(
        stories,
        extracted,
        date=options.date,
        problems=ingested.problems,
        language=options.language,
        max_stories=options.max_stories,
    )
    _note(edition.report, notes, down)
    for story in edition.stories:
        _note(story.brief.report, notes, down)
    if options.editions is not None:
        edition = follow_stories(edition, options.editions, on_follow=on_follow)
    return edition


def follow_stories(
    edition: Edition, archive: Path, *, on_follow: Callable[[EditionStory, Match], None] | None = None
) -> Edition:
    """Step 7: the stories of the archive's recent editions that go on today become `developing`.

    An undated edition follows nothing. An archived version that cannot be read is one line
    in the report's skipped inputs (action 'not followed'), never the end of the run.
    """
    if not edition.date:
        return edition
    from briefing.deliver.editions import Archive
    from briefing.stories.continuity import follow

    recent = Archive(archive).recent(edition.date)
    matches: list[Match] = []
    followed = follow(edition, recent.editions, on_match=matches.append)
    followed.report.inputs_skipped.extend(recent.notes)
    if on_follow is not None:
        today = {s.id: s for s in edition.stories}
        for match in matches:
            on_follow(today[match.story_id], match)
    return followed


def _note(report: RunReport, notes: list[str], down: str | None) -> None:
    """Add the cache file's trouble and the endpoint's outage, which no extraction carries, to a report."""
    if notes:
        report.cache_notes = notes
    if down is not None:
        report.endpoint_down = down


def _extract(
    ingested: IngestResult,
    options: BuildOptions,
    on_progress: Callable[[Article], None] | None,
    on_start: Callable[[int], None] | None,
    on_batch_status: Callable[[str], None] | None,
) -> tuple[list[ExtractedArticle], list[str], str | None]:
    """Step 5: every article extracted once (cached); with the cache's notes and why the endpoint stopped."""
    if not ingested.articles:
        details = "; ".join(p.line() for p in ingested.problems) or "no inputs given"
        raise NoArticlesError(f"no usable articles ({details})")
    model = _model_backend(options)
    cache = None
    store = None
    if model is not None and (options.use_cache or options.batch):
        from briefing.store.cache import ExtractionCache, default_cache_path

        store = ExtractionCache(options.cache_path or default_cache_path())
        cache = store if options.use_cache else None
    batch = None
    if model is not None and store is not None and options.batch:
        from briefing.extract.model.batch import BatchSettings

        first, longest = options.batch_poll_s
        batch = BatchSettings(jobs=store, poll_initial_s=first, poll_max_s=longest, on_status=on_batch_status)
    breaker = None
    if model is not None:
        from briefing.extract.model.breaker import CircuitBreaker

        breaker = CircuitBreaker(model.host)
    ceiling = None
    if model is not None and options.max_cost is not None:
        from briefing.extract.model.pricing import CostCeiling

        ceiling = CostCeiling(model.model, options.max_cost)
    if on_start is not None:
        on_start(len(ingested.articles))
    try:
        extracted = extract_all(
            ingested.articles,
            model=model,
            extractive=ExtractiveBackend(),
            on_progress=on_progress,
            cache=cache,
            concurrency=options.concurrency,
            ceiling=ceiling,
            batch=batch,
            breaker=breaker,
            require_model=options.backend == BackendChoice.model,
        )
    except EndpointDownError as exc:
        raise EndpointDownError(
            f"{exc}; no brief, since the model is required (backend 'model')", attempts=exc.attempts
        ) from None
    finally:
        if store is not None:
            store.close()
    # The page cache and the extraction cache share a file: the same trouble is one line.
    notes = list(dict.fromkeys([*ingested.cache_notes, *(store.notes if store is not None else [])]))
    down = breaker.reason if breaker is not None else None
    return list(extracted), notes, down


def exit_status(brief: Brief | Edition) -> int:
    """0 for a clean brief or edition; 3 when inputs were skipped or articles fell back (alert)."""
    report = brief.report
    skipped = any(p.lost() for p in report.inputs_skipped)
    return 3 if skipped or report.fallbacks else 0
