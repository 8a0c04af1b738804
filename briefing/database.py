"""Opening the SQLite files briefing keeps (the extraction cache, the delivery database)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from briefing.errors import UserError

__all__ = ["open_database"]


def open_database(path: Path, schema: str, *, what: str, remedy: str = "") -> sqlite3.Connection:
    """Open (creating if needed) `path` with `schema` applied, shared across threads under the caller's lock.

    Write-ahead logging lets several processes use one file at once (a cron run and an
    editor's); a busy file is waited on for 30 s before giving up.

    Raises:
        UserError: The file cannot be created or is not a database, as one line naming it.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
        db.commit()
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"{what} {path}: cannot be used ({exc}){remedy}") from None
    return db
