"""Command-line interface. Thin: parse options, call the library, turn errors into one line.

Exit codes (also in `briefing build --help` and the README):
  0  a clean brief was written
  3  a brief was written, but some inputs were skipped or fell back to the extractive backend
  1  no brief (no usable article, or the model endpoint refused every request)
  2  usage error (bad option or argument)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from briefing.check.evaluate import evaluate, format_table
from briefing.check.verify import verify
from briefing.contracts import Article, Brief
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SendReport
from briefing.errors import BriefingError, UserError
from briefing.extract.model.budget import DEFAULT_MAX_INPUT_TOKENS
from briefing.ingest.feeds import DEFAULT_MAX_ENTRIES, FeedQuery, parse_since
from briefing.ingest.language import DEFAULT_LANGUAGE, normalise_language
from briefing.pipeline import BackendChoice, BuildOptions, build, exit_status, gather
from briefing.render.brief import render, report_lines
from briefing.settings import load_config
from briefing.store.cache import ExtractionCache, PageCache, default_cache_path
from briefing.store.database import CacheDatabase
from briefing.store.subscribers import SubscriberStore, default_db_path

EXIT_OK = 0
EXIT_NO_BRIEF = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

EXIT_CODES_HELP = (
    "Exit codes: 0 clean brief; 3 brief written but some inputs were skipped or fell back "
    "to the extractive backend; 1 no brief; 2 usage error."
)

app = typer.Typer(
    name="briefing",
    help="Turn several news articles about one story into a short, cited, checkable brief.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class OutputFormat(StrEnum):
    md = "md"
    json = "json"


def _err(console: Console, message: str) -> None:
    console.print(f"briefing: {message}", markup=False, highlight=False, soft_wrap=True)


def _parse_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from exc


def _is_date(value: str) -> bool:
    """Strictly YYYY-MM-DD: a brief's date goes into file names and the Subject."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target and rename, so a crash never leaves half a brief."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


@app.callback()
def _main() -> None:
    """Turn several news articles about one story into a short, cited, checkable brief."""


FeedOption = Annotated[
    list[str] | None,
    typer.Option(
        "--feed",
        help="An RSS or Atom feed whose entries' pages are read as articles (repeatable); "
        "adds to the config file's feeds.",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        help="Only feed entries published in this window: 24h, 90m, 2d, 1w, or a date (default: all).",
        show_default=False,
    ),
]
TopicOption = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        help="Only feed entries whose title, summary or categories mention this word or phrase "
        "(repeatable: any of them).",
        show_default=False,
    ),
]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        help="The brief's language (en, fr, de, ...): a model writes sources in other languages in it, "
        "evidence kept verbatim (default: en).",
        show_default=False,
    ),
]
MaxEntriesOption = Annotated[
    int | None,
    typer.Option(
        "--max-entries",
        help=f"Read at most this many entries of each feed, the newest (default: {DEFAULT_MAX_ENTRIES}).",
        min=1,
        show_default=False,
    ),
]
PrivateNetworkOption = Annotated[
    bool,
    typer.Option(
        "--allow-private-network",
        help="Let feed entries and redirects reach loopback and private addresses on hosts you did not "
        "give (by default only the hosts of the URLs and feeds you give may be private).",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        envvar="BRIEFING_CONFIG",
        help="TOML file with feeds, since, topic, language, max_entries and allow_private_network "
        "(see the README).",
        show_default=False,
    ),
]


