"""Real damage to real files on disk, as an operator's machine could leave them.

Each function changes a file in place the way it happens in practice: junk written
over it, a copy or a full disk that stopped mid-page, a page whose header was
overwritten, another program's file saved at the same path. `unwritable` makes a
file or folder refuse writes for real, also to root.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PAGE_SIZE = 4096  # SQLite's default, which briefing's files use


def garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def truncated(path: Path) -> None:
    """Cut in the middle of a page, as a disk that filled up or a copy that stopped would."""
    os.truncate(path, path.stat().st_size // 2 + 1000)


def malformed_page(path: Path) -> None:
    """Every page after the first gets a nonsense b-tree header; the file keeps its size."""
    with path.open("r+b") as file:
        for page in range(1, path.stat().st_size // PAGE_SIZE):
            file.seek(page * PAGE_SIZE)
            file.write(b"\xff" * 16)


def not_sqlite(path: Path) -> None:
    path.write_text('{"this": "is a JSON file someone saved here"}\n', encoding="utf-8")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage": garbage,
    "truncated": truncated,
    "malformed-page": malformed_page,
    "not-sqlite": not_sqlite,
}


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """Make `path` (a file or a folder) really refuse writes while the block runs.

    Root ignores permission bits, so as root the file is made immutable (`chattr +i`),
    which the kernel enforces for everyone; otherwise its write bits are removed.
    """
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
    else:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)


def integrity(path: Path) -> list[tuple[str]]:
    """What `PRAGMA integrity_check` says about the SQLite file at `path` ([("ok",)] when sound)."""
    import sqlite3

    with sqlite3.connect(path) as db:
        rows: list[tuple[str]] = db.execute("PRAGMA integrity_check").fetchall()
    db.close()
    return rows
