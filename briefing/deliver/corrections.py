"""Corrections of an edition already sent, which the next edition opens with.

A correction here is a short text an editor writes after an edition went out ("the toll
was 241, not 242"), not a corrected re-send of the same day (`daily --correction`, kept
as `EDITIONS/DATE/correction-N/`). It never rewrites what was sent: it is recorded beside
it, in `EDITIONS/DATE/corrections.json`, a JSON list, one object per correction:

- `at` (UTC), `editor`: who recorded it, and when;
- `story_id`, `headline`: the story corrected, as the newest version of that day holds it
  (both null: the edition as a whole);
- `text`: the correction;
- `published_in`: the date of the edition that opened with it (null until one did).

The next edition sent by `daily` (the first dated after the corrected one) opens with every
correction not yet published (`Edition.corrections`): "Correction: in the DATE edition,
"HEADLINE": TEXT" at the top of its Markdown, JSON and email. Once it is kept in the archive,
each is marked `published_in` that date, so a later day does not repeat it, while a re-run
of the same day carries the same corrections and gives the same edition. A correction
recorded after the day's edition was sent waits for the next day.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from briefing.contracts import AlsoReported, Correction, Edition, EditionStory, InputProblem
from briefing.errors import UserError

__all__ = ["CORRECTIONS", "Recorded", "mark_published", "pending", "record_correction"]

CORRECTIONS = "corrections.json"


class Recorded(BaseModel):
    """One correction as `corrections.json` keeps it (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    editor: str
    story_id: str | None = None
    headline: str | None = None
    text: str = Field(min_length=1)
    published_in: str | None = None


_LIST = TypeAdapter(list[Recorded])


def _read(path: Path) -> list[Recorded]:
    """The corrections kept at `path` (none when there is no file).

    Raises:
        UserError: The file cannot be read or is not a list of corrections.
    """
    if not path.exists():
        return []
    try:
        return _LIST.validate_json(path.read_bytes())
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValidationError as exc:
        raise UserError(f"{path}: not a list of corrections ({exc.error_count()} error(s))") from None


def _write(path: Path, corrections: Sequence[Recorded]) -> None:
    from briefing.deliver.editions import write_atomically

    text = json.dumps([c.model_dump(mode="json") for c in corrections], indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text)


def record_correction(
    root: Path, date: str, text: str, *, story_id: str | None, editor: str, at: datetime
) -> Recorded:
    """Record a correction of the edition of `date` kept in the archive at `root`.

    Raises:
        UserError: No edition of that date was kept (so none was sent), the story is not in
            it, the text is empty, or the file cannot be read or written.
    """
    from briefing.deliver.editions import Archive

    if not text.strip():
        raise UserError("the correction is empty; nothing recorded")
    kept = Archive(root).sent_on(date)
    if kept is None:
        raise UserError(f"no edition of {date} was sent (none kept in {root}); nothing recorded")
    if isinstance(kept, InputProblem):
        raise UserError(f"{kept.path}: {kept.reason}; nothing recorded")
    headline = None
    if story_id is not None:
        found: list[EditionStory | AlsoReported] = [*kept.edition.stories, *kept.edition.also_reported]
        story = next((s for s in found if s.id == story_id), None)
        if story is None:
            raise UserError(f"the {date} edition has no story {story_id}; nothing recorded")
        headline = story.headline
    path = root / date / CORRECTIONS
    recorded = Recorded(at=at, editor=editor, story_id=story_id, headline=headline, text=text.strip())
    _write(path, [*_read(path), recorded])
    return recorded


def pending(root: Path, date: str, *, sent_today: bool) -> tuple[list[Correction], list[InputProblem]]:
    """The corrections the edition of `date` opens with, oldest first, and one note per file left out.

    Those of earlier days already published in this date's edition, and, unless today's
    edition was already sent (`sent_today`), those not yet published anywhere.
    """
    found: list[Correction] = []
    notes: list[InputProblem] = []
    for path in sorted(root.glob(f"*/{CORRECTIONS}")):
        day = path.parent.name
        if day >= date:
            continue
        try:
            kept = _read(path)
        except UserError as exc:
            notes.append(InputProblem(path=str(path), reason=str(exc), action="not published"))
            continue
        for c in kept:
            if c.published_in == date or (c.published_in is None and not sent_today):
                found.append(Correction(date=day, story_id=c.story_id, headline=c.headline, text=c.text))
    return found, notes


def mark_published(root: Path, edition: Edition) -> None:
    """Mark each correction `edition` opened with as published in it (its date).

    Raises:
        UserError: A file cannot be read or written.
    """
    if not edition.corrections or edition.date is None:
        return
    for day in sorted({c.date for c in edition.corrections}):
        path = root / day / CORRECTIONS
        kept = _read(path)
        carried = {(c.story_id, c.text) for c in edition.corrections if c.date == day}
        changed = [
            c.model_copy(update={"published_in": edition.date})
            if c.published_in is None and (c.story_id, c.text) in carried
            else c
            for c in kept
        ]
        if changed != kept:
            _write(path, changed)
