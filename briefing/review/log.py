"""The edits log: one JSON line per `Edit`, beside the edition it edits, only ever appended to.

`EDITION.json`'s log is `EDITION.edits.jsonl`. Each edit is written with one `write`
to a file opened for appending and flushed to disk, so a crash leaves at most a torn
last line; reading leaves such a line out with one note, and the next append starts on
a fresh line, so no edit is glued to a torn one.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from briefing.errors import UserError
from briefing.review.edits import Edit

__all__ = ["EditsLog", "log_path"]

SUFFIX = ".edits.jsonl"


def log_path(edition: Path) -> Path:
    """Where the edits of the edition file `edition` are kept: `NAME.edits.jsonl` beside it."""
    return edition.with_name(edition.stem + SUFFIX)


class EditsLog:
    """The append-only log of one edition's edits."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> tuple[list[Edit], list[str]]:
        """The edits in the order they were made, and one note per line left out (torn or not an edit).

        Raises:
            UserError: The file exists but cannot be read.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return [], []
        except OSError as exc:
            raise UserError(f"{self.path}: cannot be read ({exc.strerror})") from None
        edits: list[Edit] = []
        notes: list[str] = []
        lines = data.split(b"\n")
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                edits.append(Edit.model_validate_json(raw))
            except ValidationError as exc:
                torn = number == len(lines)  # no newline after it: the write was cut off
                what = "the last line was cut off while written" if torn else "not an edit"
                notes.append(f"{self.path}: line {number}: {what} ({exc.error_count()} error(s)); left out")
        return edits, notes

    def append(self, edit: Edit) -> None:
        """Add `edit` at the end, whole, on a line of its own, and flush it to disk.

        Raises:
            UserError: The log cannot be written.
        """
        line = edit.model_dump_json().encode("utf-8") + b"\n"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if os.fstat(fd).st_size and not self._ends_with_newline():
                    line = b"\n" + line
                while line:
                    line = line[os.write(fd, line) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise UserError(
                f"{self.path}: cannot be written ({exc.strerror}); the edit was not recorded"
            ) from None

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"
