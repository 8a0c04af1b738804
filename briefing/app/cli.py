"""Command-line interface. Thin: parse options, call the library, turn errors into one line.

This module holds the app and the commands that make and check a brief (build, verify,
eval); `delivery` holds send and daily, `stores` the cache and subscribers commands, and
`options` every option, declared once. Only typer is imported up front, so that
`briefing --help` is quick; each command imports what it uses.

Exit codes (also in `briefing build --help` and the README):
  0  a clean brief was written
  3  a brief was written, but some inputs were skipped or fell back to the extractive backend
  1  no brief (no usable article, or the model endpoint refused every request)
  2  usage error (bad option or argument)
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from briefing.app.common import (
    EXIT_CODES_HELP,
    EXIT_NO_BRIEF,
    EXIT_OK,
    EXIT_USAGE,
    check_base_url,
    err,
    feed_flags,
    inputs,
    load_brief_or_edition,
    model_flags,
    parse_date,
    quiet_instructor,
    settings,
    stderr,
    write_atomically,
)
from briefing.app.compare import DIFF_EPILOG, diff_command
from briefing.app.correct import CORRECT_EPILOG, correct_command
from briefing.app.delivery import DAILY_EPILOG, SEND_EPILOG, daily_command, send_command
from briefing.app.desk.command import REVIEW_EPILOG, review_command
from briefing.app.options import (
    BackendOption,
    BaseUrlOption,
    BatchOption,
    BriefFile,
    ConcurrencyOption,
    ConfigOption,
    EmbeddingsModelOption,
    FeedOption,
    LanguageOption,
    MaxCostOption,
    MaxEntriesOption,
    MaxInputTokensOption,
    MaxStoriesOption,
    ModelOption,
    ModeOption,
    NoCacheOption,
    PrivateNetworkOption,
    QuietOption,
    RpmOption,
    SinceOption,
    TimeoutOption,
    TopicOption,
    TpmOption,
)
from briefing.app.review import APPROVE_EPILOG, EDIT_EPILOG, approve_command, edit_command
from briefing.app.stores import cache_app, subscribers_app
from briefing.app.stories import STORIES_EPILOG, stories_command
from briefing.extract.choice import BackendChoice

if TYPE_CHECKING:
    from rich.console import Console

    from briefing.contracts import Article, Edition, EditionStory
    from briefing.ingest.feeds import FeedQuery
    from briefing.pipeline import BuildOptions
    from briefing.stories.continuity import Match

__all__ = ["app", "main"]

app = typer.Typer(
    name="briefing",
    help="Turn several news articles about one story into a short, cited, checkable brief.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich's panels would double the time `--help` takes
)


class OutputFormat(StrEnum):
    md = "md"
    json = "json"


@app.callback()
def _main() -> None:
    """Turn several news articles about one story into a short, cited, checkable brief."""


@app.command(name="build", epilog=EXIT_CODES_HELP)
def build_command(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Article files (.txt, .md, .html), folders of them, http(s) URLs of article pages, "
            "or '-' for standard input.",
            show_default=False,
        ),
    ] = None,
    feed: FeedOption = None,
    since: SinceOption = None,
    topic: TopicOption = None,
    language: LanguageOption = None,
    config: ConfigOption = None,
    max_entries: MaxEntriesOption = None,
    allow_private_network: PrivateNetworkOption = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the brief to this file instead of standard output."),
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="md: the readable edition; json: the Edition model (one story: its Brief, as before).",
        ),
    ] = OutputFormat.md,
    backend: BackendOption = None,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    mode: ModeOption = None,
    timeout: TimeoutOption = None,
    concurrency: ConcurrencyOption = None,
    max_cost: MaxCostOption = None,
    no_cache: NoCacheOption = False,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    batch: BatchOption = False,
    max_input_tokens: MaxInputTokensOption = None,
    date: Annotated[
        str | None,
        typer.Option(help="Edition date shown in the brief, YYYY-MM-DD (default: none)."),
    ] = None,
    max_stories: MaxStoriesOption = None,
    embeddings_model: EmbeddingsModelOption = None,
    editions: Annotated[
        Path | None,
        typer.Option(
            help="An editions archive (as daily keeps it): a story of its last 3 days' editions is marked "
            "developing, with what is new since (needs --date; default: $BRIEFING_EDITIONS or the config's "
            "editions, when set; otherwise none).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Build a cited edition: the articles grouped into stories, ranked, each story briefed on its own."""
    from briefing.errors import BriefingError
    from briefing.pipeline import exit_status
    from briefing.render.brief import report_lines
    from briefing.render.edition import render_edition

    console = stderr()
    quiet_instructor()
    chosen = settings(
        console,
        config,
        language=language,
        embeddings_model=embeddings_model,
        editions=editions,
        **feed_flags(since, topic, max_entries, allow_private_network),
        **model_flags(
            backend,
            model,
            base_url,
            mode,
            timeout,
            concurrency,
            max_cost,
            no_cache,
            rpm,
            tpm,
            batch,
            max_input_tokens,
        ),
    )
    given = inputs(console, chosen, feed)
    if not paths and not given.feeds:
        err(console, "error: give article files, folders, URLs or '-', or --feed (or feeds in --config)")
        raise typer.Exit(EXIT_USAGE)
    check_base_url(console, chosen)
    extra: dict[str, Any] = {"max_stories": max_stories} if max_stories else {}
    if chosen.origin("editions"):  # the default folder is daily's; build follows only one it is given
        extra["editions"] = chosen.editions
    options = chosen.build_options(language=given.language, date=parse_date(date), **extra)
    if options.editions is not None and options.date is None:
        err(
            console,
            f"note: {chosen.origin('editions')} needs --date (whose days to follow); nothing followed",
        )
    try:
        edition = _build_with_progress(paths or [], given.feeds, options, console, quiet)
    except BriefingError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None

    for problem in edition.report.inputs_skipped:
        err(console, problem.line())
    if quiet:  # otherwise they come with the report
        for note in edition.report.cache_notes:
            err(console, note)
    text = render_edition(edition, fmt.value)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomically(output, text)
    lines = report_lines(edition.report)
    if quiet:  # a dead endpoint is never silent
        down = edition.report.endpoint_down
        lines = [line for line in lines if down and line.startswith(down)]
    for line in lines:
        err(console, line)
    raise typer.Exit(exit_status(edition))


