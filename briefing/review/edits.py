"""The editor's edits of an edition, and how they are re-applied to a build: pure, no I/O.

An editor's act (drop, pin, move, reword, note, approve) is an `Edit` that names its
target by stable ids: a story's id (`EditionStory.id`, `AlsoReported.id`) and a claim's id
(`MergedClaim.id`). Neither depends on the story's place or on the other stories, so
the same edits apply to a rebuild of the day with more articles: a pinned story stays
pinned. An edit whose target the build no longer holds is reported in `ApplyReport.gone`,
never dropped without a word.

The edition an editor approved is therefore `apply_edits(build output, edits)`: the build
output and the edits log are all that is kept, and the approval records the content id
(`briefing.deliver.editions.content_id`) of the edition after the edits, so a rebuild
that changes anything is no longer approved. Any edit after an approval withdraws it.

An editor's note is kept in the log, returned in `ApplyReport.notes`, and put in the
edition (`Edition.notes`), which shows it under its story or at the top: subscribers read
it, so it is part of the content id like any edit. A note on a story dropped later goes
with the story.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from briefing.contracts import AlsoReported, Brief, Edition, EditionStory, EditorNote
from briefing.review.actions import TEXT_ACTIONS, EditAction

__all__ = [
    "TEXT_ACTIONS",
    "ApplyReport",
    "Edit",
    "EditAction",
    "Note",
    "Override",
    "apply_edits",
    "find_story",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Edit(_Model):
    """One act of an editor on an edition, as kept in its edits log (one JSON line each)."""

    editor: str = Field(description="Who: the OS user, or the name given with --editor.")
    at: AwareDatetime = Field(description="When, in UTC.")
    action: EditAction = Field(
        description="What: drop_story (a story or an 'Also reported' line), drop_item (a claim of a story), "
        "pin_story (to the top, after stories pinned earlier), move_story (to `position`), edit_headline, "
        "edit_lede (a lede claim's statement), edit_statement (a claim's statement, or an 'Also "
        "reported' line's when `claim_id` is None), note (an editor's note), approve."
    )
    story_id: str | None = Field(
        default=None,
        description="The story's id (`EditionStory.id` or `AlsoReported.id`); None: the edition.",
    )
    claim_id: str | None = Field(default=None, description="The claim's id (`MergedClaim.id`), for items.")
    position: int | None = Field(
        default=None, ge=1, description="For move_story: the story's new place, 1-based."
    )
    before: str | None = Field(
        default=None, description="The text before the edit (a headline, a statement)."
    )
    after: str | None = Field(default=None, description="The text after the edit, or the note's text.")
    override: str | None = Field(
        default=None,
        description="Why the editor let an edited text stand although it fails verification; "
        "without one such an edit is refused.",
    )
    overridden: list[str] = Field(
        default_factory=list, description="The verification failures the override accepted, one reason each."
    )
    content_id: str | None = Field(
        default=None, description="For approve: the content id of the edition approved, after the edits."
    )

    def target(self) -> str:
        """The edit's target in words, for reports: 'story S', 'claim C of story S', 'the edition'."""
        if self.story_id is None:
            return "the edition"
        if self.claim_id is None:
            return f"story {self.story_id}"
        return f"claim {self.claim_id} of story {self.story_id}"

    def line(self) -> str:
        """One line naming the edit: who, when, what, and on what."""
        when = self.at.strftime("%Y-%m-%d %H:%M UTC")
        return f"{self.action.value} on {self.target()} by {self.editor} at {when}"


class Note(_Model):
    """An editor's note: on a story, or on the whole edition (`story_id` None)."""

    story_id: str | None
    text: str
    editor: str


class Override(_Model):
    """An edited text that stands although it fails verification, with the editor's reason."""

    text: str
    reasons: list[str]
    why: str
    editor: str


class ApplyReport(_Model):
    """What applying an edits log to an edition did."""

    applied: int = 0
    gone: list[str] = Field(
        default_factory=list, description="One line per edit whose target the edition no longer holds."
    )
    notes: list[Note] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)
    approved_id: str | None = Field(
        default=None,
        description="The content id the last approval recorded, when no edit came after it (None: "
        "not approved). The edition is approved only when its content id is this one.",
    )


