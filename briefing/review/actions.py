"""What an editor can do to an edition: a plain enum, so the command line can offer it without pydantic."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["TEXT_ACTIONS", "EditAction"]


class EditAction(StrEnum):
    drop_story = "drop_story"
    drop_item = "drop_item"
    pin_story = "pin_story"
    move_story = "move_story"
    edit_headline = "edit_headline"
    edit_lede = "edit_lede"
    edit_statement = "edit_statement"
    note = "note"
    approve = "approve"


TEXT_ACTIONS = frozenset({EditAction.edit_headline, EditAction.edit_lede, EditAction.edit_statement})
"""The edits that put new words before readers: each is checked as `verify` checks a statement."""