@app.command(
    name="verify",
    epilog="Exit codes: 0 every statement is supported; 1 some statement is not (each is printed); "
    "2 usage error or unreadable brief.",
)
def verify_command(
    brief_file: BriefFile,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="The articles the brief was built from (files, folders or '-').", show_default=False
        ),
    ],
) -> None:
    """Re-check a finished brief or edition against its source articles, statement by statement."""
    from briefing.check.verify import verify, verify_edition
    from briefing.contracts import Brief
    from briefing.errors import UserError
    from briefing.pipeline import gather

    console = stderr()
    brief = load_brief_or_edition(brief_file, console)
    try:
        ingested = gather(sources)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for problem in ingested.problems:
        err(console, problem.line())
    for note in ingested.cache_notes:
        err(console, note)
    if isinstance(brief, Brief):
        report = verify(brief, ingested.articles)
    else:
        report = verify_edition(brief, ingested.articles)
    for finding in report.unsupported:
        sys.stdout.write(f"UNSUPPORTED {finding.line()}\n")
    supported = report.checked - len({(f.where, f.statement) for f in report.unsupported})
    sys.stdout.write(f"{supported} of {report.checked} statements supported\n")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_NO_BRIEF)


app.command(name="send", epilog=SEND_EPILOG)(send_command)
app.command(name="daily", epilog=DAILY_EPILOG)(daily_command)
app.command(name="stories", epilog=STORIES_EPILOG)(stories_command)
app.command(name="edit", epilog=EDIT_EPILOG)(edit_command)
app.command(name="approve", epilog=APPROVE_EPILOG)(approve_command)
app.command(name="review", epilog=REVIEW_EPILOG)(review_command)
app.command(name="diff", epilog=DIFF_EPILOG)(diff_command)
app.command(name="correct", epilog=CORRECT_EPILOG)(correct_command)


