"""One edition under review: its build output, its edits log and its sources, and the editor's acts.

This is what the command line (`briefing approve`, `briefing edit`) and the editor's desk
use: `Review.open` reads the edition file and its log; `current()` is the edition as
the editor has made it (`apply_edits`); `act()` checks an edit at once and appends it
to the log, or refuses it (`EditRefused`, with the reasons); `approve()` verifies the
whole edited edition and records its content id. Reading and appending files is all the
I/O here; the clock and the editor's name are passed in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from briefing.check.verify import Finding, verify_edition
from briefing.contracts import AlsoReported, Article, Brief, Edition
from briefing.deliver.editions import content_id
from briefing.errors import UserError
from briefing.ingest.files import BRIEF_LIMIT, FileRefused, read_file
from briefing.review.check import check_edit, unaccepted
from briefing.review.edits import ApplyReport, Edit, EditAction, apply_edits, find_story
from briefing.review.log import EditsLog, log_path
from briefing.stories.continuity import edition_of_brief

__all__ = ["EditRefused", "Review", "Verdict", "load_edition", "verdict"]


class EditRefused(UserError):
    """An edit not made: its text fails verification without an override, or its target is gone."""

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)


def load_edition(path: Path) -> Edition:
    """An edition file as `build --format json` or the archive writes it (a brief: its edition of one story).

    Raises:
        UserError: It cannot be read, or is neither a brief nor an edition.
    """
    try:
        parsed = json.loads(read_file(path, BRIEF_LIMIT))
        if isinstance(parsed, dict) and "stories" in parsed:
            return Edition.model_validate(parsed)
        return edition_of_brief(Brief.model_validate(parsed))
    except FileRefused as exc:
        raise UserError(f"{path}: {exc.reason}") from None
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise UserError(f"{path}: not a brief or an edition written with --format json ({first})") from None


@dataclass(frozen=True)
class Verdict:
    """Whether an edited edition may go out where approval is required, and why not."""

    content_id: str
    approved: bool
    reason: str = ""


def verdict(edited: Edition, applied: ApplyReport) -> Verdict:
    """The approval state of `edited` (the edition after its edits) given what applying them found."""
    key = content_id(edited)
    if applied.approved_id is None:
        return Verdict(key, False, "it is not approved (or was edited after its approval)")
    if applied.approved_id != key:
        return Verdict(key, False, f"the approved edition was {applied.approved_id}, this one is {key}")
    return Verdict(key, True)


@dataclass
class Review:
    """An edition under review (see the module docstring)."""

    path: Path
    built: Edition
    """The build output, as the edition file holds it: never rewritten."""
    articles: list[Article]
    log: EditsLog
    edits: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What reading the log left out (a torn last line), one line each."""

    @classmethod
    def open(cls, path: Path, articles: Sequence[Article]) -> Review:
        """The edition file at `path`, its log beside it, and the articles it is checked against.

        Raises:
            UserError: The edition or its log cannot be read.
        """
        log = EditsLog(log_path(path))
        edits, notes = log.read()
        return cls(
            path=path, built=load_edition(path), articles=list(articles), log=log, edits=edits, notes=notes
        )

    def current(self) -> tuple[Edition, ApplyReport]:
        """The edition as edited so far, and what applying the log found (gone edits, notes, approval)."""
        return apply_edits(self.built, self.edits)

    def verdict(self) -> Verdict:
        return verdict(*self.current())

    def act(self, edit: Edit) -> Edit:
        """Check `edit` against the sources and record it; the edit as recorded (with `before` filled in).

        Raises:
            EditRefused: Its target is not in the edition, it puts an empty text, or its text
                fails verification and it carries no override (the reasons are given).
            UserError: The log cannot be written.
        """
        if edit.action == EditAction.approve:
            raise EditRefused("an approval is recorded with approve(), which verifies the whole edition")
        edition, _ = self.current()
        _, trial = apply_edits(edition, [edit])
        if trial.gone:
            raise EditRefused(trial.gone[0])
        if edit.action != EditAction.note and edit.after is not None and not edit.after.strip():
            raise EditRefused(f"{edit.line()}: the new text is empty")
        reasons = check_edit(edition, edit, self.articles)
        if reasons and not (edit.override or "").strip():
            why = "; ".join(reasons)
            raise EditRefused(f"{edit.line()}: {why}; not recorded (give an override to keep it)", reasons)
        recorded = edit.model_copy(
            update={"before": edit.before or _text(edition, edit), "overridden": reasons if reasons else []}
        )
        if not reasons:
            recorded = recorded.model_copy(update={"override": None})
        self.log.append(recorded)
        self.edits.append(recorded)
        return recorded

    def unsupported(self) -> list[Finding]:
        """What `verify_edition` finds in the edited edition that no recorded override accepts."""
        edition, applied = self.current()
        return unaccepted(verify_edition(edition, self.articles).unsupported, applied.overrides)

    def approve(self, editor: str, at: datetime) -> Edit:
        """Record the edited edition as approved, by its content id, once every statement verifies.

        Raises:
            EditRefused: Some statement fails verification and no override accepts it.
            UserError: The log cannot be written.
        """
        findings = self.unsupported()
        if findings:
            raise EditRefused(
                f"not approved: {len(findings)} statement(s) fail verification; first: {findings[0].line()}",
                [f.line() for f in findings],
            )
        edition, _ = self.current()
        edit = Edit(editor=editor, at=at, action=EditAction.approve, content_id=content_id(edition))
        self.log.append(edit)
        self.edits.append(edit)
        return edit


def _text(edition: Edition, edit: Edit) -> str | None:
    """The text an edit replaces, as the edition holds it now."""
    story = find_story(edition, edit.story_id)
    if story is None:
        return None
    if edit.action == EditAction.edit_headline:
        return story.headline
    if edit.action not in (EditAction.edit_lede, EditAction.edit_statement):
        return None
    if isinstance(story, AlsoReported):
        return story.statement
    return next((c.statement for c in story.brief.claims if c.id == edit.claim_id), None)
