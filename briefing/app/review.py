"""The review commands, `briefing edit` and `briefing approve`, and the review steps of send and daily.

Both read the edition file and its edits log beside it (`NAME.edits.jsonl`), check what is
done against the sources by `verify`'s rules, and append to the log; the edition file
itself is never rewritten. `send` and `daily` apply the log before sending.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefing.app.common import EXIT_NO_BRIEF, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, err, stderr
from briefing.app.options import BriefFile, EditorOption, SourcesOption
from briefing.review.actions import EditAction

if TYPE_CHECKING:
    from rich.console import Console

    from briefing.contracts import Edition
    from briefing.ingest.feeds import FeedQuery
    from briefing.pipeline import BuildOptions
    from briefing.review.edits import Override
    from briefing.review.session import Review, Verdict
    from briefing.settings import Settings

__all__ = [
    "APPROVE_EPILOG",
    "EDIT_EPILOG",
    "Edited",
    "approve_command",
    "build_for_review_command",
    "edit_command",
    "edited_edition",
    "editor_name",
    "open_review",
]

APPROVE_EPILOG = (
    "Exit codes: 0 approved and recorded; 1 not approved (a statement fails verification; each is "
    "printed); 2 usage error or unreadable edition."
)
EDIT_EPILOG = (
    "Exit codes: 0 recorded; 1 refused (the target is gone, or the text fails verification and no "
    "--override was given; the reasons are printed); 2 usage error or unreadable edition."
)


def editor_name(given: str | None) -> str:
    """The editor named with --editor, else the OS user the command runs as."""
    if given and given.strip():
        return given.strip()
    import os
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def open_review(console: Console, edition: Path, sources: list[str]) -> Review:
    from briefing.errors import UserError
    from briefing.pipeline import gather
    from briefing.review.session import Review

    try:
        ingested = gather(sources)
        review = Review.open(edition, ingested.articles)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for line in [p.line() for p in ingested.problems] + ingested.cache_notes + review.notes:
        err(console, line)
    for line in review.current()[1].gone:
        err(console, line)
    return review


def approve_command(brief_file: BriefFile, sources: SourcesOption, editor: EditorOption = None) -> None:
    """Verify an edition with its edits and record it as approved (what `--require-approval` asks for)."""
    from datetime import UTC, datetime

    from briefing.errors import UserError
    from briefing.review.session import EditRefused

    console = stderr()
    review = open_review(console, brief_file, sources)
    try:
        edit = review.approve(editor_name(editor), datetime.now(UTC))
    except EditRefused as exc:
        for reason in exc.reasons:
            err(console, f"UNSUPPORTED {reason}")
        err(console, str(exc))
        raise typer.Exit(EXIT_NO_BRIEF) from None
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    err(console, f"approved {edit.content_id} by {edit.editor}; recorded in {review.log.path}")
    raise typer.Exit(EXIT_OK)


def edit_command(
    brief_file: BriefFile,
    action: Annotated[
        EditAction, typer.Argument(help="What to do (approve: use `briefing approve`).", show_default=False)
    ],
    sources: SourcesOption,
    story: Annotated[str | None, typer.Option("--story", help="The story's id.", show_default=False)] = None,
    claim: Annotated[
        str | None, typer.Option("--claim", help="The claim's id (an item of the story).", show_default=False)
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", help="The new headline or statement, or the note.", show_default=False),
    ] = None,
    position: Annotated[
        int | None, typer.Option("--position", min=1, help="For move_story: the new place, 1-based.")
    ] = None,
    override: Annotated[
        str | None,
        typer.Option(
            "--override",
            help="Keep a text that fails verification, for this reason (recorded).",
            show_default=False,
        ),
    ] = None,
    editor: EditorOption = None,
) -> None:
    """Make one edit of an edition: checked against the sources at once, and recorded in its edits log."""
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from briefing.errors import UserError
    from briefing.review.actions import TEXT_ACTIONS
    from briefing.review.edits import Edit
    from briefing.review.session import EditRefused

    console = stderr()
    if action == EditAction.approve:
        err(console, "error: approve with `briefing approve`, which verifies the whole edition")
        raise typer.Exit(EXIT_USAGE)
    if (action in TEXT_ACTIONS or action == EditAction.note) and text is None:
        err(console, f"error: {action.value} needs --text")
        raise typer.Exit(EXIT_USAGE)
    if action == EditAction.move_story and position is None:
        err(console, "error: move_story needs --position")
        raise typer.Exit(EXIT_USAGE)
    review = open_review(console, brief_file, sources)
    try:
        edit = Edit(
            editor=editor_name(editor),
            at=datetime.now(UTC),
            action=action,
            story_id=story,
            claim_id=claim,
            position=position,
            after=text,
            override=override,
        )
        recorded = review.act(edit)
    except ValidationError as exc:
        err(console, f"error: {str(exc).splitlines()[0]}")
        raise typer.Exit(EXIT_USAGE) from None
    except EditRefused as exc:
        err(console, f"refused: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    kept = f" (override: {'; '.join(recorded.overridden)})" if recorded.overridden else ""
    err(console, f"recorded: {recorded.line()}{kept}; in {review.log.path}")
    raise typer.Exit(EXIT_OK)


@dataclasses.dataclass(frozen=True)
class Edited:
    """An edition file with its edits log applied, and what `send` needs of it."""

    edition: Edition
    overrides: list[Override]
    verdict: Verdict


def edited_edition(path: Path, console: Console) -> Edited | None:
    """The edition at `path` with the edits of its log applied (None: it has no log).

    What the log left out and every edit whose target is gone is printed, one line each.
    """
    from briefing.errors import UserError
    from briefing.review.edits import apply_edits
    from briefing.review.log import EditsLog, log_path
    from briefing.review.session import load_edition, verdict

    log = EditsLog(log_path(path))
    if not log.path.exists():
        return None
    try:
        edits, notes = log.read()
        edition, applied = apply_edits(load_edition(path), edits)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for line in [*notes, *applied.gone]:
        err(console, line)
    return Edited(edition, applied.overrides, verdict(edition, applied))


def build_for_review_command(
    console: Console, chosen: Settings, feeds: list[FeedQuery], date: str, options: BuildOptions, quiet: bool
) -> None:
    """`daily --build-only`: build, check and keep the edition for review, print where; exit."""
    from briefing.deliver.daily import DailyRefused, build_for_review
    from briefing.errors import BriefingError
    from briefing.pipeline import exit_status
    from briefing.render.brief import report_lines

    articles = [str(chosen.articles)] if chosen.articles is not None else []
    try:
        path, checked = build_for_review(
            articles, chosen.editions, feeds=feeds, date=date, options=options, min_sources=chosen.min_sources
        )
    except DailyRefused as exc:
        for line in report_lines(exc.report) if exc.report is not None else []:
            err(console, line)
        err(console, f"not kept: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    except BriefingError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    report = checked.edition.report
    for line in [p.line() for p in report.inputs_skipped] + ([] if quiet else report_lines(report)):
        err(console, line)
    for line in checked.dropped:
        err(console, line)
    edited = edited_edition(path, console)  # a log kept from an earlier build re-applies to this one
    if edited is not None:
        state = "still approved" if edited.verdict.approved else f"not approved: {edited.verdict.reason}"
        err(console, f"its edits re-applied by story and claim ids; {state}")
    sources = " ".join([*articles, *(f.url for f in feeds)])
    err(console, f"kept for review: {path}; approve it with `briefing approve {path} --sources {sources}`")
    degraded = exit_status(checked.edition) == EXIT_PARTIAL or bool(checked.dropped)
    raise typer.Exit(EXIT_PARTIAL if degraded else EXIT_OK)