@app.command(
    name="eval", epilog="Exit codes: 0 scored; 1 a cluster or day could not be built or read; 2 usage error."
)
def eval_command(
    folders: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled folders: clusters (a brief each) and days (grouped into stories), a labels.json "
            "each; default: every cluster in tests/eval and every day in tests/eval/days.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON for machines.")] = False,
    backend: Annotated[
        BackendChoice, typer.Option(help="As for build (here the default is extractive).")
    ] = BackendChoice.extractive,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Score briefs and story grouping against hand labels.

    Clusters: key facts, figures, citations, disagreements, names. Days: which articles are one story.
    """
    from briefing.check.evaluate import evaluate, evaluate_days, format_days_table, format_table, is_day
    from briefing.errors import BriefingError
    from briefing.pipeline import BuildOptions

    console = stderr()
    quiet_instructor()
    chosen = settings(console, backend=backend, model=model, base_url=base_url)
    check_base_url(console, chosen)
    if folders:
        days = [f for f in folders if is_day(f)]
        clusters = [f for f in folders if not is_day(f)]
    else:
        clusters = sorted(p.parent for p in Path("tests/eval").glob("*/labels.json"))
        days = sorted(p.parent for p in Path("tests/eval/days").glob("*/labels.json"))
    if not clusters and not days:
        err(console, "error: no labelled folders given and none found under tests/eval")
        raise typer.Exit(EXIT_USAGE)
    # The scores are comparable only at the defaults: of the settings, only the endpoint applies.
    options = BuildOptions(backend=chosen.backend, model=model, base_url=chosen.base_url)
    try:
        scores = evaluate(clusters, options) if clusters else []
        day_scores = evaluate_days(days, options) if days else []
    except BriefingError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    if as_json:
        data = {
            "clusters": [s.model_dump(mode="json") for s in scores],
            "days": [s.model_dump(mode="json") for s in day_scores],
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    tables = ([format_table(scores)] if scores else []) + (
        [format_days_table(day_scores)] if day_scores else []
    )
    sys.stdout.write("\n\n".join(tables) + "\n")


app.add_typer(cache_app, name="cache")
app.add_typer(subscribers_app, name="subscribers")


def _build_with_progress(
    paths: list[str], feeds: list[FeedQuery], options: BuildOptions, console: Console, quiet: bool
) -> Edition:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from briefing.pipeline import build_edition

    if quiet:
        return build_edition(paths, options, feeds=feeds)

    def followed(story: EditionStory, match: Match) -> None:
        err(console, f"followed: {story.headline}: the story of {match.date} ({match.why()})")

    def batch_status(status: str) -> None:
        err(console, f"batch: {status}")

    if not console.is_terminal:
        # Logs and schedulers get plain lines, about one per tenth of the run.
        total, count = 0, 0

        def plain_start(n: int) -> None:
            nonlocal total
            total = n

        def plain_progress(article: Article) -> None:
            nonlocal count
            count += 1
            if total > 1 and (count == total or count % max(1, total // 10) == 0):
                err(console, f"extracted {count} of {total}")

        return build_edition(
            paths,
            options,
            feeds=feeds,
            on_start=plain_start,
            on_progress=plain_progress,
            on_batch_status=batch_status,
            on_follow=followed,
        )
    with Progress(
        TextColumn("extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("extract", total=None)

        def on_start(total: int) -> None:
            progress.update(task, total=total)

        def on_progress(article: Article) -> None:
            progress.advance(task)

        return build_edition(
            paths,
            options,
            feeds=feeds,
            on_start=on_start,
            on_progress=on_progress,
            on_batch_status=progress.console.log,
            on_follow=followed,
        )


def main() -> None:  # pragma: no cover - console entry for `python -m briefing`
    app()
