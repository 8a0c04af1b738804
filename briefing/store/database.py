"""Opening the SQLite files briefing keeps (the extraction cache, the delivery database).

Each file is opened once per use, as one connection that every thread shares under one
lock (`Database`, `CacheDatabase`), and brought to its latest schema version by its
numbered migrations (`briefing.store.migrations`) before anything reads it.

The two kinds of file are treated differently when something is wrong with them, because
losing them costs different things. The delivery database holds who was sent what: a
damaged or unwritable one stops the command with one line and is never touched
(`open_database`). The cache only saves model calls and fetches: a damaged one is moved
aside and started afresh, and one that cannot be written is done without
(`CacheDatabase`), each with one line, and the run goes on.

Damage is looked for when a file is opened, with `PRAGMA quick_check` (it reads every
page, about 1 ms per MB from a warm disk), so that a malformed page is found before the
first real statement rather than halfway through a run; writability is probed with a
write that is rolled back, because SQLite opens a file it cannot write read-only
without saying so, and only the first write would fail. A file at a schema version
newer than this briefing knows is not touched: the delivery database refuses with one
line, the cache is done without.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from briefing.errors import DamagedDatabaseError, NewerDatabaseError, UnwritableDatabaseError, UserError
from briefing.store.migrations import CACHE, Migration, NewerSchema, migrate

__all__ = ["CacheDatabase", "CacheTables", "Database", "classify", "move_aside", "open_database"]

# SQLite's primary result codes (the low byte of an extended code).
_CORRUPT, _NOTADB = 11, 26
_PERM, _READONLY, _IOERR, _FULL, _CANTOPEN = 3, 8, 10, 13, 14
_DAMAGED = {_CORRUPT, _NOTADB}
_UNWRITABLE = {_PERM, _READONLY, _IOERR, _FULL, _CANTOPEN}
_SIDE_FILES = ("-wal", "-shm", "-journal")


def open_database(
    path: Path, migrations: Sequence[Migration], *, what: str, remedy: str = ""
) -> sqlite3.Connection:
    """Open (creating if needed) `path`, migrated to the end of `migrations`, for use under one lock.

    Write-ahead logging lets several processes use one file at once (a cron run and an
    editor's); a busy file is waited on for 30 s before giving up. The file is checked
    for damage and for being writable before it is handed out; nothing is changed in a
    file that fails either check.

    Raises:
        DamagedDatabaseError: The file is not a database, or a damaged one (truncated, a bad page).
        UnwritableDatabaseError: The file or its folder cannot be written.
        NewerDatabaseError: The file's schema version is past `migrations` (a newer briefing wrote it).
        UserError: Anything else that keeps the file from being used (busy for 30 s), as one line.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = _file_in_the_way(path.parent) or _os_reason(exc)
        raise UnwritableDatabaseError(path, reason, what=what, remedy=remedy) from None
    db: sqlite3.Connection | None = None
    damage = None
    try:
        db = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
        damage = _damage(db)
        if damage is None:
            db.execute("PRAGMA journal_mode=WAL")
            _probe_write(db)
            migrate(db, migrations)
    except NewerSchema as exc:
        if db is not None:
            db.close()
        raise NewerDatabaseError(path, exc.found, exc.known, what=what, remedy=remedy) from None
    except (OSError, sqlite3.Error) as exc:
        if db is not None:
            db.close()
        raise classify(exc, path, what=what, remedy=remedy) from None
    if damage is not None:
        db.close()
        raise DamagedDatabaseError(path, damage, what=what, remedy=remedy)
    return db


def _damage(db: sqlite3.Connection) -> str | None:
    """What `PRAGMA quick_check` found wrong, in one line; None for a sound file.

    A file that is not a database at all, or is cut short, makes the pragma itself
    raise (SQLITE_NOTADB, SQLITE_CORRUPT) instead; the caller classifies that.
    """
    rows = db.execute("PRAGMA quick_check").fetchall()
    if rows == [("ok",)]:
        return None
    first = str(rows[0][0]).splitlines()[0] if rows else "no answer"
    return f"quick_check: {first[:200]}"


def _probe_write(db: sqlite3.Connection) -> None:
    """Raise `sqlite3.OperationalError` (SQLITE_READONLY) unless a write would succeed.

    Setting the user version to what it already is touches the header page, which a
    read-only file refuses; the transaction is rolled back, so nothing is written.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(f"PRAGMA user_version = {version}")
    finally:
        db.rollback()


def classify(exc: OSError | sqlite3.Error, path: Path, *, what: str, remedy: str = "") -> UserError:
    """The library error, as one line naming `path`, for what SQLite (or the OS) said about it."""
    if isinstance(exc, OSError):
        return UnwritableDatabaseError(path, _os_reason(exc), what=what, remedy=remedy)
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if code in _DAMAGED:
        return DamagedDatabaseError(path, reason, what=what, remedy=remedy)
    if code in _UNWRITABLE:
        return UnwritableDatabaseError(path, reason, what=what, remedy=remedy)
    return UserError(f"{what} {path}: cannot be used ({reason}){remedy}")


def _file_in_the_way(folder: Path) -> str | None:
    """'X is a file, not a folder' when a file stands where `folder` or one of its parents should be.

    The OS says "File exists" or "Not a directory" for it, which does not tell what to fix.
    """
    for place in (folder, *folder.parents):
        if place.is_dir():
            return None
        if place.exists():
            return f"{place} is a file, not a folder"
    return None


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def move_aside(path: Path, now: dt.datetime | None = None) -> Path:
    """Rename a damaged database (and its journal files) to `<name>.corrupt-<UTC time>`; returns the new path.

    The write-ahead log keeps its `-wal` suffix after the new name, so that opening the
    moved copy with `sqlite3` still sees every transaction it held.

    Raises:
        OSError: The file could not be renamed.
    """
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target


class Database:
    """A file whose rows matter (the delivery database): one connection that threads share under one lock.

    Every statement runs under the lock and each change is committed before the lock is
    let go, so no thread ever sees, or commits, another's half-done work. Errors are
    SQLite's own (`sqlite3.Error`): unlike the cache, nothing here is done without.
    """

    def __init__(self, path: Path, migrations: Sequence[Migration], *, what: str, remedy: str = "") -> None:
        """Open `path`, creating it or applying the migrations it has not had.

        Raises:
            UserError: See `open_database`; nothing in the file was changed.
        """
        self.path = path
        self._lock = threading.RLock()
        self._db = open_database(path, migrations, what=what, remedy=remedy)

    @property
    def connection(self) -> sqlite3.Connection:
        """The connection itself, to look into the file (`transaction`, `read`, `write` are for using it)."""
        return self._db

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock, for statements committed together (rolled back on an error).

        `immediate` takes the file's write lock at once, so that what is read in the
        transaction is still so when it writes, whatever other processes do.
        """
        with self._lock:
            if immediate:
                self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of a query."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run and commit one change; the number of rows it changed."""
        with self.transaction() as db:
            return int(db.execute(sql, params).rowcount)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CacheDatabase:
    """A cache file: a database that is only ever worth keeping if it works.

    Opening it moves a damaged file aside (see `move_aside`) and starts a new one, and
    an unwritable file, or one that cannot be used for any other reason, is done
    without. Later, a statement that fails for damage does the same; any other failed
    statement (a full disk, a file made read-only, a lock held past 30 s) turns the
    cache off for the rest of the run. Each of these is one line in `notes`, and none
    raises: a read answers nothing and a write is dropped, so a run that has paid for
    its model calls never loses their answers to its cache. One connection is shared
    by every thread, under one lock.
    """

    def __init__(self, path: Path, migrations: Sequence[Migration] = CACHE) -> None:
        """Open the cache file at `path`, with its tables (`briefing.store.migrations.CACHE`)."""
        self.path = path
        self.notes: list[str] = []
        self._migrations = migrations
        self._lock = threading.Lock()
        self._recovered = False
        self._off_for_run = False
        self._inode: int | None = None
        self._db: sqlite3.Connection | None = None
        with self._lock:
            self._open()

    @property
    def usable(self) -> bool:
        """False once the cache is off for this run (a closed cache is still usable: it worked)."""
        return not self._off_for_run

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of a query; none when the cache is off or the query failed."""
        with self._lock:
            if self._db is None:
                return []
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                self._failed(exc, "a read")
                return []

    def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run and commit a change; the number of rows it changed, or -1 when nothing was written."""
        with self._lock:
            if self._db is None:
                return -1
            try:
                cursor = self._db.execute(sql, params)
                self._db.commit()
                return int(cursor.rowcount)
            except sqlite3.Error as exc:
                self._rollback()
                self._failed(exc, "a write")
                return -1

    def vacuum(self) -> None:
        """Give the space of removed rows back to the file system (best effort)."""
        with self._lock:
            if self._db is None:
                return
            try:
                self._db.execute("VACUUM")
            except sqlite3.Error as exc:
                self._failed(exc, "compacting")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- under the lock ----------------------------------------------------------------

    def _open(self) -> None:
        self._inode = _inode(self.path)
        try:
            self._db = open_database(self.path, self._migrations, what="cache")
        except DamagedDatabaseError as exc:
            self._move_aside(exc.reason)
        except UserError as exc:
            self._off(f"{exc}; running without the cache")
        else:
            self._inode = _inode(self.path)

    def _failed(self, exc: sqlite3.Error, doing: str) -> None:
        error = classify(exc, self.path, what="cache")
        self._close_quietly()
        if isinstance(error, DamagedDatabaseError) and not self._recovered:
            self._move_aside(f"{doing} failed: {error.reason}")
        else:
            self._off(f"{error}: {doing} failed; running without the cache from here on")

    def _move_aside(self, reason: str) -> None:
        """Rename the damaged file and open a new one in its place.

        Two processes can find the same file damaged; the one that comes second must not
        move aside the new file the first one made, so the file is moved only while it is
        still the one found damaged (the same inode).
        """
        self._recovered = True
        moved = None
        if _inode(self.path) == self._inode:
            try:
                moved = move_aside(self.path)
            except OSError as exc:
                self._off(
                    f"cache {self.path} is damaged ({reason}) and cannot be moved aside "
                    f"({_os_reason(exc)}); running without the cache"
                )
                return
        try:
            self._db = open_database(self.path, self._migrations, what="cache")
        except UserError as exc:
            self._off(
                f"cache {self.path} is damaged ({reason}) and a new one cannot be made ({exc}); "
                "running without the cache"
            )
            return
        self._inode = _inode(self.path)
        where = f"moved aside to {moved}" if moved is not None else "another run moved it aside"
        self.notes.append(f"cache {self.path} is damaged ({reason}); {where} and started afresh")

    def _off(self, note: str) -> None:
        self._close_quietly()
        self._off_for_run = True
        self.notes.append(note)

    def _rollback(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):  # the connection is closed next anyway
                self._db.rollback()

    def _close_quietly(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None


class CacheTables:
    """Some tables of the cache file, kept through a `CacheDatabase`, so they never stop a run.

    Given a path, it opens the file itself; given an open `CacheDatabase`, it shares that
    file's one connection with the other tables' classes. What went wrong with the file
    is in `notes`.
    """

    def __init__(self, where: Path | CacheDatabase) -> None:
        """Use the cache file at `where` (opened, created or upgraded if needed), or that open file."""
        self._db = where if isinstance(where, CacheDatabase) else CacheDatabase(where)
        self.path = self._db.path

    @property
    def notes(self) -> list[str]:
        """One line for each thing that went wrong with the file (and what was done instead)."""
        return self._db.notes

    @property
    def usable(self) -> bool:
        """False when the run goes on without the cache."""
        return self._db.usable

    def close(self) -> None:
        self._db.close()
