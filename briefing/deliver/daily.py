"""The scheduled run: build today's brief, keep it, and send it, or send nothing and say why.

A subscriber must never get a half-made, empty or stale brief, so every check comes
before the first message: there must be someone to send to, and the brief must build,
rest on at least `min_sources` usable articles, contain at least one statement, pass
`briefing.check.verify`, and not be made of exactly the articles of the previous edition. If
any check fails, nothing is sent and `DailyRefused` carries the reason (the CLI exits
non-zero with it, so the scheduler can alert).

Which version of the day the brief is comes from `briefing.deliver.editions`: today's
edition, a re-run of one already sent (nothing to do), or, on request, a correction. The
version is kept under `editions/DATE/` (a correction under `editions/DATE/correction-N/`)
before sending; sending itself is `briefing.deliver.send`, so a re-run of an unchanged
edition sends only to those still pending.

A dry run or a test copy changes nothing an edition is known by: the editions table is
not written, a dry run keeps its version under `DRY_RUN/editions/` instead of the archive,
and a test copy is not kept at all.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from briefing.check.verify import verify
from briefing.contracts import Brief, RunReport
from briefing.deliver.editions import Archive, EditionRefused, Plan, as_sent, claim_version
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SendReport, SmtpSettings, send_edition
from briefing.errors import BriefingError
from briefing.ingest.feeds import FeedQuery
from briefing.pipeline import BuildOptions, build_from, gather
from briefing.store.subscribers import SubscriberStore

__all__ = ["DailyRefused", "DailyResult", "run_daily"]


class DailyRefused(BriefingError):
    """Today's brief is not fit to send; nothing was sent."""

    def __init__(self, message: str, report: RunReport | None = None) -> None:
        super().__init__(message)
        self.report = report
        """The run report of the brief that was refused, when one was built."""


@dataclass(frozen=True)
class DailyResult:
    brief: Brief
    """The brief as sent (marked when it is a correction)."""
    plan: Plan
    folder: Path | None
    """Where the version is kept (None for a test copy)."""
    report: SendReport | None
    """None when the edition had already been sent (nothing to do), or before sending."""


def run_daily(
    articles: Sequence[str],
    editions: Path,
    *,
    feeds: Sequence[FeedQuery] = (),
    date: str,
    store: SubscriberStore,
    mail: MailSettings,
    smtp: SmtpSettings | None,
    now: datetime,
    options: BuildOptions | None = None,
    min_sources: int = 2,
    dry_run: Path | None = None,
    correction: bool = False,
    allow_empty: bool = False,
    test_copy: str | None = None,
    stop: threading.Event | None = None,
    on_sending: Callable[[DailyResult], None] | None = None,
) -> DailyResult:
    """Build, check, keep and send the edition of `date` from `articles` (paths, URLs) and `feeds`.

    With `correction`, a brief that differs from the version already sent today goes out
    as the next correction; without it, such a brief is refused. With `allow_empty`, an
    edition is built and kept even with no active subscriber. A dry run records nothing
    in the database (the messages become `.eml` files), but is refused as a real run would be.
    With `test_copy`, the checked brief goes to that one address only, as `send --to` does.
    `on_sending` hears the kept version just before the first message, so that a run cut
    short has said what it built; `stop` is handed to `send_edition`.

    Raises:
        DailyRefused: Nothing to send to, or the brief could not be built, failed a check,
            or may not go out as today's edition; nothing was sent.
        UserError: Bad settings (SMTP, sender), or another run is sending this edition.
    """
    mail.envelope_sender()  # a bad sender is found before anything is built
    if test_copy is None and not allow_empty and not store.list(active_only=True):
        raise DailyRefused(
            f"no active subscribers in {store.path}; nothing built or sent "
            "(--allow-empty to build and keep the edition anyway)"
        )
    build_options = dataclasses.replace(options or BuildOptions(), date=date)
    try:
        ingested = gather(articles, build_options, feeds=feeds)
        brief = build_from(ingested, build_options)
    except BriefingError as exc:
        raise DailyRefused(f"today's brief could not be built: {exc}") from None
    report = brief.report
    used = report.articles_used
    if used < min_sources:
        where = ", ".join([*articles, *(f.url for f in feeds)])
        raise DailyRefused(
            f"only {used} usable source(s) in {where}; at least {min_sources} are needed", report
        )
    if not brief.claims:
        raise DailyRefused(
            f"the brief has no statements (only the headline {brief.headline!r}): "
            f"the {used} article(s) gave nothing to report",
            report,
        )
    checked = verify(brief, ingested.articles)
    if not checked.ok:
        first = checked.unsupported[0].line()
        failing = len(checked.unsupported)
        raise DailyRefused(f"{failing} statement(s) fail verification; first: {first}", report)
    archive = Archive(editions)
    previous = archive.previous_sources(date)
    current = sorted(s.article_id for s in brief.sources)
    if previous is not None and previous[1] == current:
        raise DailyRefused(
            f"the articles are exactly those of the {previous[0]} edition: no new brief to send", report
        )
    record = dry_run is None and test_copy is None
    try:
        plan = claim_version(brief, store.database, correction=correction, record=record)
    except EditionRefused as exc:
        raise DailyRefused(str(exc), report) from None
    marked = as_sent(brief, plan.version)
    if plan.action == "done" and test_copy is None:
        return DailyResult(brief=marked, plan=plan, folder=archive.folder(plan.version), report=None)
    folder: Path | None = None
    if test_copy is None:
        keeper = archive if dry_run is None else Archive(dry_run / "editions")
        folder = keeper.keep(marked, plan.version)
    if on_sending is not None:
        on_sending(DailyResult(brief=marked, plan=plan, folder=folder, report=None))
    sent = send_edition(
        marked,
        store=store,
        mail=mail,
        smtp=smtp,
        edition=plan.version.content_id,
        now=now,
        dry_run=dry_run,
        only_to=test_copy,
        stop=stop,
    )
    return DailyResult(brief=marked, plan=plan, folder=folder, report=sent)
