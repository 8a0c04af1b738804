"""The scheduled run: build today's edition, keep it, and send it, or send nothing and say why.

Today's articles become an `Edition` (`briefing.pipeline.build_edition_from`): ranked
stories, each with its own brief, and "Also reported" lines; the editions archive is
handed to the build, so a story of a recent edition is followed. An edition of one
story is sent exactly as that story's brief always was.

A subscriber must never get a half-made, empty, unverified or stale edition, so every
check comes before the first message: there must be someone to send to, and the edition
must build, rest on at least `min_sources` usable articles, contain at least one
statement, and not be made of exactly the articles of the previous edition. Every story
and line is checked by `briefing.check.verify`: when the top story fails, nothing is
sent; any other story or line that fails is dropped from the edition, named with its
first failure in `DailyResult.dropped` (the run is degraded, so the scheduler alerts),
and never sent unverified. If a check fails, nothing is sent and `DailyRefused` carries
the reason (the CLI exits non-zero with it, so the scheduler can alert).

Which version of the day the brief is comes from `briefing.deliver.editions`: today's
edition, a re-run of one already sent (nothing to do), or, on request, a correction. The
version is kept under `editions/DATE/` (a correction under `editions/DATE/correction-N/`)
before sending; sending itself is `briefing.deliver.send`, so a re-run of an unchanged
edition sends only to those still pending.

**Review before sending.** Where an editor approves each edition, `build_for_review` builds
and checks it early and keeps it under `editions/DATE/review/` (nothing sent, nothing
recorded); the editor edits and approves it there (`briefing.review`); `send_approved`
later sends exactly that edition plus its edits, once its approval matches it.

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

from briefing.check.verify import Finding, verify, verify_edition
from briefing.contracts import Article, Edition, RunReport
from briefing.deliver.corrections import mark_published, pending
from briefing.deliver.editions import (
    Archive,
    EditionRefused,
    Plan,
    as_sent,
    claim_version,
    keep_for_review,
    source_ids,
)
from briefing.deliver.message import MailSettings
from briefing.deliver.send import SendReport, SmtpSettings, send_edition
from briefing.errors import BriefingError
from briefing.ingest.feeds import FeedQuery
from briefing.pipeline import BuildOptions, build_edition_from, gather
from briefing.render.edition import single_brief
from briefing.store.subscribers import SubscriberStore

__all__ = [
    "REVIEW",
    "Checked",
    "DailyRefused",
    "DailyResult",
    "build_for_review",
    "check_edition",
    "review_file",
    "run_daily",
    "send_approved",
]

REVIEW = "review"
"""The folder under `EDITIONS/DATE/` where an edition built early waits for its editor."""


class DailyRefused(BriefingError):
    """Today's edition is not fit to send; nothing was sent."""

    def __init__(self, message: str, report: RunReport | None = None) -> None:
        super().__init__(message)
        self.report = report
        """The run report of the edition that was refused, when one was built."""


@dataclass(frozen=True)
class DailyResult:
    brief: Edition
    """The edition as sent (marked when it is a correction; failing stories dropped)."""
    plan: Plan
    folder: Path | None
    """Where the version is kept (None for a test copy)."""
    report: SendReport | None
    """None when the edition had already been sent (nothing to do), or before sending."""
    dropped: list[str] = dataclasses.field(default_factory=list)
    """One line per story or line dropped for failing verification: the run is degraded."""


@dataclass(frozen=True)
class Checked:
    """An edition that passed `check_edition`: what may be sent, and what was dropped and why."""

    edition: Edition
    dropped: list[str]


def check_edition(edition: Edition, articles: Sequence[Article], *, min_sources: int, where: str) -> Checked:
    """The checks an edition passes before any message (see the module docstring).

    `where` names the inputs, for the message when there are too few sources.

    Raises:
        DailyRefused: Too few usable sources, no statement, or the top story fails verification.
    """
    report = edition.report
    used = report.articles_used
    if used < min_sources:
        raise DailyRefused(
            f"only {used} usable source(s) in {where}; at least {min_sources} are needed", report
        )
    statements = sum(len(s.brief.claims) for s in edition.stories)
    statements += sum(1 for line in edition.also_reported if line.statement)
    if not statements:
        only = single_brief(edition)
        what = "brief" if only is not None or not edition.stories else "edition"
        headline = edition.stories[0].headline if edition.stories else ""
        shown = f" (only the headline {headline!r})" if headline else ""
        raise DailyRefused(
            f"the {what} has no statements{shown}: the {used} article(s) gave nothing to report", report
        )
    stories, lines, dropped = [], [], []
    for number, story in enumerate(edition.stories, start=1):
        findings = verify(story.brief, articles).unsupported
        if not findings:
            stories.append(story)
        elif number == 1:
            raise DailyRefused(_refusal(story.headline, findings, len(edition.stories) > 1), report)
        else:
            dropped.append(_dropped(f"story {number}", story.headline, findings[0]))
    for index, line in enumerate(edition.also_reported):
        alone = edition.model_copy(update={"stories": [], "also_reported": [line]})
        unsupported = verify_edition(alone, articles).unsupported
        if not unsupported:
            lines.append(line)
        elif index == 0 and not edition.stories:
            raise DailyRefused(_refusal(line.headline, unsupported, True), report)
        else:
            dropped.append(_dropped("Also reported line", line.headline, unsupported[0]))
    if not dropped:
        return Checked(edition, [])
    return Checked(edition.model_copy(update={"stories": stories, "also_reported": lines}), dropped)


