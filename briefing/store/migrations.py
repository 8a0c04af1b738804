"""The schema of each SQLite file briefing keeps, as numbered migrations.

Each kind of file has its list: `CACHE` (extractions.sqlite3: model extractions,
submitted batches, fetched pages, embedding vectors) and `DELIVERY` (briefing.sqlite3: subscribers, the
delivery ledger and its send locks, editions). A file's `PRAGMA user_version` is the
number of migrations it has had; opening it applies the rest, in order, in one
transaction that holds the file's write lock, so two processes opening one old file
upgrade it once, and a failed step leaves the file exactly as it was. A migration is
never changed once released: a new table or column is a new function at the end of the
list.

Files written before versions (release 0.1.0 and earlier) are at version 0 and hold
whatever tables their release made, with or without the columns added later. The first
migrations are the schema as it grew until then, in the order it grew, and each of them
tolerates finding its change already made: tables are created if missing and columns
added if missing, so every such file ends with the same tables and rows kept.

A file at a version higher than its list knows was written by a newer briefing: it is
not touched (`NewerSchema`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

__all__ = ["CACHE", "DELIVERY", "Migration", "NewerSchema", "migrate", "version_of"]

Migration = Callable[[sqlite3.Connection], None]


class NewerSchema(Exception):
    """The file's schema version is past the last migration this version of briefing knows."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"schema version {found}; this briefing knows up to {known}")
        self.found = found
        self.known = known


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations `db` has not had yet, all or none.

    Raises:
        NewerSchema: The file is at a version past `migrations`; nothing was changed.
        sqlite3.Error: A step failed (busy past the timeout, a read-only file); rolled back.
    """
    known = len(migrations)
    found = version_of(db)
    if found == known:
        return
    if found > known:
        raise NewerSchema(found, known)
    db.execute("BEGIN IMMEDIATE")
    try:
        found = version_of(db)  # another process may have upgraded it while this one waited
        if found > known:
            raise NewerSchema(found, known)
        for step in migrations[found:]:
            step(db)
        db.execute(f"PRAGMA user_version = {known}")
    except BaseException:
        db.rollback()
        raise
    db.commit()


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def _add_column(db: sqlite3.Connection, table: str, column: str, declaration: str) -> bool:
    """Add `column` unless the table has it (a file made after it was added); whether it was added."""
    if column in _columns(db, table):
        return False
    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    return True


# -- the cache file -----------------------------------------------------------------------


def m001_extractions(db: sqlite3.Connection) -> None:
    """Model extractions by cache key (`briefing.store.cache.cache_key`)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS extractions (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            schema_version TEXT NOT NULL,
            extraction TEXT NOT NULL,
            meta TEXT NOT NULL,
            created REAL NOT NULL
        )"""
    )


def m002_batches(db: sqlite3.Connection) -> None:
    """Batches submitted and not yet collected, so that a restart polls them instead of paying again."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS batches (
            job TEXT PRIMARY KEY,
            batch_id TEXT NOT NULL,
            created REAL NOT NULL
        )"""
    )


def m003_pages(db: sqlite3.Connection) -> None:
    """Fetched article pages by URL (feeds are never kept)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS pages (
            url TEXT PRIMARY KEY,
            final_url TEXT NOT NULL,
            content_type TEXT NOT NULL,
            body BLOB NOT NULL,
            fetched REAL NOT NULL
        )"""
    )


def m004_embeddings(db: sqlite3.Connection) -> None:
    """Embedding vectors of article leads from an endpoint (`briefing.store.embeddings.embedding_key`)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS embeddings (
            key TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            dimensions INTEGER NOT NULL,
            vector BLOB NOT NULL,
            created REAL NOT NULL
        )"""
    )


CACHE: tuple[Migration, ...] = (m001_extractions, m002_batches, m003_pages, m004_embeddings)


# -- the delivery database ----------------------------------------------------------------


def m001_subscribers(db: sqlite3.Connection) -> None:
    """Subscribers; removing one marks the row unsubscribed, never deletes it."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS subscribers (
            email TEXT PRIMARY KEY COLLATE NOCASE,
            name TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')),
            token TEXT NOT NULL UNIQUE,
            added REAL NOT NULL,
            changed REAL NOT NULL
        )"""
    )


def m002_ledger(db: sqlite3.Connection) -> None:
    """One delivery row per (edition, subscriber), and one send lock per edition."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS deliveries (
            edition TEXT NOT NULL,
            email TEXT NOT NULL COLLATE NOCASE,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            updated REAL NOT NULL,
            PRIMARY KEY (edition, email)
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS send_locks (
            edition TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            acquired REAL NOT NULL
        )"""
    )


def m003_editions(db: sqlite3.Connection) -> None:
    """Which content id is the edition of a date (correction 0) and which its n-th correction."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS editions (
            date TEXT NOT NULL,
            correction INTEGER NOT NULL,
            content_id TEXT NOT NULL UNIQUE,
            registered REAL NOT NULL,
            PRIMARY KEY (date, correction)
        )"""
    )


def m004_claims_and_leases(db: sqlite3.Connection) -> None:
    """Each claimed row names its run (`owner`) and when its data went out; each lock has a lease.

    A `sending` row of a ledger from before had its data out already (it was marked just
    before the data), so it becomes uncertain; an old lock's lease starts when it was taken.
    """
    _add_column(db, "deliveries", "owner", "TEXT NOT NULL DEFAULT ''")
    if _add_column(db, "deliveries", "data_at", "REAL"):
        db.execute("UPDATE deliveries SET data_at = updated WHERE status = 'sending'")
    if _add_column(db, "send_locks", "heartbeat", "REAL NOT NULL DEFAULT 0"):
        db.execute("UPDATE send_locks SET heartbeat = acquired")


def m005_mailbox_keys(db: sqlite3.Connection) -> None:
    """Every subscriber gets its mailbox key (`mailbox_key`), indexed.

    The index is unique, unless the file already holds one mailbox twice (which NOCASE
    allowed for non-ASCII letters); then it is a plain index, `add` still finds the
    existing row by key, and a send mails such a mailbox once, with a line.
    """
    from briefing.store.addresses import mailbox_key  # email-validator, only for a file that needs keys

    _add_column(db, "subscribers", "key", "TEXT")
    missing = db.execute("SELECT email FROM subscribers WHERE key IS NULL").fetchall()
    db.executemany(
        "UPDATE subscribers SET key = ? WHERE email = ?", [(mailbox_key(e), e) for (e,) in missing]
    )
    db.execute("SAVEPOINT unique_keys")
    try:
        db.execute("CREATE UNIQUE INDEX IF NOT EXISTS subscribers_key ON subscribers (key)")
    except sqlite3.IntegrityError:
        db.execute("ROLLBACK TO unique_keys")
        db.execute("CREATE INDEX IF NOT EXISTS subscribers_key_listed_twice ON subscribers (key)")
    db.execute("RELEASE unique_keys")


DELIVERY: tuple[Migration, ...] = (
    m001_subscribers,
    m002_ledger,
    m003_editions,
    m004_claims_and_leases,
    m005_mailbox_keys,
)
