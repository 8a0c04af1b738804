"""`briefing correct`: record a correction of an edition already sent; the next edition opens with it."""

from __future__ import annotations

from typing import Annotated

import typer

from briefing.app.common import EXIT_OK, EXIT_USAGE, err, stderr
from briefing.app.options import EditionsOption, EditorOption

__all__ = ["CORRECT_EPILOG", "correct_command"]

CORRECT_EPILOG = (
    "The correction is kept in EDITIONS/DATE/corrections.json beside the edition sent, which is "
    "never rewritten; the next edition `daily` sends opens with it. Exit codes: 0 recorded; 2 usage "
    "error, no such edition or story, unreadable or unwritable file."
)


def correct_command(
    date: Annotated[str, typer.Argument(help="The date of the edition sent.", show_default=False)],
    text: Annotated[str, typer.Argument(help="The correction, as readers see it.", show_default=False)],
    editions: EditionsOption = None,
    story: Annotated[
        str | None, typer.Option("--story", help="The story corrected (its id); default: the edition.")
    ] = None,
    editor: EditorOption = None,
) -> None:
    """Record a correction of an edition already sent: the next edition opens with it."""
    from datetime import UTC, datetime

    from briefing.app.review import editor_name
    from briefing.deliver.corrections import record_correction
    from briefing.errors import UserError
    from briefing.settings import load_settings

    console = stderr()
    try:
        root = load_settings(flags={"editions": editions}).editions
        recorded = record_correction(
            root, date, text, story_id=story, editor=editor_name(editor), at=datetime.now(UTC)
        )
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    what = f'"{recorded.headline}"' if recorded.headline else "the edition"
    err(console, f"recorded a correction of {what} of {date} in {root / date / 'corrections.json'}")
    raise typer.Exit(EXIT_OK)