def _refusal(headline: str, findings: list[Finding], several: bool) -> str:
    first = findings[0].line()
    if not several:
        return f"{len(findings)} statement(s) fail verification; first: {first}"
    return f"the top story ({headline!r}) fails verification: {len(findings)} statement(s); first: {first}"


def _dropped(what: str, headline: str, finding: Finding) -> str:
    return f"dropped from the edition, unverified: {what} {headline!r}: {finding.line()}"


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

    With `correction`, an edition that differs from the version already sent today goes out
    as the next correction; without it, such an edition is refused. With `allow_empty`, an
    edition is built and kept even with no active subscriber. A dry run records nothing
    in the database (the messages become `.eml` files), but is refused as a real run would be.
    With `test_copy`, the checked edition goes to that one address only, as `send --to` does.
    `on_sending` hears the kept version just before the first message, so that a run cut
    short has said what it built; `stop` is handed to `send_edition`.

    Raises:
        DailyRefused: Nothing to send to, or the edition could not be built, failed a check,
            or may not go out as today's edition; nothing was sent.
        UserError: Bad settings (SMTP, sender), or another run is sending this edition.
    """
    mail.envelope_sender()  # a bad sender is found before anything is built
    if test_copy is None and not allow_empty and not store.list(active_only=True):
        raise DailyRefused(
            f"no active subscribers in {store.path}; nothing built or sent "
            "(--allow-empty to build and keep the edition anyway)"
        )
    built, checked = _build_and_check(
        articles, editions, feeds=feeds, date=date, options=options, min_sources=min_sources
    )
    return _keep_and_send(
        checked,
        built.report,
        Archive(editions),
        date=date,
        store=store,
        mail=mail,
        smtp=smtp,
        now=now,
        dry_run=dry_run,
        correction=correction,
        test_copy=test_copy,
        stop=stop,
        on_sending=on_sending,
    )


def _build_and_check(
    articles: Sequence[str],
    editions: Path,
    *,
    feeds: Sequence[FeedQuery],
    date: str,
    options: BuildOptions | None,
    min_sources: int,
) -> tuple[Edition, Checked]:
    """The edition of `date` as built (following `editions`), and as `check_edition` lets it go out."""
    build_options = dataclasses.replace(options or BuildOptions(), date=date, editions=editions)
    try:
        ingested = gather(articles, build_options, feeds=feeds)
        built = build_edition_from(ingested, build_options)
    except BriefingError as exc:
        raise DailyRefused(f"today's brief could not be built: {exc}") from None
    where = ", ".join([*articles, *(f.url for f in feeds)])
    return built, check_edition(built, ingested.articles, min_sources=min_sources, where=where)


def _keep_and_send(
    checked: Checked,
    report: RunReport,
    archive: Archive,
    *,
    date: str,
    store: SubscriberStore,
    mail: MailSettings,
    smtp: SmtpSettings | None,
    now: datetime,
    dry_run: Path | None,
    correction: bool,
    test_copy: str | None,
    stop: threading.Event | None,
    on_sending: Callable[[DailyResult], None] | None,
) -> DailyResult:
    """Decide the version of the day, keep it in the archive and send it (see `run_daily`).

    The edition opens with the corrections of earlier editions not yet published
    (`briefing.deliver.corrections`), which are marked published once it is kept.
    """
    sent_today = (archive.root / date / "brief.json").exists()
    corrections, notes = pending(archive.root, date, sent_today=sent_today)
    edition = checked.edition
    if corrections:
        edition = edition.model_copy(update={"corrections": corrections})
    if notes:
        skipped = [*edition.report.inputs_skipped, *notes]
        edition = edition.model_copy(
            update={"report": edition.report.model_copy(update={"inputs_skipped": skipped})}
        )
    previous = archive.previous_sources(date)
    current = source_ids(edition.model_dump(mode="json"))
    if previous is not None and previous[1] == current:
        raise DailyRefused(
            f"the articles are exactly those of the {previous[0]} edition: no new brief to send", report
        )
    record = dry_run is None and test_copy is None
    try:
        plan = claim_version(edition, store.database, correction=correction, record=record)
    except EditionRefused as exc:
        raise DailyRefused(str(exc), report) from None
    marked = as_sent(edition, plan.version)
    dropped = checked.dropped
    if plan.action == "done" and test_copy is None:
        kept = archive.folder(plan.version)
        return DailyResult(brief=marked, plan=plan, folder=kept, report=None, dropped=dropped)
    folder: Path | None = None
    if test_copy is None:
        keeper = archive if dry_run is None else Archive(dry_run / "editions")
        folder = keeper.keep(marked, plan.version)
        if dry_run is None:
            mark_published(archive.root, marked)
    if on_sending is not None:
        on_sending(DailyResult(brief=marked, plan=plan, folder=folder, report=None, dropped=dropped))
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
    return DailyResult(brief=marked, plan=plan, folder=folder, report=sent, dropped=dropped)


def review_file(editions: Path, date: str) -> Path:
    """The edition of `date` kept for review by `build_for_review`: its edits log goes beside it."""
    return editions / date / REVIEW / "stories.json"


def build_for_review(
    articles: Sequence[str],
    editions: Path,
    *,
    feeds: Sequence[FeedQuery] = (),
    date: str,
    options: BuildOptions | None = None,
    min_sources: int = 2,
) -> tuple[Path, Checked]:
    """Build and check the edition of `date` as `run_daily` does, and keep it for review; send nothing.

    It is kept as `EDITIONS/DATE/review/stories.json` (with `brief.md` and `brief.html` to
    read), apart from the versions sent, so the archive still holds only what went out.
    An edits log already beside it stays: its edits re-apply to the new build by stable
    ids, and its approval holds only if the edited edition is the same as approved.

    Raises:
        DailyRefused: The edition could not be built or failed a check.
        UserError: The folder cannot be written.
    """
    _, checked = _build_and_check(
        articles, editions, feeds=feeds, date=date, options=options, min_sources=min_sources
    )
    path = review_file(editions, date)
    keep_for_review(checked.edition, path.parent)
    return path, checked


def send_approved(
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
    dry_run: Path | None = None,
    correction: bool = False,
    allow_empty: bool = False,
    test_copy: str | None = None,
    stop: threading.Event | None = None,
    on_sending: Callable[[DailyResult], None] | None = None,
) -> DailyResult:
    """Send the edition kept for review by `build_for_review`, with its edits, once it is approved.

    Nothing is rebuilt: what goes out is the kept build output plus its edits log, exactly
    what the editor approved (its content id must be the approved one). Its statements are
    verified again against `articles` and `feeds`, failures accepted by a recorded override
    aside; then it is kept and sent as `run_daily` keeps and sends.

    Raises:
        DailyRefused: Nothing kept for review, not approved, or it fails a check; nothing sent.
        UserError: Bad settings, or the kept edition or its log cannot be read.
    """
    from briefing.review.session import Review

    mail.envelope_sender()
    if test_copy is None and not allow_empty and not store.list(active_only=True):
        raise DailyRefused(f"no active subscribers in {store.path}; nothing sent")
    path = review_file(editions, date)
    if not path.exists():
        raise DailyRefused(f"no edition of {date} kept for review ({path}): run daily --build-only first")
    try:
        ingested = gather(articles, dataclasses.replace(options or BuildOptions(), date=date), feeds=feeds)
    except BriefingError as exc:
        raise DailyRefused(f"the sources could not be read: {exc}") from None
    review = Review.open(path, ingested.articles)
    edited, _ = review.current()
    verdict = review.verdict()
    if not verdict.approved and test_copy is None:
        raise DailyRefused(f"the edition of {date} kept in {path.parent} is not approved: {verdict.reason}")
    findings = review.unsupported()
    if findings:
        raise DailyRefused(
            f"{len(findings)} statement(s) of the approved edition fail verification; "
            f"first: {findings[0].line()}",
            edited.report,
        )
    return _keep_and_send(
        Checked(edited, []),
        edited.report,
        Archive(editions),
        date=date,
        store=store,
        mail=mail,
        smtp=smtp,
        now=now,
        dry_run=dry_run,
        correction=correction,
        test_copy=test_copy,
        stop=stop,
        on_sending=on_sending,
    )
