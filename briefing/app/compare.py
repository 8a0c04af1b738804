"""`briefing diff`: what an edition changes since the last edition sent, story by story."""

from __future__ import annotations

from pathlib import Path

import typer

from briefing.app.common import EXIT_OK, EXIT_USAGE, err, stderr
from briefing.app.options import BriefFile, EditionsOption

__all__ = ["DIFF_EPILOG", "diff_command"]

DIFF_EPILOG = (
    "Compares with the newest version of the latest earlier day in the archive. Exit codes: 0 compared "
    "(or nothing was sent before); 2 usage error, unreadable or undated edition, unreadable archive."
)


def diff_command(brief_file: BriefFile, editions: EditionsOption = None) -> None:
    """Show the stories new, updated (with their new items) and dropped since the last sent edition.

    The edition is compared as edited: the edits log beside it, if any, is applied first.
    """
    from briefing.app.review import edited_edition
    from briefing.contracts import InputProblem
    from briefing.deliver.editions import Archive
    from briefing.errors import UserError
    from briefing.review.compare import compare
    from briefing.review.session import load_edition
    from briefing.settings import load_settings

    console = stderr()
    try:
        root: Path = load_settings(flags={"editions": editions}).editions
        edition = load_edition(brief_file)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    edited = edited_edition(brief_file, console)
    if edited is not None:
        edition = edited.edition
    if not edition.date:
        err(console, f"error: {brief_file}: the edition has no date; build it with --date to compare it")
        raise typer.Exit(EXIT_USAGE)
    last = Archive(root).last_sent(edition.date)
    if last is None:
        err(console, f"nothing sent before {edition.date} in {root}: every story is new")
        raise typer.Exit(EXIT_OK)
    if isinstance(last, InputProblem):
        err(console, f"error: {last.path}: {last.reason}")
        raise typer.Exit(EXIT_USAGE)
    for line in compare(edition, last).lines():
        typer.echo(line)
    raise typer.Exit(EXIT_OK)
