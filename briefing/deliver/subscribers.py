"""Subscribers, in one SQLite file: who gets the brief, and who asked to stop.

Addresses are validated and normalised with `email-validator` (the domain lower-cased
and IDNA-checked, no DNS lookups) and unique regardless of case. Only addresses a relay
can be handed are taken: no quoted local parts, no bracketed IP addresses, no
special-use domains (`.test`, `.local`, `localhost`, ...). International addresses are
taken: the domain goes out in IDNA, and a non-ASCII part before the @ needs a relay
offering SMTPUTF8 (`delivery_address`). Removing someone does
not delete the row: it marks them unsubscribed, so that a later import of an old list
cannot quietly sign them up again; only `add` with `resubscribe=True` (an explicit
request) does. Each subscriber has a random token for their unsubscribe link.

Where: `--db`, else `$BRIEFING_DB`, else `briefing.sqlite3` in the user's data directory.
"""

from __future__ import annotations

import csv
import secrets
import sqlite3
import threading
import time
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from pydantic import BaseModel, ConfigDict

from briefing.errors import DamagedDatabaseError, UserError
from briefing.ingest.files import CSV_LIMIT, FileRefused, read_file
from briefing.store.database import open_database

__all__ = [
    "ImportResult",
    "Status",
    "Subscriber",
    "SubscriberStore",
    "default_db_path",
    "delivery_address",
    "mailbox_key",
    "normalise_address",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    email TEXT PRIMARY KEY COLLATE NOCASE,
    name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')),
    token TEXT NOT NULL UNIQUE,
    added REAL NOT NULL,
    changed REAL NOT NULL,
    key TEXT
)
"""
_UNSUBSCRIBE = "UPDATE subscribers SET status = 'unsubscribed', changed = ? WHERE status = 'active' AND "
_BY_EMAIL = _UNSUBSCRIBE + "key = ?"
_BY_TOKEN = _UNSUBSCRIBE + "token = ?"


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """The `db` setting (`$BRIEFING_DB` or the config file's), else the user's data directory's file."""
    from briefing.settings import load_settings

    return load_settings(environ=environ).db_path()


def _validated(raw: str) -> ValidatedEmail:
    if '"' in raw:  # the validator would read an unbalanced quote as a missing @-sign
        raise UserError(f'{raw.strip()!r} is not an email address: quoted local parts (") are not taken')
    try:
        # The options spelled out are the library's defaults, kept explicit because they are
        # the promise: what passes can be put on an SMTP envelope.
        return validate_email(
            raw.strip(),
            check_deliverability=False,
            allow_smtputf8=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            globally_deliverable=True,
            strict=True,  # RFC 5321's 64 characters before the @
        )
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        raise UserError(f"{raw.strip()!r} is not an email address: {reason}") from None


def normalise_address(raw: str) -> str:
    """The address as stored and sent to: trimmed, domain lower-cased, syntax checked.

    Raises:
        UserError: Not an email address that can be delivered (the reason is in the message).
    """
    return _validated(raw).normalized


def mailbox_key(address: str) -> str:
    """What makes two spellings one mailbox: the local part casefolded, the domain in lower-case IDNA.

    `ÉMILE@Example.com` and `émile@example.com` have one key (SQLite's NOCASE folds only
    ASCII). An address that no longer validates (stored by an older version) is keyed by
    its casefold.
    """
    try:
        checked = _validated(address)
    except UserError:
        return address.strip().casefold()
    return f"{checked.local_part.casefold()}@{checked.ascii_domain.lower()}"


def delivery_address(address: str) -> tuple[str, bool]:
    """The address for the envelope and the To header, and whether it needs SMTPUTF8.

    ASCII whenever the part before the @ is (an international domain in IDNA,
    `aaa@bücher.example` -> `aaa@xn--bcher-kva.example`), which every relay takes;
    otherwise the UTF-8 form, which only a relay offering SMTPUTF8 (RFC 6531) takes.

    Raises:
        UserError: Not an address that can be delivered (e.g. stored by an older version).
    """
    checked = _validated(address)
    if checked.ascii_email:
        return checked.ascii_email, False
    return f"{checked.local_part}@{checked.ascii_domain}", True


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
    """The subscribers table of the delivery database."""

    def __init__(self, path: Path) -> None:
        """Open (and create if needed) the database.

        A damaged file is never moved aside or recreated, unlike the cache: it is the only
        record of who was sent what, so it is left exactly as it is for the operator.

        Raises:
            UserError: The file cannot be created or written, is busy, or is not a sound
                database (one line, with the path).
        """
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = open_database(path, _SCHEMA, what="database")
        except DamagedDatabaseError as exc:
            raise UserError(
                f"{exc}; it was left as it is: restore it from a backup, or save what is readable "
                f"with `sqlite3 {path} .recover`"
            ) from None
        self._add_keys()

    def _add_keys(self) -> None:
        """Give every row its mailbox key (a database from before keys gets the column), then index them.

        The index is unique, unless an older database already holds one mailbox twice
        (which NOCASE allowed for non-ASCII letters); then it is a plain index, `add` still
        finds the existing row by key, and a send mails such a mailbox once, with a line.
        """
        with self._lock:
            db = self._db
            columns = {row[1] for row in db.execute("PRAGMA table_info(subscribers)")}
            if "key" not in columns:
                try:
                    db.execute("ALTER TABLE subscribers ADD COLUMN key TEXT")
                except sqlite3.OperationalError as exc:  # another process added it just now
                    if "duplicate column" not in str(exc):
                        raise
            missing = db.execute("SELECT email FROM subscribers WHERE key IS NULL").fetchall()
            db.executemany(
                "UPDATE subscribers SET key = ? WHERE email = ?", [(mailbox_key(e), e) for (e,) in missing]
            )
            try:
                db.execute("CREATE UNIQUE INDEX IF NOT EXISTS subscribers_key ON subscribers (key)")
            except sqlite3.IntegrityError:
                db.execute("CREATE INDEX IF NOT EXISTS subscribers_key_listed_twice ON subscribers (key)")
            db.commit()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for the other tables of the same database (the delivery ledger)."""
        return self._db

    def add(self, email: str, name: str = "", *, resubscribe: bool = False) -> tuple[Subscriber, bool]:
        """Add an address; returns the subscriber and whether anything changed.

        An unsubscribed address stays unsubscribed unless `resubscribe` is set.

        Raises:
            UserError: Not an email address.
        """
        address = normalise_address(email)
        key = mailbox_key(address)
        now = time.time()
        with self._lock:
            row = self._db.execute(
                "SELECT email, name, status, token FROM subscribers WHERE key = ? ORDER BY added LIMIT 1",
                (key,),
            ).fetchone()
            if row is None:
                token = secrets.token_urlsafe(24)
                self._db.execute(
                    "INSERT INTO subscribers (email, key, name, status, token, added, changed) "
                    "VALUES (?, ?, ?, 'active', ?, ?, ?)",
                    (address, key, _clean_name(name), token, now, now),
                )
                self._db.commit()
                return Subscriber(email=address, name=_clean_name(name), token=token), True
            current = Subscriber(email=row[0], name=row[1], status=Status(row[2]), token=row[3])
            if current.status == Status.unsubscribed and resubscribe:
                self._db.execute(
                    "UPDATE subscribers SET status = 'active', changed = ? WHERE email = ?",
                    (now, current.email),
                )
                self._db.commit()
                return current.model_copy(update={"status": Status.active}), True
            return current, False

    def remove(self, email: str) -> bool:
        """Mark an address unsubscribed; False when it was not subscribed."""
        return self._unsubscribe(_BY_EMAIL, mailbox_key(normalise_address(email)))

    def unsubscribe_token(self, token: str) -> bool:
        """Unsubscribe whoever owns `token` (the one-click link); False for an unknown token."""
        return self._unsubscribe(_BY_TOKEN, token)

    def _unsubscribe(self, query: str, value: str) -> bool:
        with self._lock:
            changed = self._db.execute(query, (time.time(), value)).rowcount
            self._db.commit()
        return bool(changed)

    def list(self, *, active_only: bool = False) -> list[Subscriber]:
        """Every subscriber (or only the active ones), ordered by address."""
        query = "SELECT email, name, status, token FROM subscribers"
        if active_only:
            query += " WHERE status = 'active'"
        with self._lock:
            rows = self._db.execute(query + " ORDER BY email COLLATE NOCASE").fetchall()
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
        with self._lock:
            self._db.close()
