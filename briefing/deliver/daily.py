"""The scheduled run: build today's brief, keep it, and send it, or send nothing and say why.

A subscriber must never get a half-made or stale brief, so every check comes before the
first message: the brief must build, rest on at least `min_sources` usable articles,
pass `briefing.verify`, and not be made of exactly the articles of the previous edition.
If any check fails, nothing is sent and `DailyRefused` carries the reason (the CLI exits
non-zero with it, so the scheduler can alert). The edition is kept under
`editions/<date>/` as Markdown, JSON and HTML before sending; sending itself is
`briefing.deliver.send`, so a re-run the same day sends only to those still pending.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from briefing.deliver.message import MailSettings
from briefing.deliver.send import SendReport, SmtpSettings, send_edition
from briefing.deliver.subscribers import SubscriberStore
from briefing.errors import BriefingError
from briefing.feeds import FeedQuery
from briefing.models import Brief
from briefing.pipeline import BuildOptions, build_from, gather
from briefing.render import render_email_html, render_json, render_markdown
from briefing.verify import verify

__all__ = ["DailyRefused", "DailyResult", "run_daily"]


class DailyRefused(BriefingError):
    """Today's brief is not fit to send; nothing was sent."""


@dataclass(frozen=True)
class DailyResult:
    brief: Brief
    folder: Path
    report: SendReport


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
) -> DailyResult:
    """Build, check, keep and send the edition of `date` from `articles` (paths, URLs) and `feeds`.

    Raises:
        DailyRefused: The brief could not be built or failed a check; nothing was sent.
        UserError: Bad settings (SMTP, sender), or another run is sending this edition.
    """
    build_options = dataclasses.replace(options or BuildOptions(), date=date)
    try:
        ingested = gather(articles, build_options, feeds=feeds)
        brief = build_from(ingested, build_options)
    except BriefingError as exc:
        raise DailyRefused(f"today's brief could not be built: {exc}") from None
    used = brief.report.articles_used
    if used < min_sources:
        where = ", ".join([*articles, *(f.url for f in feeds)])
        raise DailyRefused(f"only {used} usable source(s) in {where}; at least {min_sources} are needed")
    checked = verify(brief, ingested.articles)
    if not checked.ok:
        first = checked.unsupported[0].line()
        raise DailyRefused(f"{len(checked.unsupported)} statement(s) fail verification; first: {first}")
    previous = _previous_sources(editions, date)
    current = sorted(s.article_id for s in brief.sources)
    if previous is not None and previous[1] == current:
        raise DailyRefused(
            f"the articles are exactly those of the {previous[0]} edition: no new brief to send"
        )
    folder = editions / date
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "brief.md").write_text(render_markdown(brief), encoding="utf-8")
    (folder / "brief.json").write_text(render_json(brief), encoding="utf-8")
    (folder / "brief.html").write_text(render_email_html(brief), encoding="utf-8")
    report = send_edition(brief, store=store, mail=mail, smtp=smtp, edition=date, now=now, dry_run=dry_run)
    return DailyResult(brief=brief, folder=folder, report=report)


def _previous_sources(editions: Path, date: str) -> tuple[str, list[str]] | None:
    """The latest earlier edition's date and source article ids, if there is one."""
    earlier = sorted(p for p in editions.glob("*/brief.json") if p.parent.name < date)
    if not earlier:
        return None
    try:
        data = json.loads(earlier[-1].read_text(encoding="utf-8"))
        ids = sorted(source["article_id"] for source in data.get("sources", []))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return earlier[-1].parent.name, ids
