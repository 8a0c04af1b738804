"""The delivery ledger, the per-edition send locks, and the editions, in the delivery database.

The ledger holds one row per (edition, subscriber), unique, moving

    pending -> sending -> sent          (or failed, with the server's reason)

Each row is claimed with a compare-and-set (`pending -> sending`, by one run), so two
runs can never both send one row, whatever their locks say. The moment a row's message
data goes out is recorded (`data_at`): a row cut off after it is uncertain, never sent
again without being asked (see `briefing.deliver.send`).

A lock row per edition keeps a scheduled run and an editor's run from working on the
same edition at once. Its owner refreshes a lease (`heartbeat`) every `HEARTBEAT_S`
while it sends; the lock is taken over only when its owner is gone: its process is dead
on this host, or it has not refreshed the lease for `LEASE_S`. A run that finds its
lock taken over stops claiming rows.

The editions table records which content id is the edition of a date and which its
n-th correction (see `briefing.deliver.editions`). Everything here goes through the
delivery database's one connection (`SubscriberStore.database`).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from briefing.errors import UserError
from briefing.store.database import Database

__all__ = ["HEARTBEAT_S", "LEASE_S", "Editions", "Lease", "Ledger", "Version"]

LEASE_S = 120.0
"""A lock whose lease has not been refreshed for this long belongs to a run that is gone."""
HEARTBEAT_S = 10.0
"""How often a sending run refreshes its lease."""


@dataclass
class Lease:
    """A held send lock: who holds it, and whether another run has taken it over since."""

    owner: str
    lost: threading.Event = field(default_factory=threading.Event)


class Ledger:
    """The delivery ledger and the per-edition locks (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def _write(self, query: str, parameters: tuple[object, ...]) -> int:
        return self._db.write(query, parameters)

    def plan(self, edition: str, emails: list[str]) -> None:
        """Record every recipient of `edition` as pending (those already recorded keep their state)."""
        now = time.time()
        with self._db.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (edition, email, status, updated) "
                "VALUES (?, ?, 'pending', ?)",
                [(edition, e, now) for e in emails],
            )

    def status(self, edition: str) -> dict[str, str]:
        """Each recipient's state.

        pending, sent, failed, `uncertain` (its data went out, no answer came) or `sending`
        (claimed by a run, nothing sent yet).
        """
        rows = self._db.read("SELECT email, status, data_at FROM deliveries WHERE edition = ?", (edition,))
        return {
            email.casefold(): "uncertain" if status == "sending" and data_at is not None else status
            for email, status, data_at in rows
        }

    def reopen(self, edition: str, *, owner: str, failed: bool, uncertain: bool) -> None:
        """Make rows pending again.

        Always the claims of other runs whose data had not gone out (those runs are gone:
        this one holds the lock); with `failed`, failed rows; with `uncertain`, rows cut off
        after their data went out.
        """
        now = time.time()
        self._write(
            "UPDATE deliveries SET status = 'pending', owner = '', updated = ? WHERE edition = ? "
            "AND status = 'sending' AND data_at IS NULL AND owner != ?",
            (now, edition, owner),
        )
        if failed:
            self._write(
                "UPDATE deliveries SET status = 'pending', error = '', updated = ? "
                "WHERE edition = ? AND status = 'failed'",
                (now, edition),
            )
        if uncertain:
            self._write(
                "UPDATE deliveries SET status = 'pending', owner = '', data_at = NULL, updated = ? "
                "WHERE edition = ? AND status = 'sending' AND data_at IS NOT NULL",
                (now, edition),
            )

    def claim(self, edition: str, email: str, owner: str) -> bool:
        """Take a pending row for `owner` (compare-and-set): False when another run has it or it is done."""
        changed = self._write(
            "UPDATE deliveries SET status = 'sending', owner = ?, data_at = NULL, updated = ? "
            "WHERE edition = ? AND email = ? AND status = 'pending'",
            (owner, time.time(), edition, email),
        )
        return changed == 1

    def data_out(self, edition: str, email: str, owner: str) -> bool:
        """Record that the data is about to go out; False when the claim is no longer `owner`'s."""
        changed = self._write(
            "UPDATE deliveries SET data_at = ?, attempts = attempts + 1, updated = ? WHERE edition = ? "
            "AND email = ? AND status = 'sending' AND owner = ?",
            (time.time(), time.time(), edition, email, owner),
        )
        return changed == 1

    def data_refused(self, edition: str, email: str, owner: str) -> None:
        """The server answered the data with a refusal: it did not take the message after all."""
        self._write(
            "UPDATE deliveries SET data_at = NULL, updated = ? WHERE edition = ? AND email = ? "
            "AND status = 'sending' AND owner = ?",
            (time.time(), edition, email, owner),
        )

    def finish(self, edition: str, email: str, owner: str, status: str, error: str = "") -> None:
        """End `owner`'s claim: `sent`, `failed` (with the reason) or `pending` (nothing went out)."""
        # Back to pending only if no data went out: otherwise the row stays uncertain.
        unsent = " AND data_at IS NULL" if status == "pending" else ""
        self._write(
            "UPDATE deliveries SET status = ?, error = ?, owner = '', updated = ? "
            "WHERE edition = ? AND email = ? AND status = 'sending' AND owner = ?" + unsent,
            (status, error[:500], time.time(), edition, email, owner),
        )

    @contextmanager
    def locked(self, edition: str) -> Iterator[Lease]:
        """Hold the send lock of `edition`, refreshing its lease, or raise if a live run holds it.

        Raises:
            UserError: Another run is sending this edition.
        """
        lease = Lease(owner=f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}")
        now = time.time()
        with self._db.transaction(immediate=True) as db:
            row = db.execute(
                "SELECT owner, acquired, heartbeat FROM send_locks WHERE edition = ?", (edition,)
            ).fetchone()
            if row is not None and now - row[2] < LEASE_S and _alive(row[0]):
                since = datetime.fromtimestamp(row[1]).isoformat(timespec="seconds")
                raise UserError(
                    f"edition {edition} is being sent by another run ({row[0]}, since {since}, "
                    f"alive {now - row[2]:.0f} s ago)"
                )
            db.execute(
                "INSERT OR REPLACE INTO send_locks (edition, owner, acquired, heartbeat) VALUES (?, ?, ?, ?)",
                (edition, lease.owner, now, now),
            )
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(edition, lease, stop), daemon=True)
        beat.start()
        try:
            yield lease
        finally:
            stop.set()
            beat.join()
            self._write("DELETE FROM send_locks WHERE edition = ? AND owner = ?", (edition, lease.owner))

    def _heartbeat(self, edition: str, lease: Lease, stop: threading.Event) -> None:
        """Refresh the lease until `stop`; set `lease.lost` if another run took the lock over.

        On the database's one connection: every change there is committed under its lock,
        so a beat never commits the sender's half-done work.
        """
        while not stop.wait(HEARTBEAT_S):
            try:
                kept = self._write(
                    "UPDATE send_locks SET heartbeat = ? WHERE edition = ? AND owner = ?",
                    (time.time(), edition, lease.owner),
                )
            except sqlite3.Error:
                continue  # busy for a while: the next beat tries again, well within the lease
            if not kept:
                lease.lost.set()
                return


