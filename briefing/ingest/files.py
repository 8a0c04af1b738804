"""Reading a local file the user named, without hanging or exhausting memory on it.

Every file briefing reads from a path it was given (an article, a brief, a CSV of
subscribers, a config file) goes through `read_file`: a named pipe would block forever,
a device such as /dev/zero never ends, and an unbounded read of either was seen to
reach gigabytes. So only regular files are opened, each kind of file has a size cap,
and no more than one byte over the cap is ever read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from briefing.errors import UserError

__all__ = [
    "BRIEF_LIMIT",
    "CONFIG_LIMIT",
    "CSV_LIMIT",
    "FileRefused",
    "read_file",
    "size_text",
    "special_kind",
]

BRIEF_LIMIT = 50_000_000
"""A brief written with --format json: its claims, evidence and the run report (a few MB at most)."""
CSV_LIMIT = 50_000_000
"""A subscribers CSV: about a million addresses."""
CONFIG_LIMIT = 1_000_000
"""A TOML config file: a few lines, or a few thousand feeds."""

_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)
_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class FileRefused(UserError):
    """A file that was not read, and why (`reason`, without the path: the caller names the file)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def size_text(n: int) -> str:
    """A size for a person: '812,345 bytes', '5 MB', '52.4 MB', '2.1 GB'."""
    if n < 1_000_000:
        return f"{n:,} bytes"
    unit, scale = ("GB", 1_000_000_000) if n >= 1_000_000_000 else ("MB", 1_000_000)
    return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file or a folder is ("a named pipe"); None for those two."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return next((name for test, name in _SPECIAL_FILES if test(mode)), "a special file")


def read_file(path: Path, limit: int, info: os.stat_result | None = None) -> bytes:
    """A regular file's bytes, at most `limit` of them; a symlink is followed (the user named it).

    `info` is the file's `stat` when the caller has it already. Anything but a regular
    file is refused before it is opened. The file's real path is opened without blocking
    and without following a symlink, and checked again once open, so a file swapped for
    a pipe after the `stat` cannot hang the run. At most one byte over the limit is
    read, so a file that grows while it is read costs no more.

    Raises:
        FileRefused: The file is missing, a folder, a special file, over `limit`, or unreadable.
    """
    if info is None:
        try:
            info = path.stat()
        except OSError as exc:
            raise FileRefused(f"cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused("is a folder, not a file")
    kind = special_kind(info.st_mode)
    if kind is not None:
        raise FileRefused(f"not a regular file ({kind}), left unopened")
    if info.st_size > limit:
        raise FileRefused(f"file is {size_text(info.st_size)}, over the {size_text(limit)} limit")
    try:
        descriptor = os.open(os.path.realpath(path), _OPEN_FLAGS)
    except OSError as exc:
        raise FileRefused(f"cannot read ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise FileRefused("not a regular file once opened (replaced while read), not read")
            data = handle.read(limit + 1)
        except OSError as exc:
            raise FileRefused(f"cannot read ({exc.strerror})") from None
    if len(data) > limit:
        raise FileRefused(f"file is over the {size_text(limit)} limit")
    return data