BackendOption = Annotated[
    BackendChoice,
    typer.Option(
        help="auto: use the model when an endpoint is configured (OPENAI_API_KEY or a base URL), "
        "else the offline extractive backend; model: require the model (no brief if its endpoint is "
        "down); extractive: never call a model."
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(help="Model name for the endpoint (default: $BRIEFING_MODEL or gpt-4o-mini)."),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 for llama.cpp's server "
        "(default: $OPENAI_BASE_URL, else OpenAI). The key comes from $OPENAI_API_KEY only."
    ),
]
ModeOption = Annotated[
    str | None,
    typer.Option(help="instructor mode (tools, json_schema, json, md_json); chosen per endpoint if unset."),
]
TimeoutOption = Annotated[float, typer.Option(help="Seconds to wait for one model response.", min=1)]
ConcurrencyOption = Annotated[
    int, typer.Option(help="Model requests in flight at once (articles extracted in parallel).", min=1)
]
MaxCostOption = Annotated[
    float | None,
    typer.Option(
        help="Stop calling the model once the run's estimated cost reaches this many USD; "
        "the remaining articles use the extractive backend (needs a model with a known price)."
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Neither read nor write the extraction cache ($BRIEFING_CACHE_DIR, else the user cache "
        "directory); see `briefing cache`.",
    ),
]
RpmOption = Annotated[
    int | None,
    typer.Option(
        "--rpm", help="The account's requests-per-minute limit: requests are paced to stay under it.", min=1
    ),
]
TpmOption = Annotated[
    int | None,
    typer.Option(
        "--tpm",
        help="The account's tokens-per-minute limit (prompt estimate plus answer limit per request).",
        min=1,
    ),
]
BatchOption = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="Send the extractions as one job through the provider's Batch API (half price, slower); "
        "waits for it, and a re-run resumes a job already submitted instead of paying again.",
    ),
]
MaxInputTokensOption = Annotated[
    int,
    typer.Option(
        help="Estimated article tokens per model request; a longer article is sent in parts, "
        "cut between paragraphs (never mid-sentence unless one sentence is over).",
        min=200,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the run report.")]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Send one test copy to this address only (no ledger).")
]


@dataclass(frozen=True)
class _Inputs:
    feeds: list[FeedQuery]
    language: str
    allow_private_network: bool = False


