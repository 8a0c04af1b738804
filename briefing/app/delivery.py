"""The delivery commands: `briefing send` (a finished brief or edition) and `briefing daily`.

Both take the SMTP and mail settings from `briefing.settings` (environment, then the config
file); `daily` takes every option of `build` from `briefing.app.options`, so the paid,
scheduled run has the same cost cap and pacing as a run by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefing.app.common import (
    EXIT_NO_BRIEF,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    check_base_url,
    err,
    feed_flags,
    inputs,
    is_date,
    load_brief_or_edition,
    model_flags,
    parse_date,
    quiet_instructor,
    settings,
    stderr,
)
from briefing.app.options import (
    AllowEmptyOption,
    ArticlesOption,
    BackendOption,
    BaseUrlOption,
    BatchOption,
    BriefFile,
    BuildOnlyOption,
    ConcurrencyOption,
    ConfigOption,
    CorrectionOption,
    DbOption,
    DryRunOption,
    EditionsOption,
    EmbeddingsModelOption,
    FeedOption,
    LanguageOption,
    MaxCostOption,
    MaxEntriesOption,
    MaxInputTokensOption,
    MaxStoriesOption,
    MinSourcesOption,
    ModelOption,
    ModeOption,
    NoCacheOption,
    PrivateNetworkOption,
    QuietOption,
    RequireApprovalOption,
    RpmOption,
    SendApprovedOption,
    SinceOption,
    TimeoutOption,
    ToOption,
    TopicOption,
    TpmOption,
)
from briefing.app.review import build_for_review_command, edited_edition
from briefing.app.signals import Interrupted, Stop

if TYPE_CHECKING:
    from rich.console import Console

    from briefing.contracts import Brief, Edition
    from briefing.deliver.send import SendReport, SmtpSettings
    from briefing.store.subscribers import SubscriberStore

__all__ = ["DAILY_EPILOG", "SEND_EPILOG", "daily_command", "send_command"]

SEND_EPILOG = (
    "Exit codes: 0 every subscriber has the edition; 1 not sent (a statement of any story "
    "unverified, not approved where approval is required, settings, lock) or some deliveries failed "
    "or are uncertain; 2 usage error."
)
DAILY_EPILOG = (
    "Exit codes: 0 built, kept and sent to every subscriber, or already sent (nothing to do); "
    "3 sent, but degraded (an input skipped, an article fell back to the extractive backend, a "
    "story other than the top one failed verification and was dropped, or a delivery failed; the "
    "run report is printed); 1 nothing sent (refused or failed, e.g. the top story fails "
    "verification; the reason is printed, or every delivery failed), or stopped by SIGTERM or "
    "SIGINT (the next run sends the rest), or not approved where approval is required; with --build-only: "
    "0 kept for review, 3 kept but degraded, 1 not kept; 2 usage error. Any run that is not clean mails "
    "$BRIEFING_ALERT_TO, if set."
)


def send_command(
    brief_file: BriefFile,
    sources: Annotated[
        list[str] | None,
        typer.Option("--sources", help="The brief's articles, to verify it against before sending."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Send even if the brief is not verified.")] = False,
    dry_run: DryRunOption = None,
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
    require_approval: RequireApprovalOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Email a brief or an edition to every active subscriber, once each (SMTP: BRIEFING_SMTP_*, --config)."""
    from datetime import UTC, datetime

    from briefing.check.verify import verify, verify_edition
    from briefing.contracts import Edition
    from briefing.deliver.editions import (
        EditionRefused,
        as_sent,
        claim_version,
        content_id,
        mark_correction,
    )
    from briefing.deliver.send import send_edition
    from briefing.errors import UserError
    from briefing.pipeline import gather
    from briefing.review.check import unaccepted
    from briefing.store.addresses import normalise_address

    console = stderr()
    chosen = settings(console, config, db=db, require_approval=True if require_approval else None)
    brief = load_brief_or_edition(brief_file, console)
    edited = edited_edition(brief_file, console)
    overrides = edited.overrides if edited is not None else []
    if edited is not None:
        brief = edited.edition
    if chosen.require_approval and to is None:
        reason = edited.verdict.reason if edited is not None else "it has no edits log, so no approval"
        if edited is None or not edited.verdict.approved:
            err(console, f"not sent: {brief_file} is not approved: {reason} (`briefing approve`)")
            raise typer.Exit(EXIT_NO_BRIEF)
    what = "edition" if isinstance(brief, Edition) else "brief"
    if brief.date is not None and not is_date(brief.date):
        err(
            console, f"error: {brief_file}: the {what}'s date {brief.date!r} is not a date in YYYY-MM-DD form"
        )
        raise typer.Exit(EXIT_USAGE)
    if not _statements(brief):
        err(console, f"error: not sent: {brief_file} has no statements (only a headline)")
        raise typer.Exit(EXIT_NO_BRIEF)
    if not force:
        if not sources:
            err(console, "error: not sent: give --sources to verify the brief against, or --force")
            raise typer.Exit(EXIT_NO_BRIEF)
        ingested = gather(sources)
        for note in ingested.cache_notes:
            err(console, note)
        if isinstance(brief, Edition):
            report = verify_edition(brief, ingested.articles)
        else:
            report = verify(brief, ingested.articles)
        unsupported = unaccepted(report.unsupported, overrides)
        if unsupported:
            for finding in unsupported:
                err(console, f"UNSUPPORTED {finding.line()}")
            err(console, f"error: not sent: {len(unsupported)} statement(s) fail verification")
            raise typer.Exit(EXIT_NO_BRIEF)
    stop = Stop()
    try:
        recipient = normalise_address(to) if to is not None else None
    except UserError as exc:
        err(console, f"error: --to: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    try:
        mail = chosen.mail()
        mail.envelope_sender()  # a bad sender is found before any row is touched
        smtp = None if dry_run is not None else chosen.smtp()
        store = _existing_subscribers(chosen.db_path())
        key = content_id(brief)
        if recipient is not None:  # a test copy: outside the ledger, marked as it will go out
            brief = mark_correction(brief, int(correction))
        else:
            _require_audience(store, allow_empty)
        if recipient is None and brief.date is not None:
            plan = claim_version(brief, store.database, correction=correction, record=dry_run is None)
            if plan.note:
                err(console, plan.note)
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
        err(console, f"not sent: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    done = _print_send_report(console, result, stopped_by=stop.name, test_copy=recipient)
    raise typer.Exit(EXIT_OK if done else EXIT_NO_BRIEF)


def _statements(item: Brief | Edition) -> int:
    """How many statements a reader sees: a brief's claims, or every story's and "Also reported" line's."""
    from briefing.contracts import Brief

    if isinstance(item, Brief):
        return len(item.claims)
    return sum(len(s.brief.claims) for s in item.stories) + sum(1 for a in item.also_reported if a.statement)


def _print_send_report(
    console: Console, result: SendReport, *, stopped_by: str | None = None, test_copy: str | None = None
) -> bool:
    """Print each failed or uncertain delivery and the totals; True when everyone has the edition."""
    for line in _send_lines(result, stopped_by=stopped_by, test_copy=test_copy):
        err(console, line)
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


def _existing_subscribers(path: Path) -> SubscriberStore:
    """The subscribers database for sending: it must exist (a mistyped path would be an empty list).

    Raises:
        UserError: The file is missing or cannot be opened.
    """
    from briefing.errors import UserError
    from briefing.store.subscribers import SubscriberStore

    if not path.exists():
        raise UserError(
            f"subscribers database {path} does not exist (check --db or BRIEFING_DB); nothing sent. "
            "`briefing subscribers add` creates it"
        )
    return SubscriberStore(path)


def _require_audience(store: SubscriberStore, allow_empty: bool) -> None:
    from briefing.errors import UserError

    if not allow_empty and not store.list(active_only=True):
        raise UserError(f"no active subscribers in {store.path}; nothing sent (--allow-empty to go on)")


def daily_command(
    articles: ArticlesOption = None,
    feed: FeedOption = None,
    since: SinceOption = None,
    topic: TopicOption = None,
    language: LanguageOption = None,
    config: ConfigOption = None,
    max_entries: MaxEntriesOption = None,
    allow_private_network: PrivateNetworkOption = False,
    editions: EditionsOption = None,
    min_sources: MinSourcesOption = None,
    date: Annotated[str | None, typer.Option(help="Edition date, YYYY-MM-DD (default: today).")] = None,
    max_stories: MaxStoriesOption = None,
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
    embeddings_model: EmbeddingsModelOption = None,
    quiet: QuietOption = False,
    dry_run: DryRunOption = None,
    to: ToOption = None,
    correction: CorrectionOption = False,
    allow_empty: AllowEmptyOption = False,
    require_approval: RequireApprovalOption = False,
    build_only: BuildOnlyOption = False,
    send_approved: SendApprovedOption = False,
    db: DbOption = None,
) -> None:
    """The scheduled run: build today's edition, keep it under EDITIONS/DATE/, and email it."""
    from datetime import UTC, datetime

    from briefing.deliver.daily import DailyRefused, DailyResult, run_daily
    from briefing.deliver.daily import send_approved as send_kept
    from briefing.errors import BriefingError, UserError
    from briefing.pipeline import exit_status
    from briefing.render.brief import report_lines
    from briefing.store.addresses import normalise_address

    console = stderr()
    quiet_instructor()
    chosen = settings(
        console,
        config,
        language=language,
        **feed_flags(since, topic, max_entries, allow_private_network),
        articles=articles,
        editions=editions,
        min_sources=min_sources,
        db=db,
        require_approval=True if require_approval else None,
        embeddings_model=embeddings_model,
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
    edition = parse_date(date) or dt.date.today().isoformat()
    given = inputs(console, chosen, feed)
    if chosen.articles is None and not given.feeds:
        err(console, "error: give --articles FOLDER, or --feed (or feeds in --config)")
        raise typer.Exit(EXIT_USAGE)
    check_base_url(console, chosen)
    extra = {"max_stories": max_stories} if max_stories else {}
    options = chosen.build_options(language=given.language, **extra)
    if build_only and send_approved:
        err(console, "error: --build-only and --send-approved are two runs: give one")
        raise typer.Exit(EXIT_USAGE)
    if build_only:
        build_for_review_command(console, chosen, given.feeds, edition, options, quiet)
    said: list[str] = []  # everything printed, for the alert

    def say(line: str) -> None:
        err(console, line)
        said.append(line)

    def report(brief: Edition) -> None:
        lines = report_lines(brief.report)
        if quiet:  # a dead endpoint (model or embeddings) and a damaged cache are never silent
            down = brief.report.endpoint_down
            notes = set(brief.report.cache_notes)
            lines = [line for line in lines if (down and line.startswith(down)) or line in notes]
        for problem in brief.report.inputs_skipped:
            say(problem.line())
        for line in lines:
            say(line)

    def sending(ready: DailyResult) -> None:
        """Said before the first message, so that a run cut short has said what it built."""
        report(ready.brief)
        for line in ready.dropped:
            say(line)
        if ready.plan.note:
            say(ready.plan.note)
        if ready.folder is not None:
            version = ready.plan.version
            say(f"{version.label} ({version.content_id}) kept in {ready.folder}")
        stop.sending = True

    mail = chosen.mail()
    smtp: SmtpSettings | None = None
    outcome, code = "failed", EXIT_NO_BRIEF
    relay_down: str | None = None
    try:
        recipient = normalise_address(to) if to is not None else None
    except UserError as exc:
        err(console, f"error: --to: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    stop = Stop()
    with stop.catching():
        try:
            smtp = None if dry_run is not None else chosen.smtp()
            if chosen.require_approval and recipient is None and not send_approved:
                raise DailyRefused(
                    f"{chosen.origin('require_approval')} asks for an approved edition: build it with "
                    "--build-only, approve it with `briefing approve`, then send it with --send-approved"
                )
            run = send_kept if send_approved else run_daily
            result = run(
                [str(chosen.articles)] if chosen.articles is not None else [],
                chosen.editions,
                feeds=given.feeds,
                date=edition,
                store=_existing_subscribers(chosen.db_path()),
                mail=mail,
                smtp=smtp,
                now=datetime.now(UTC),
                options=options,
                dry_run=dry_run,
                correction=correction,
                allow_empty=allow_empty,
                test_copy=recipient,
                stop=stop.event,
                on_sending=sending,
                **({} if send_approved else {"min_sources": chosen.min_sources}),
            )
        except Interrupted:
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
                degraded = exit_status(result.brief) == EXIT_PARTIAL or bool(result.dropped)
                code = EXIT_PARTIAL if degraded or not delivered else EXIT_OK
                outcome = "degraded" if code == EXIT_PARTIAL else "clean"
        alert_to = chosen.alert_to
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
            except Interrupted:
                unsent = f"alert to {alert_to} not sent: stopped by {stop.name}"
            if unsent is not None:
                err(console, unsent)
    raise typer.Exit(code)
