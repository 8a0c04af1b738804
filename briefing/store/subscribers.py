"""Subscribers, in the delivery database: who gets the brief, and who asked to stop.

Addresses are validated and normalised (`briefing.store.addresses`) and unique per
mailbox, whatever their case. Removing someone does
not delete the row: it marks them unsubscribed, so that a later import of an old list
cannot quietly sign them up again; only `add` with `resubscribe=True` (an explicit
request) does. Each subscriber has a random token for their unsubscribe link.

Where: `--db`, else `$BRIEFING_DB`, else `briefing.sqlite3` in the user's data directory.
"""

from __future__ import annotations

import csv
import secrets
import sqlite3
import time
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from briefing.errors import DamagedDatabaseError, UserError
from briefing.ingest.files import CSV_LIMIT, FileRefused, read_file
from briefing.store.addresses import mailbox_key, normalise_address
from briefing.store.database import Database
from briefing.store.migrations import DELIVERY

__all__ = [
    "ImportResult",
    "Status",
    "Subscriber",
    "SubscriberStore",
    "default_db_path",
]

_UNSUBSCRIBE = "UPDATE subscribers SET status = 'unsubscribed', changed = ? WHERE status = 'active' AND "
_BY_EMAIL = _UNSUBSCRIBE + "key = ?"
_BY_TOKEN = _UNSUBSCRIBE + "token = ?"


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """The `db` setting (`$BRIEFING_DB` or the config file's), else the user's data directory's file."""
    from briefing.settings import load_settings

    return load_settings(environ=environ).db_path()


def _clean_name(name: str) -> str:
    # A name goes into a greeting and the To header: one line of printable text.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())[:200]


class Status(StrEnum):
    active = "active"
    unsubscribed = "unsubscribed"


class Subscriber(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str
    name: str = ""
    status: Status = Status.active
    token: str


class ImportResult(BaseModel):
    """What an import did, line by line: nothing is skipped without its reason."""

    model_config = ConfigDict(extra="forbid")

    added: int = 0
    already: int = 0
    kept_unsubscribed: int = 0
    problems: list[str] = []


class SubscriberStore:
    """The subscribers table of the delivery database, which also holds the ledger and the editions."""

    def __init__(self, path: Path) -> None:
        """Open (and create or upgrade if needed) the delivery database.

        A damaged file is never moved aside or recreated, unlike the cache: it is the only
        record of who was sent what, so it is left exactly as it is for the operator.

        Raises:
            UserError: The file cannot be created or written, is busy, is not a sound
                database, or was written by a newer briefing (one line, with the path).
        """
        self.path = path
        remedy = (
            "; it was left as it is: restore it from a backup, or save what is readable "
            f"with `sqlite3 {path} .recover`"
        )
        try:
            self.database = Database(path, DELIVERY, what="database")
        except DamagedDatabaseError as exc:
            raise UserError(f"{exc}{remedy}") from None

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection itself, for looking into the file (`database` is for using it)."""
        return self.database.connection

    def add(self, email: str, name: str = "", *, resubscribe: bool = False) -> tuple[Subscriber, bool]:
        """Add an address; returns the subscriber and whether anything changed.

        An unsubscribed address stays unsubscribed unless `resubscribe` is set.

        Raises:
            UserError: Not an email address.
        """
        address = normalise_address(email)
        key = mailbox_key(address)
        now = time.time()
        with self.database.transaction(immediate=True) as db:  # one process at a time adds
            row = db.execute(
                "SELECT email, name, status, token FROM subscribers WHERE key = ? ORDER BY added LIMIT 1",
                (key,),
            ).fetchone()
            if row is None:
                token = secrets.token_urlsafe(24)
                db.execute(
                    "INSERT INTO subscribers (email, key, name, status, token, added, changed) "
                    "VALUES (?, ?, ?, 'active', ?, ?, ?)",
                    (address, key, _clean_name(name), token, now, now),
                )
                return Subscriber(email=address, name=_clean_name(name), token=token), True
            current = Subscriber(email=row[0], name=row[1], status=Status(row[2]), token=row[3])
            if current.status == Status.unsubscribed and resubscribe:
                db.execute(
                    "UPDATE subscribers SET status = 'active', changed = ? WHERE email = ?",
                    (now, current.email),
                )
                return current.model_copy(update={"status": Status.active}), True
            return current, False

    def remove(self, email: str) -> bool:
        """Mark an address unsubscribed; False when it was not subscribed."""
        return self._unsubscribe(_BY_EMAIL, mailbox_key(normalise_address(email)))

    def unsubscribe_token(self, token: str) -> bool:
        """Unsubscribe whoever owns `token` (the one-click link); False for an unknown token."""
        return self._unsubscribe(_BY_TOKEN, token)

    def _unsubscribe(self, query: str, value: str) -> bool:
        return self.database.write(query, (time.time(), value)) > 0

    def list(self, *, active_only: bool = False) -> list[Subscriber]:
        """Every subscriber (or only the active ones), ordered by address."""
        query = "SELECT email, name, status, token FROM subscribers"
        if active_only:
            query += " WHERE status = 'active'"
        rows = self.database.read(query + " ORDER BY email COLLATE NOCASE")
        return [Subscriber(email=e, name=n, status=Status(s), token=t) for e, n, s, t in rows]

    def import_csv(self, path: Path) -> ImportResult:
        """Add every address in a CSV file (an `email` column, optionally `name`; or the first column).

        Bad lines are reported with their line number and skipped; the rest are added.
        Unsubscribed people in the file stay unsubscribed.

        Raises:
            UserError: The file cannot be read.
        """
        result = ImportResult()
        try:
            text = read_file(path, CSV_LIMIT).decode("utf-8-sig")
        except FileRefused as exc:
            raise UserError(f"{path}: {exc.reason}") from None
        except UnicodeDecodeError as exc:
            raise UserError(f"{path}: cannot be read ({exc})") from None
        rows = list(csv.reader(text.splitlines()))
        header = [cell.strip().casefold() for cell in rows[0]] if rows else []
        has_header = "email" in header
        email_at = header.index("email") if has_header else 0
        name_at = header.index("name") if has_header and "name" in header else (1 if not has_header else None)
        for number, row in enumerate(rows[1:] if has_header else rows, start=2 if has_header else 1):
            if not any(cell.strip() for cell in row):
                continue
            raw = row[email_at] if email_at < len(row) else ""
            name = row[name_at] if name_at is not None and name_at < len(row) else ""
            try:
                subscriber, changed = self.add(raw, name)
            except UserError as exc:
                result.problems.append(f"{path}:{number}: {exc}; skipped")
                continue
            if changed:
                result.added += 1
            elif subscriber.status == Status.unsubscribed:
                result.kept_unsubscribed += 1
            else:
                result.already += 1
        return result

    def close(self) -> None:
        self.database.close()