def _alive(owner: str) -> bool:
    """Whether the run that took a lock may still be running (a dead process on this host is not)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Version:
    """One version of a date's edition: 0 is the edition, n its n-th correction."""

    date: str
    correction: int
    content_id: str

    @property
    def label(self) -> str:
        if self.correction == 0:
            return f"the {self.date} edition"
        return f"correction {self.correction} of {self.date}"


class Editions:
    """The versions of each date's edition (see `briefing.deliver.editions`)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def versions(self, date: str, ledger: Ledger) -> list[Version]:
        """The date's versions, edition first.

        A date sent before editions had content ids has ledger rows keyed by the date
        alone: that key stands for its (unknown) content, so it is never taken for today's.
        """
        rows = self._db.read(
            "SELECT correction, content_id FROM editions WHERE date = ? ORDER BY correction", (date,)
        )
        if not rows and ledger.status(date):
            return [Version(date, 0, date)]
        return [Version(date, n, key) for n, key in rows]

    def record(self, version: Version, *, replaces: str | None = None) -> bool:
        """Make `version` the date's version of its number, unless another run got there first.

        An existing row for that number is replaced only while it still holds `replaces`
        (a version nobody received). False when another run recorded a different brief.
        """
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO editions (date, correction, content_id, registered) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (date, correction) DO UPDATE SET content_id = excluded.content_id, "
                "registered = excluded.registered WHERE content_id = ?",
                (version.date, version.correction, version.content_id, time.time(), replaces),
            )
            row = db.execute(
                "SELECT content_id FROM editions WHERE date = ? AND correction = ?",
                (version.date, version.correction),
            ).fetchone()
        return row is not None and row[0] == version.content_id