def _inputs(
    console: Console,
    feeds: list[str] | None,
    since: str | None,
    topic: list[str] | None,
    language: str | None,
    config_path: Path | None,
    max_entries: int | None = None,
    allow_private_network: bool = False,
) -> _Inputs:
    """The feed queries, the brief's language and the network rule, from the options and the config file."""
    try:
        config = load_config(config_path)
    except UserError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    window = since or config.since
    try:
        start = parse_since(window, now=dt.datetime.now(dt.UTC)) if window else None
        code = normalise_language(language or config.language or DEFAULT_LANGUAGE)
    except ValueError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    words = tuple(topic or config.topic)
    urls = list(dict.fromkeys([*config.feeds, *(feeds or [])]))
    most = max_entries or config.max_entries or DEFAULT_MAX_ENTRIES
    return _Inputs(
        feeds=[FeedQuery(url=u, since=start, topic=words, max_entries=most) for u in urls],
        language=code,
        allow_private_network=bool(allow_private_network or config.allow_private_network),
    )


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
        typer.Option("--format", "-f", help="md: the readable brief; json: the merged Brief model."),
    ] = OutputFormat.md,
    backend: BackendOption = BackendChoice.auto,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    mode: ModeOption = None,
    timeout: TimeoutOption = 60.0,
    concurrency: ConcurrencyOption = 8,
    max_cost: MaxCostOption = None,
    no_cache: NoCacheOption = False,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    batch: BatchOption = False,
    max_input_tokens: MaxInputTokensOption = DEFAULT_MAX_INPUT_TOKENS,
    date: Annotated[
        str | None,
        typer.Option(help="Edition date shown in the brief, YYYY-MM-DD (default: none)."),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Build one cited brief from articles about the same story."""
    console = Console(stderr=True)
    # instructor logs every failed attempt; the run report already accounts for them.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    inputs = _inputs(console, feed, since, topic, language, config, max_entries, allow_private_network)
    if not paths and not inputs.feeds:
        _err(console, "error: give article files, folders, URLs or '-', or --feed (or feeds in --config)")
        raise typer.Exit(EXIT_USAGE)
    _check_base_url(console, backend, base_url)
    options = BuildOptions(
        language=inputs.language,
        backend=backend,
        model=model,
        base_url=base_url,
        mode=mode,
        timeout=timeout,
        max_input_tokens=max_input_tokens,
        concurrency=concurrency,
        max_cost=max_cost,
        use_cache=not no_cache,
        requests_per_minute=rpm,
        tokens_per_minute=tpm,
        batch=batch,
        date=_parse_date(date),
        allow_private_network=inputs.allow_private_network,
    )
    try:
        brief = _build_with_progress(paths or [], inputs.feeds, options, console, quiet)
    except BriefingError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None

    for problem in brief.report.inputs_skipped:
        _err(console, problem.line())
    if quiet:  # otherwise they come with the report
        for note in brief.report.cache_notes:
            _err(console, note)
    text = render(brief, fmt.value)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_atomically(output, text)
    lines = report_lines(brief.report)
    if quiet:  # a dead endpoint is never silent
        down = brief.report.endpoint_down
        lines = [line for line in lines if down and line.startswith(down)]
    for line in lines:
        _err(console, line)
    raise typer.Exit(exit_status(brief))


def _check_base_url(console: Console, backend: BackendChoice, base_url: str | None) -> None:
    """A base URL (option or OPENAI_BASE_URL) that is not http(s) is a usage error: one line, exit 2."""
    if backend == BackendChoice.extractive:
        return
    from briefing.extract.model.providers import check_base_url

    try:
        check_base_url(base_url)
    except UserError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None


BriefFile = Annotated[Path, typer.Argument(help="A brief written with --format json.", show_default=False)]


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
    """Re-check a finished brief against its source articles, statement by statement."""
    console = Console(stderr=True)
    brief = _load_brief(brief_file, console)
    try:
        ingested = gather(sources)
    except UserError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for problem in ingested.problems:
        _err(console, problem.line())
    for note in ingested.cache_notes:
        _err(console, note)
    report = verify(brief, ingested.articles)
    for finding in report.unsupported:
        sys.stdout.write(f"UNSUPPORTED {finding.line()}\n")
    supported = report.checked - len({(f.where, f.statement) for f in report.unsupported})
    sys.stdout.write(f"{supported} of {report.checked} statements supported\n")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_NO_BRIEF)


def _load_brief(path: Path, console: Console) -> Brief:
    from briefing.ingest.files import BRIEF_LIMIT, FileRefused, read_file

    try:
        return Brief.model_validate_json(read_file(path, BRIEF_LIMIT))
    except FileRefused as exc:
        _err(console, f"error: {path}: {exc.reason}")
        raise typer.Exit(EXIT_USAGE) from None
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        _err(console, f"error: {path}: not a brief written with --format json ({first})")
        raise typer.Exit(EXIT_USAGE) from None


@app.command(
    name="send",
    epilog="Exit codes: 0 every subscriber has the edition; 1 not sent (unverified brief, settings, lock) "
    "or some deliveries failed or are uncertain; 2 usage error.",
)
def send_command(
    brief_file: BriefFile,
    sources: Annotated[
        list[str] | None,
        typer.Option("--sources", help="The brief's articles, to verify it against before sending."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Send even if the brief is not verified.")] = False,
    dry_run: Annotated[
        Path | None, typer.Option("--dry-run", help="Write the messages as .eml files here instead.")
    ] = None,
    to: ToOption = None,
    resend_uncertain: Annotated[
        bool,
        typer.Option(
            "--resend-uncertain",
            help="Send again to those whose delivery was cut off before the server confirmed it.",
        ),
    ] = False,
    correction: CorrectionOption = False,
    allow_empty: AllowEmptyOption = False,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Send again to those whose delivery was refused (5xx) earlier."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Email a brief to every active subscriber, once each (SMTP settings from BRIEFING_SMTP_*)."""
    from datetime import UTC, datetime

    from briefing.deliver.editions import EditionRefused, as_sent, claim_version, content_id
    from briefing.deliver.send import SmtpSettings, send_edition
    from briefing.store.addresses import normalise_address

    console = Console(stderr=True)
    brief = _load_brief(brief_file, console)
    if brief.date is not None and not _is_date(brief.date):
        _err(
            console, f"error: {brief_file}: the brief's date {brief.date!r} is not a date in YYYY-MM-DD form"
        )
        raise typer.Exit(EXIT_USAGE)
    if not brief.claims:
        _err(console, f"error: not sent: {brief_file} has no statements (only a headline)")
        raise typer.Exit(EXIT_NO_BRIEF)
    if not force:
        if not sources:
            _err(console, "error: not sent: give --sources to verify the brief against, or --force")
            raise typer.Exit(EXIT_NO_BRIEF)
        ingested = gather(sources)
        for note in ingested.cache_notes:
            _err(console, note)
        report = verify(brief, ingested.articles)
        if not report.ok:
            for finding in report.unsupported:
                _err(console, f"UNSUPPORTED {finding.line()}")
            _err(console, f"error: not sent: {len(report.unsupported)} statement(s) fail verification")
            raise typer.Exit(EXIT_NO_BRIEF)
    stop = _Stop()
    try:
        recipient = normalise_address(to) if to is not None else None
    except UserError as exc:
        _err(console, f"error: --to: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    try:
        mail = _mail_settings()
        mail.envelope_sender()  # a bad sender is found before any row is touched
        smtp = None if dry_run is not None else SmtpSettings.from_env()
        store = _existing_subscribers(db)
        key = content_id(brief)
        if recipient is not None:  # a test copy: outside the ledger, marked as it will go out
            brief = brief.model_copy(update={"correction": int(correction)})
        else:
            _require_audience(store, allow_empty)
        if recipient is None and brief.date is not None:
            plan = claim_version(brief, store.database, correction=correction, record=dry_run is None)
            if plan.note:
                _err(console, plan.note)
            brief, key = as_sent(brief, plan.version), plan.version.content_id
        stop.sending = True
        with stop.catching():
            result = send_edition(
                brief,
                store=store,
                mail=mail,
                smtp=smtp,
                edition=key,
                now=datetime.now(UTC),
                dry_run=dry_run,
                only_to=recipient,
                resend_uncertain=resend_uncertain,
                retry_failed=retry_failed,
                stop=stop.event,
            )
    except EditionRefused as exc:
        _err(console, f"not sent: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    except UserError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    done = _print_send_report(console, result, stopped_by=stop.name, test_copy=recipient)
    raise typer.Exit(EXIT_OK if done else EXIT_NO_BRIEF)


def _mail_settings() -> MailSettings:
    return MailSettings(
        sender=os.environ.get("BRIEFING_FROM", ""),
        unsubscribe_url=os.environ.get("BRIEFING_UNSUBSCRIBE_URL", ""),
        list_name=os.environ.get("BRIEFING_LIST_NAME", "briefing"),
    )


def _print_send_report(
    console: Console, result: SendReport, *, stopped_by: str | None = None, test_copy: str | None = None
) -> bool:
    """Print each failed or uncertain delivery and the totals; True when everyone has the edition."""
    for line in _send_lines(result, stopped_by=stopped_by, test_copy=test_copy):
        _err(console, line)
    return not result.failed and not result.uncertain and not result.stopped and not result.pending


def _send_lines(
    result: SendReport, *, stopped_by: str | None = None, test_copy: str | None = None
) -> list[str]:
    """Each failed or uncertain delivery, then the totals (a test copy: one line of its own)."""
    if test_copy is not None:
        if result.sent:
            return [f"test copy to {test_copy}: sent"]
        reason = result.stopped or (result.failed[0][1] if result.failed else "")
        return [f"test copy to {test_copy}: not sent: {reason or 'cut off before the server confirmed'}"]
    lines = [f"failed: {email}: {reason}" for email, reason in result.failed]
    lines += [
        f"uncertain: {email}: cut off before the server confirmed (--resend-uncertain)"
        for email in result.uncertain
    ]
    lines += [f"pending: {email}: {reason}" for email, reason in result.deferred]
    lines += [
        f"listed twice: {email} is the mailbox of {first}; sent once" for email, first in result.listed_twice
    ]
    if stopped_by is not None and result.stopped:
        return [
            *lines,
            f"stopped by {stopped_by}: {result.sent} sent, {result.pending} still pending; "
            "the next run sends the rest",
        ]
    if result.stopped:
        lines.append(f"error: {result.stopped}")
    return [*lines, result.line()]


class _Interrupted(BaseException):
    """A signal that ends the run where it is (a BaseException, so no handler takes it for a failure)."""


class _Stop:
    """SIGTERM and SIGINT, as cron's `timeout`, systemd or an operator's Ctrl-C send them.

    Before the sending starts, the first signal ends the run at once: nothing was sent.
    Once it has started, a signal only sets `event`: no further row is claimed, and the
    message in flight finishes (within the SMTP timeout). Signals after the first change
    nothing (`timeout` signals the command and then its whole process group).
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.name: str | None = None
        self.sending = False

    def __call__(self, signum: int, frame: object) -> None:
        first = self.name is None
        self.name = self.name or signal.Signals(signum).name
        self.event.set()
        if first and not self.sending:
            raise _Interrupted(self.name)

    @contextmanager
    def catching(self) -> Iterator[None]:
        """Handle both signals while the block runs (from the main thread only), then restore."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {signum: signal.signal(signum, self) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


CorrectionOption = Annotated[
    bool,
    typer.Option(
        "--correction",
        help="When the date's edition was already sent and this brief differs, send it as a correction "
        "(subject 'Correction: ...', a line at the top); without it such a brief is refused.",
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option("--allow-empty", help="Go on with no active subscriber instead of refusing."),
]


def _existing_subscribers(db: Path | None) -> SubscriberStore:
    """The subscribers database for sending: it must exist (a mistyped path would be an empty list).

    Raises:
        UserError: The file is missing or cannot be opened.
    """
    path = db or default_db_path()
    if not path.exists():
        raise UserError(
            f"subscribers database {path} does not exist (check --db or BRIEFING_DB); nothing sent. "
            "`briefing subscribers add` creates it"
        )
    return SubscriberStore(path)


def _require_audience(store: SubscriberStore, allow_empty: bool) -> None:
    if not allow_empty and not store.list(active_only=True):
        raise UserError(f"no active subscribers in {store.path}; nothing sent (--allow-empty to go on)")


@app.command(
    name="daily",
    epilog="Exit codes: 0 built, kept and sent to every subscriber, or already sent (nothing to do); "
    "3 sent, but degraded (an input skipped, an article fell back to the extractive backend, or a "
    "delivery failed; the run report is printed); 1 nothing sent (refused or failed, the reason is "
    "printed, or every delivery failed), or stopped by SIGTERM or SIGINT (the next run sends the "
    "rest); 2 usage error. Any run that is not clean mails $BRIEFING_ALERT_TO, if set.",
)
def daily_command(
    articles: Annotated[
        Path | None,
        typer.Option(
            envvar="BRIEFING_ARTICLES",
            help="Folder of today's articles (or use feeds: --feed, or feeds in --config).",
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
    editions: Annotated[
        Path, typer.Option(envvar="BRIEFING_EDITIONS", help="Where each edition is kept, by date.")
    ] = Path("editions"),
    min_sources: Annotated[
        int,
        typer.Option(envvar="BRIEFING_MIN_SOURCES", help="Fewest usable articles worth a brief.", min=1),
    ] = 2,
    date: Annotated[str | None, typer.Option(help="Edition date, YYYY-MM-DD (default: today).")] = None,
    backend: BackendOption = BackendChoice.auto,
    model: ModelOption = None,
    base_url: BaseUrlOption = None,
    mode: ModeOption = None,
    timeout: TimeoutOption = 60.0,
    concurrency: ConcurrencyOption = 8,
    max_cost: MaxCostOption = None,
    no_cache: NoCacheOption = False,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    batch: BatchOption = False,
    max_input_tokens: MaxInputTokensOption = DEFAULT_MAX_INPUT_TOKENS,
    quiet: QuietOption = False,
    dry_run: Annotated[
        Path | None,
        typer.Option(
            "--dry-run",
            help="Write the messages as .eml files here instead, and keep the version under "
            "DRY_RUN/editions/ (the archive and the database are left as they were).",
        ),
    ] = None,
    to: ToOption = None,
    correction: CorrectionOption = False,
    allow_empty: AllowEmptyOption = False,
    db: DbOption = None,
) -> None:
    """The scheduled run: build today's brief, keep it under EDITIONS/DATE/, and email it."""
    from datetime import UTC, datetime

    from briefing.deliver.daily import DailyRefused, DailyResult, run_daily
    from briefing.deliver.send import SmtpSettings
    from briefing.store.addresses import normalise_address

    console = Console(stderr=True)
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    edition = _parse_date(date) or dt.date.today().isoformat()
    inputs = _inputs(console, feed, since, topic, language, config, max_entries, allow_private_network)
    if articles is None and not inputs.feeds:
        _err(console, "error: give --articles FOLDER, or --feed (or feeds in --config)")
        raise typer.Exit(EXIT_USAGE)
    _check_base_url(console, backend, base_url)
    options = BuildOptions(
        backend=backend,
        model=model,
        base_url=base_url,
        mode=mode,
        timeout=timeout,
        max_input_tokens=max_input_tokens,
        concurrency=concurrency,
        max_cost=max_cost,
        use_cache=not no_cache,
        requests_per_minute=rpm,
        tokens_per_minute=tpm,
        batch=batch,
        language=inputs.language,
        allow_private_network=inputs.allow_private_network,
    )
    said: list[str] = []  # everything printed, for the alert

    def say(line: str) -> None:
        _err(console, line)
        said.append(line)

    def report(brief: Brief) -> None:
        lines = report_lines(brief.report)
        if quiet:  # a dead endpoint is never silent
            down = brief.report.endpoint_down
            lines = [line for line in lines if down and line.startswith(down)]
        for problem in brief.report.inputs_skipped:
            say(problem.line())
        for line in lines:
            say(line)

    def sending(ready: DailyResult) -> None:
        """Said before the first message, so that a run cut short has said what it built."""
        report(ready.brief)
        if ready.plan.note:
            say(ready.plan.note)
        if ready.folder is not None:
            version = ready.plan.version
            say(f"{version.label} ({version.content_id}) kept in {ready.folder}")
        stop.sending = True

    mail = _mail_settings()
    smtp: SmtpSettings | None = None
    outcome, code = "failed", EXIT_NO_BRIEF
    relay_down: str | None = None
    try:
        recipient = normalise_address(to) if to is not None else None
    except UserError as exc:
        _err(console, f"error: --to: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    stop = _Stop()
    with stop.catching():
        try:
            smtp = None if dry_run is not None else SmtpSettings.from_env()
            result = run_daily(
                [str(articles)] if articles is not None else [],
                editions,
                feeds=inputs.feeds,
                date=edition,
                store=_existing_subscribers(db),
                mail=mail,
                smtp=smtp,
                now=datetime.now(UTC),
                options=options,
                min_sources=min_sources,
                dry_run=dry_run,
                correction=correction,
                allow_empty=allow_empty,
                test_copy=recipient,
                stop=stop.event,
                on_sending=sending,
            )
        except _Interrupted:
            say(f"stopped by {stop.name} before sending: nothing sent")
            outcome = f"stopped by {stop.name}"
        except DailyRefused as exc:
            for line in report_lines(exc.report) if exc.report is not None else []:
                say(line)
            say(f"not sent: {exc}")
            outcome = "refused"
        except BriefingError as exc:
            say(f"error: {exc}")
        else:
            version = result.plan.version
            if result.report is None:
                say(
                    f"{version.label} ({version.content_id}) was already sent "
                    f"({result.plan.deliveries.summary()}); nothing to do"
                )
                raise typer.Exit(EXIT_OK)
            for line in _send_lines(result.report, stopped_by=stop.name, test_copy=recipient):
                say(line)
            delivered = not (result.report.failed or result.report.uncertain or result.report.pending)
            relay_down = result.report.relay_down
            nobody = result.report.subscribers > 0 and not (result.report.sent or result.report.already_sent)
            if stop.name is not None:
                code, outcome = EXIT_NO_BRIEF, f"stopped by {stop.name}"
            elif result.report.stopped:
                code, outcome = EXIT_NO_BRIEF, "stopped by the relay"
            elif nobody:
                code, outcome = EXIT_NO_BRIEF, "failed"
            else:
                code = EXIT_PARTIAL if exit_status(result.brief) == EXIT_PARTIAL or not delivered else EXIT_OK
                outcome = "degraded" if code == EXIT_PARTIAL else "clean"
        alert_to = os.environ.get("BRIEFING_ALERT_TO", "").strip()
        if code != EXIT_OK and alert_to:
            from briefing.deliver.alert import send_alert

            if smtp is not None and stop.name is not None:  # whoever stopped us will not wait long
                smtp = dataclasses.replace(smtp, timeout_s=min(smtp.timeout_s, 10.0))
            subject = f"briefing daily {edition}: {outcome} (exit {code})"
            try:
                unsent = send_alert(
                    alert_to,
                    subject,
                    said,
                    mail=mail,
                    smtp=smtp,
                    now=datetime.now(UTC),
                    dry_run=dry_run,
                    relay_down=relay_down,
                )
            except _Interrupted:
                unsent = f"alert to {alert_to} not sent: stopped by {stop.name}"
            if unsent is not None:
                _err(console, unsent)
    raise typer.Exit(code)


@app.command(name="eval", epilog="Exit codes: 0 scored; 1 a cluster could not be built; 2 usage error.")
def eval_command(
    clusters: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled cluster folders (a labels.json each); default: every folder in tests/eval.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON for machines.")] = False,
    backend: Annotated[BackendChoice, typer.Option(help="As for build.")] = BackendChoice.extractive,
    model: Annotated[str | None, typer.Option(help="As for build.")] = None,
    base_url: Annotated[str | None, typer.Option(help="As for build.")] = None,
) -> None:
    """Score briefs against hand-labelled clusters: key facts, figures, citations, disagreements, names."""
    console = Console(stderr=True)
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    _check_base_url(console, backend, base_url)
    folders = clusters or sorted(p.parent for p in Path("tests/eval").glob("*/labels.json"))
    if not folders:
        _err(console, "error: no cluster folders given and none found under tests/eval")
        raise typer.Exit(EXIT_USAGE)
    try:
        scores = evaluate(folders, BuildOptions(backend=backend, model=model, base_url=base_url))
    except BriefingError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    if as_json:
        sys.stdout.write(json.dumps([s.model_dump(mode="json") for s in scores], indent=2) + "\n")
    else:
        sys.stdout.write(format_table(scores) + "\n")


def _build_with_progress(
    paths: list[str], feeds: list[FeedQuery], options: BuildOptions, console: Console, quiet: bool
) -> Brief:
    if quiet:
        return build(paths, options, feeds=feeds)

    def batch_status(status: str) -> None:
        _err(console, f"batch: {status}")

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
                _err(console, f"extracted {count} of {total}")

        return build(
            paths,
            options,
            feeds=feeds,
            on_start=plain_start,
            on_progress=plain_progress,
            on_batch_status=batch_status,
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

        return build(
            paths,
            options,
            feeds=feeds,
            on_start=on_start,
            on_progress=on_progress,
            on_batch_status=progress.console.log,
        )


cache_app = typer.Typer(
    help="The cache: model answers kept by article text, model and prompt, and the web pages fetched."
)
app.add_typer(cache_app, name="cache")


@cache_app.command(name="stats")
def cache_stats_command() -> None:
    """Where the cache is, how many extractions it holds (per model) and its size."""
    with _cache_file() as (pages, cache):
        stats, count = cache.stats(), pages.count()
    sys.stdout.write(
        f"{stats.path}\n{stats.entries} extraction(s), {count} web page(s), {stats.bytes:,} bytes\n"
    )
    for model, entries in stats.by_model.items():
        sys.stdout.write(f"  {model}: {entries}\n")


@cache_app.command(name="clear")
def cache_clear_command() -> None:
    """Remove every cached extraction and web page (the next run asks the model and the sites again)."""
    with _cache_file() as (pages, cache):
        removed_pages, removed = pages.clear(), cache.clear()
    sys.stdout.write(f"removed {removed} extraction(s) and {removed_pages} web page(s) from {cache.path}\n")


@contextmanager
def _cache_file() -> Iterator[tuple[PageCache, ExtractionCache]]:
    """Both tables of the cache file, closed afterwards; then what went wrong with the file, once a line.

    A damaged file has been moved aside and started afresh by then, so the command goes on;
    it exits 1 only when the file could not be used at all.
    """
    file = CacheDatabase(default_cache_path())  # one connection for both tables
    pages, cache = PageCache(file), ExtractionCache(file)
    try:
        yield pages, cache
    finally:
        pages.close()
        cache.close()
    console = Console(stderr=True)
    for note in dict.fromkeys([*pages.notes, *cache.notes]):
        _err(console, note)
    if not (pages.usable and cache.usable):
        raise typer.Exit(EXIT_NO_BRIEF)


subscribers_app = typer.Typer(help="Who receives the brief by email (kept in the delivery database).")
app.add_typer(subscribers_app, name="subscribers")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Delivery database (default: $BRIEFING_DB, else the user data directory)."),
]


def _open_subscribers(db: Path | None, *, create: bool = True) -> SubscriberStore:
    """The subscribers database; only `add` and `import` (`create`) may start a missing one."""
    path = db or default_db_path()
    if not create and not path.exists():
        _err(
            Console(stderr=True),
            f"error: subscribers database {path} does not exist (check --db or BRIEFING_DB); "
            "`briefing subscribers add` creates it",
        )
        raise typer.Exit(EXIT_NO_BRIEF)
    try:
        return SubscriberStore(path)
    except UserError as exc:
        _err(Console(stderr=True), f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None


@subscribers_app.command(name="add")
def subscribers_add_command(
    email: Annotated[str, typer.Argument(help="The address to send the brief to.", show_default=False)],
    name: Annotated[str, typer.Option(help="How to greet them.")] = "",
    resubscribe: Annotated[
        bool, typer.Option("--resubscribe", help="Sign up again an address that had unsubscribed.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a subscriber (an unsubscribed address stays so without --resubscribe)."""
    from briefing.store.addresses import delivery_address

    store = _open_subscribers(db)
    try:
        subscriber, changed = store.add(email, name, resubscribe=resubscribe)
    except UserError as exc:
        _err(Console(stderr=True), f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    if changed:
        sys.stdout.write(f"added {subscriber.email}\n")
        if delivery_address(subscriber.email)[1]:
            _err(
                Console(stderr=True),
                f"note: {subscriber.email} can only be delivered through a relay offering SMTPUTF8",
            )
    elif subscriber.status == "unsubscribed":
        sys.stdout.write(f"{subscriber.email} unsubscribed earlier; not added (use --resubscribe)\n")
    else:
        sys.stdout.write(f"{subscriber.email} is already subscribed\n")


@subscribers_app.command(name="remove")
def subscribers_remove_command(
    email: Annotated[
        str | None, typer.Argument(help="The address to stop sending to.", show_default=False)
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="Unsubscribe by the token of an unsubscribe link or mail instead of the address."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Unsubscribe an address (it stays recorded as unsubscribed and is never mailed again)."""
    if (email is None) == (token is None):
        _err(Console(stderr=True), "error: give either an address or --token")
        raise typer.Exit(EXIT_USAGE)
    store = _open_subscribers(db, create=False)
    try:
        removed = store.remove(email) if email is not None else store.unsubscribe_token(token or "")
    except UserError as exc:
        _err(Console(stderr=True), f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    who = email.strip() if email is not None else "the token's owner"
    sys.stdout.write(f"unsubscribed {who}\n" if removed else f"{who} was not subscribed\n")


@subscribers_app.command(name="list")
def subscribers_list_command(
    all_: Annotated[bool, typer.Option("--all", help="Include unsubscribed addresses.")] = False,
    db: DbOption = None,
) -> None:
    """Print the subscribers, one per line: address, status, name."""
    for subscriber in _open_subscribers(db, create=False).list(active_only=not all_):
        sys.stdout.write(f"{subscriber.email}\t{subscriber.status}\t{subscriber.name}\n")


@subscribers_app.command(name="import")
def subscribers_import_command(
    csv_file: Annotated[
        Path, typer.Argument(help="CSV with an 'email' column (and 'name'), or addresses first.")
    ],
    db: DbOption = None,
) -> None:
    """Add every address in a CSV file; bad lines get one line each and are skipped."""
    console = Console(stderr=True)
    try:
        result = _open_subscribers(db).import_csv(csv_file)
    except UserError as exc:
        _err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for problem in result.problems:
        _err(console, problem)
    sys.stdout.write(
        f"added {result.added}, already subscribed {result.already}, "
        f"kept unsubscribed {result.kept_unsubscribed}, skipped {len(result.problems)}\n"
    )


def main() -> None:  # pragma: no cover - console entry for `python -m briefing`
    app()