def apply_edits(edition: Edition, edits: Sequence[Edit]) -> tuple[Edition, ApplyReport]:
    """`edition` with `edits` applied in order, by stable ids, and what became of each.

    The input is not changed. Pinned stories come first, in the order they were pinned;
    a move places a story at its position (clamped to the edition's length).
    """
    stories = [s.model_copy(deep=True) for s in edition.stories]
    also = [a.model_copy(deep=True) for a in edition.also_reported]
    report = ApplyReport()
    pinned: list[str] = []
    for edit in edits:
        if edit.action == EditAction.approve:
            report.approved_id = edit.content_id
            report.applied += 1
            continue
        report.approved_id = None
        reason = _apply(edit, stories, also, pinned, report)
        if reason is None:
            report.applied += 1
        else:
            report.gone.append(f"{edit.line()}: {reason}; not applied")
    kept = {s.id for s in stories} | {a.id for a in also}
    shown = [
        EditorNote(story_id=n.story_id, text=n.text) for n in report.notes if n.story_id in kept | {None}
    ]
    result = edition.model_copy(
        update={"stories": stories, "also_reported": also, "notes": [*edition.notes, *shown]}
    )
    return result, report


def _apply(
    edit: Edit,
    stories: list[EditionStory],
    also: list[AlsoReported],
    pinned: list[str],
    report: ApplyReport,
) -> str | None:
    """Apply one edit in place; the reason when its target is gone, else None."""
    if edit.action == EditAction.note:
        if edit.story_id is not None and _find(stories, also, edit.story_id) is None:
            return "the story is not in this edition"
        report.notes.append(Note(story_id=edit.story_id, text=edit.after or "", editor=edit.editor))
        return None
    found = _find(stories, also, edit.story_id)
    if found is None:
        return "the story is not in this edition"
    if edit.action == EditAction.drop_story:
        if isinstance(found, EditionStory):
            stories.remove(found)
        else:
            also.remove(found)
        if found.id in pinned:
            pinned.remove(found.id)
        return None
    if edit.action in (EditAction.pin_story, EditAction.move_story):
        if not isinstance(found, EditionStory):
            return "an 'Also reported' line has no place to move to"
        stories.remove(found)
        if edit.action == EditAction.pin_story:
            if found.id in pinned:
                pinned.remove(found.id)
            stories.insert(len(pinned), found)
            pinned.append(found.id)
        else:
            stories.insert(min(edit.position or 1, len(stories) + 1) - 1, found)
        return None
    if edit.action == EditAction.edit_headline:
        found.headline = edit.after or found.headline
        if isinstance(found, EditionStory):
            found.brief.headline = found.headline
        _overridden(edit, report)
        return None
    if isinstance(found, AlsoReported):
        if edit.action != EditAction.edit_statement or edit.claim_id is not None:
            return "an 'Also reported' line has no items"
        found.statement = edit.after
        _overridden(edit, report)
        return None
    return _apply_to_claim(edit, found.brief, report)


def _apply_to_claim(edit: Edit, brief: Brief, report: ApplyReport) -> str | None:
    placed = set(brief.lede_claim_ids) | {i for s in brief.sections for i in s.claim_ids}
    if edit.claim_id not in placed:
        return "the claim is not in this story"
    if edit.action == EditAction.edit_lede and edit.claim_id not in brief.lede_claim_ids:
        return "the claim is no longer in the story's lede"
    if edit.action == EditAction.drop_item:
        brief.lede_claim_ids = [i for i in brief.lede_claim_ids if i != edit.claim_id]
        for section in brief.sections:
            section.claim_ids = [i for i in section.claim_ids if i != edit.claim_id]
        brief.sections = [s for s in brief.sections if s.claim_ids]
        return None
    claim = next((c for c in brief.claims if c.id == edit.claim_id), None)
    if claim is None:
        return "the claim is not in this story"
    claim.statement = edit.after or claim.statement
    _overridden(edit, report)
    return None


def _overridden(edit: Edit, report: ApplyReport) -> None:
    if edit.override is not None and edit.overridden:
        report.overrides.append(
            Override(text=edit.after or "", reasons=edit.overridden, why=edit.override, editor=edit.editor)
        )


def _find(
    stories: Sequence[EditionStory], also: Sequence[AlsoReported], story_id: str | None
) -> EditionStory | AlsoReported | None:
    for story in stories:
        if story.id == story_id:
            return story
    for line in also:
        if line.id == story_id:
            return line
    return None


def find_story(edition: Edition, story_id: str | None) -> EditionStory | AlsoReported | None:
    """The story or "Also reported" line of `edition` with this id (None: not there)."""
    return _find(edition.stories, edition.also_reported, story_id)
