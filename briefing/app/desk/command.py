"""`briefing review`: open the editor's desk on an edition, in the browser, until stopped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefing.app.common import EXIT_USAGE, err, stderr
from briefing.app.options import BriefFile, EditionsOption, EditorOption, SourcesOption

if TYPE_CHECKING:
    from rich.console import Console

    from briefing.stories.continuity import PastEdition

__all__ = ["REVIEW_EPILOG", "last_sent", "review_command"]

REVIEW_EPILOG = (
    "The first line printed is the desk's URL with its access token; the desk listens on 127.0.0.1 "
    "only. Stop it with Ctrl-C: every act is already in the edits log. Exit codes: 0 stopped; "
    "2 usage error, unreadable edition or port not available."
)


def review_command(
    brief_file: BriefFile,
    sources: SourcesOption,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="The port on 127.0.0.1 (0: a free one).")
    ] = 0,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Do not open a browser; only print the URL.")
    ] = False,
    editor: EditorOption = None,
    editions: EditionsOption = None,
) -> None:
    """Open the editor's desk: see the edition as subscribers will, with the evidence; edit and approve it."""
    from briefing.app.desk.web import Desk, listen, serve
    from briefing.app.review import editor_name, open_review
    from briefing.errors import UserError

    console = stderr()
    review = open_review(console, brief_file, sources)
    try:
        sock = listen(port)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    archive, since = last_sent(console, review.built.date, editions)
    desk = Desk(review, editor_name(editor), since=since, archive=archive)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/?token={desk.token}"
    typer.echo(url)
    err(console, f"the desk for {brief_file}: edits go to {review.log.path}; Ctrl-C stops it")
    if not no_open:
        import webbrowser

        webbrowser.open(url)
    serve(desk).run(sockets=[sock])


def last_sent(
    console: Console, date: str | None, editions: Path | None
) -> tuple[Path | None, PastEdition | None]:
    """The editions folder and the last edition it holds before `date`, for the desk's "Since" panel.

    None, with one line why, when there is none or it cannot be read: the desk opens all the same.
    """
    from briefing.contracts import InputProblem
    from briefing.deliver.editions import Archive
    from briefing.errors import UserError
    from briefing.settings import load_settings

    if not date:
        return None, None
    try:
        root = load_settings(flags={"editions": editions}).editions
    except UserError as exc:
        err(console, f"error: {exc}; nothing to compare with")
        return None, None
    found = Archive(root).last_sent(date)
    if found is None:
        err(console, f"nothing sent before {date} in {root}: nothing to compare with")
    elif isinstance(found, InputProblem):
        err(console, f"{found.path}: {found.reason}; nothing to compare with")
        return root, None
    return root, found
