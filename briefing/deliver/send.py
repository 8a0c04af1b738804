"""Send one edition to every active subscriber over SMTP, exactly once each.

SMTP has no idempotency, so the database does it. A delivery ledger beside the
subscribers holds one row per (edition, subscriber), unique, moving

    pending -> sending -> sent          (or failed, with the server's reason)

A run first records every active subscriber as pending, then works through them on one
SMTP connection. Each row is claimed with a compare-and-set (`pending -> sending`, by
this run), so two runs can never both send one row, whatever their locks say.

Failures are sorted by whom they concern:
- The relay (a refused or timed-out connection, a 4xx or 5xx to the greeting, EHLO,
  STARTTLS, AUTH or MAIL FROM, a reply that never comes, a drop at MAIL FROM on a new
  connection, drops at RCPT for several different recipients in a row): the run stops
  at once, the rows stay pending, and the next run sends them. A dead relay costs one
  timeout (`SmtpSettings.timeout_s`) for the whole run, not one per subscriber.
- One recipient: a 4xx to RCPT or to the data, or a connection dropped at its RCPT, is
  retried with backoff (then left pending, with the reason); a 5xx is that subscriber's
  failure, for good unless `retry_failed`; so is an address that needs SMTPUTF8 when the
  relay does not offer it. The rest go on.

A lock row per edition keeps a scheduled run and an editor's run from working on the
same edition at once. Its owner refreshes a lease (`heartbeat`) every `HEARTBEAT_S`
while it sends; the lock is taken over only when its owner is gone: its process is dead
on this host, or it has not refreshed the lease for `LEASE_S`. A run that finds its
lock taken over stops claiming rows.

The one ambiguous case: the row records the moment the message data goes out
(`data_at`), and becomes `sent` when the server's 250 comes back. If the connection (or
the process) is lost in between, nobody knows whether the server took the message. Such
rows are not sent again automatically, since "never double-send" is the promise; every
run lists them, and `briefing send --resend-uncertain` sends them again on purpose. The
Message-ID is the same on every attempt, so a receiving client that got both can tell
the second is a copy. A row claimed by a run that is gone before its data went out is
simply pending again.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, NoReturn

from briefing.contracts import Brief
from briefing.deliver.message import MailSettings, build_message, message_bytes
from briefing.deliver.subscribers import Subscriber, SubscriberStore, delivery_address, mailbox_key
from briefing.errors import UserError

__all__ = [
    "HEARTBEAT_S",
    "LEASE_S",
    "Lease",
    "Ledger",
    "SendReport",
    "SmtpSettings",
    "open_session",
    "send_edition",
]

LEASE_S = 120.0
"""A lock whose lease has not been refreshed for this long belongs to a run that is gone."""
HEARTBEAT_S = 10.0
"""How often a sending run refreshes its lease."""
_LEDGER = """
CREATE TABLE IF NOT EXISTS deliveries (
    edition TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    data_at REAL,
    PRIMARY KEY (edition, email)
);
CREATE TABLE IF NOT EXISTS send_locks (
    edition TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    acquired REAL NOT NULL,
    heartbeat REAL NOT NULL DEFAULT 0
);
"""
# Columns added since the first ledger, with what an existing row means in the new terms:
# a `sending` row of the old ledger had its data out already (it was marked just before).
_ADDED_COLUMNS = (
    ("deliveries", "owner", "TEXT NOT NULL DEFAULT ''", ""),
    ("deliveries", "data_at", "REAL", "UPDATE deliveries SET data_at = updated WHERE status = 'sending'"),
    ("send_locks", "heartbeat", "REAL NOT NULL DEFAULT 0", "UPDATE send_locks SET heartbeat = acquired"),
)


@dataclass(frozen=True)
class SmtpSettings:
    """Where to send, from BRIEFING_SMTP_*; the password is never shown."""

    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: Literal["none", "starttls", "ssl"] = "starttls"
    ca_file: str | None = None
    """Certificates to trust besides the system's (a private relay's CA), from BRIEFING_SMTP_CA_FILE."""
    timeout_s: float = 30.0
    """The longest wait for the connection and for each reply (BRIEFING_SMTP_TIMEOUT)."""
    allow_plain_auth: bool = False
    """Log in over an unencrypted connection (BRIEFING_SMTP_ALLOW_PLAIN_AUTH=1): a relay on this host."""

    def __post_init__(self) -> None:
        if self.user and self.tls == "none" and not self.allow_plain_auth:
            raise UserError(
                "refusing to send the SMTP password unencrypted: BRIEFING_SMTP_USER is set with "
                "BRIEFING_SMTP_TLS=none; use starttls or ssl, or set BRIEFING_SMTP_ALLOW_PLAIN_AUTH=1"
            )

    def tls_context(self) -> ssl.SSLContext:
        """Certificates verified and host names checked, always; `ca_file` only adds trust."""
        context = ssl.create_default_context()
        if self.ca_file:
            try:
                context.load_verify_locations(cafile=self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise UserError(f"BRIEFING_SMTP_CA_FILE {self.ca_file}: cannot be used ({exc})") from None
        return context

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """The SMTP settings of `briefing.settings`: BRIEFING_SMTP_*, else the config file's smtp_* keys.

        HOST, PORT, USER, PASSWORD (or PASSWORD_FILE), TLS (none | starttls | ssl),
        CA_FILE, TIMEOUT (seconds) and ALLOW_PLAIN_AUTH.

        Args:
            environ: The environment; the process's when None (tests pass a dict).

        Raises:
            UserError: No host, a port or timeout that is not a number, an unknown TLS mode, or
                a login over an unencrypted connection that was not explicitly allowed.
        """
        from briefing.settings import load_settings

        return load_settings(environ=environ).smtp()


class SendReport:
    """What a send did; `line()` is printed at the end of every send.

    Every subscriber counts exactly once, in one of: `sent` (now), `already_sent` (by an
    earlier run), `failed`, `uncertain` or `pending` (`deferred` says why each was left).
    `retried` is not a bucket: it counts the subscribers of this run that needed more than
    one attempt (a transient failure retried, or an earlier failure retried with
    `retry_failed`), whichever bucket they ended in.
    """

    def __init__(self, edition: str) -> None:
        self.edition = edition
        self.subscribers = 0
        self.sent = 0
        self.already_sent = 0
        self.retried = 0
        self.failed: list[tuple[str, str]] = []
        self.uncertain: list[str] = []
        self.deferred: list[tuple[str, str]] = []
        """Recipients left pending by this run, with the reason (deferrals, drops): the next run retries."""
        self.pending = 0
        """Rows left pending at the end (a stopped run, deferred recipients): the next run sends them."""
        self.listed_twice: list[tuple[str, str]] = []
        """(address, the address it is the same mailbox as): listed twice, sent once."""
        self.stopped: str | None = None
        """Why the run stopped before the end (the relay failed, the lock was taken over)."""
        self.relay_down: str | None = None
        """Set when the run stopped because the relay failed: what failed (no use trying it again now)."""

    def line(self) -> str:
        return (
            f"send {self.edition}: {self.subscribers} subscribers, {self.sent} sent now, "
            f"{self.already_sent} sent before, {len(self.failed)} failed, {len(self.uncertain)} uncertain, "
            f"{self.pending} still pending; {self.retried} retried, duplicates 0"
        )


@dataclass
class Lease:
    """A held send lock: who holds it, and whether another run has taken it over since."""

    owner: str
    lost: threading.Event = field(default_factory=threading.Event)


class Ledger:
    """The delivery ledger and the per-edition lock, in the subscribers' database."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        with self._lock:
            db.executescript(_LEDGER)
            for table, column, declaration, backfill in _ADDED_COLUMNS:
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    try:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                    except sqlite3.OperationalError as exc:  # another process added it just now
                        if "duplicate column" not in str(exc):
                            raise
                    else:
                        if backfill:
                            db.execute(backfill)
            db.commit()

    def _write(self, query: str, parameters: tuple[object, ...]) -> int:
        with self._lock:
            changed = self._db.execute(query, parameters).rowcount
            self._db.commit()
        return changed

    def plan(self, edition: str, emails: list[str]) -> None:
        """Record every recipient of `edition` as pending (those already recorded keep their state)."""
        now = time.time()
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO deliveries (edition, email, status, updated) "
                "VALUES (?, ?, 'pending', ?)",
                [(edition, e, now) for e in emails],
            )
            self._db.commit()

    def status(self, edition: str) -> dict[str, str]:
        """Each recipient's state.

        pending, sent, failed, `uncertain` (its data went out, no answer came) or `sending`
        (claimed by a run, nothing sent yet).
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT email, status, data_at FROM deliveries WHERE edition = ?", (edition,)
            ).fetchall()
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
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT owner, acquired, heartbeat FROM send_locks WHERE edition = ?", (edition,)
            ).fetchone()
            if row is not None and now - row[2] < LEASE_S and _alive(row[0]):
                self._db.rollback()
                since = datetime.fromtimestamp(row[1]).isoformat(timespec="seconds")
                raise UserError(
                    f"edition {edition} is being sent by another run ({row[0]}, since {since}, "
                    f"alive {now - row[2]:.0f} s ago)"
                )
            self._db.execute(
                "INSERT OR REPLACE INTO send_locks (edition, owner, acquired, heartbeat) VALUES (?, ?, ?, ?)",
                (edition, lease.owner, now, now),
            )
            self._db.commit()
            path = self._db.execute("PRAGMA database_list").fetchone()[2]
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(edition, lease, path, stop), daemon=True)
        beat.start()
        try:
            yield lease
        finally:
            stop.set()
            beat.join()
            self._write("DELETE FROM send_locks WHERE edition = ? AND owner = ?", (edition, lease.owner))

    def _heartbeat(self, edition: str, lease: Lease, path: str, stop: threading.Event) -> None:
        """Refresh the lease until `stop`; set `lease.lost` if another run took the lock over.

        On a connection of its own, so that a beat never commits the sender's half-done work.
        """
        db = sqlite3.connect(path, timeout=HEARTBEAT_S) if path else None
        try:
            while not stop.wait(HEARTBEAT_S):
                try:
                    if db is not None:
                        kept = db.execute(
                            "UPDATE send_locks SET heartbeat = ? WHERE edition = ? AND owner = ?",
                            (time.time(), edition, lease.owner),
                        ).rowcount
                        db.commit()
                    else:
                        kept = self._write(
                            "UPDATE send_locks SET heartbeat = ? WHERE edition = ? AND owner = ?",
                            (time.time(), edition, lease.owner),
                        )
                except sqlite3.Error:
                    continue  # busy for a while: the next beat tries again, well within the lease
                if not kept:
                    lease.lost.set()
                    return
        finally:
            if db is not None:
                db.close()


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


class _RelayDown(Exception):
    """The relay itself failed: nothing more can be sent in this run."""


def open_session(settings: SmtpSettings) -> smtplib.SMTP:
    """A connected SMTP session: TLS as configured, greeted, logged in; every wait bounded by the timeout.

    Raises:
        OSError, smtplib.SMTPException: As smtplib raises them; callers decide what each means.
    """
    s = settings
    if s.tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=s.tls_context())
    else:
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
    try:
        if s.tls == "starttls":
            smtp.starttls(context=s.tls_context())
        smtp.ehlo_or_helo_if_needed()
        if s.user:
            smtp.login(s.user, s.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


class _Transient(Exception):
    """A failure worth another try on a fresh connection."""


class _Uncertain(Exception):
    """Lost between the message data and the server's answer."""


class _Refused(Exception):
    """This recipient cannot be sent to (a 5xx, or an address the relay cannot take)."""


class _Superseded(Exception):
    """The row's claim passed to another run before the data went out."""


class _Connection:
    """One SMTP connection, reopened when it drops; a failed (re)open is the relay's failure."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.dropped_at: list[str] = []
        """The different recipients, in a row, at whose RCPT the connection was lost.

        One recipient that makes the relay hang up is that recipient's problem (its attempts
        run out, it stays pending, the run goes on); several different ones in a row mean
        the relay is down."""

    @property
    def where(self) -> str:
        return f"SMTP relay {self.settings.host}:{self.settings.port}"

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            smtp = open_session(s)
        except smtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.smtp_code < 500:
                raise _RelayDown(f"{self.where}: login deferred ({_reply(exc)})") from None
            raise UserError(f"SMTP server {s.host}:{s.port} refused the login of {s.user!r}") from None
        except ssl.SSLCertVerificationError as exc:
            raise UserError(
                f"SMTP server {s.host}:{s.port}: certificate not trusted ({exc.verify_message}); "
                "set BRIEFING_SMTP_CA_FILE for a private CA"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _RelayDown(f"{self.where} refused the session ({_reply(exc)})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _RelayDown(f"{self.where}: {_cause(exc, s.timeout_s)}") from None
        return smtp

    def send(self, message: EmailMessage, sender: str, recipient: str, utf8: bool, row: _Row) -> None:
        """Send one message; `row` hears just before the data goes out, and if it was refused.

        Raises:
            _RelayDown: The relay cannot be used in this run (connect, greeting, login, MAIL FROM, timeout).
            _Transient: Worth retrying on a new connection (a 4xx for this recipient, a drop).
            _Refused: This recipient cannot be sent to (a 5xx, no SMTPUTF8 for its address).
            _Uncertain: The connection was lost after the data went out.
        """
        fresh = self._smtp is None
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        stage = "MAIL FROM"
        try:
            options: list[str] = []
            if utf8:
                if not smtp.has_extn("smtputf8"):
                    self._reset()
                    raise _Refused(
                        f"the address needs SMTPUTF8 (non-ASCII before the @), which {self.where} "
                        "does not offer"
                    )
                options = ["SMTPUTF8", *(["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else [])]
            code, reply = smtp.mail(sender, options)
            if code == 421:
                raise smtplib.SMTPServerDisconnected(_text(reply))
            if code != 250:
                self._reset()
                raise _RelayDown(f"{self.where} refused the sender {sender} ({code} {_text(reply)})")
            stage = "RCPT"
            code, reply = smtp.rcpt(recipient)
            self.dropped_at.clear()  # the relay answered
            if code not in (250, 251):
                self._refused(code, reply)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            if _timed_out(exc):  # a relay that stops answering is down, not flaky
                self.close()
                raise _RelayDown(f"{self.where}: {_cause(exc, self.settings.timeout_s)}") from None
            self._dropped(exc, stage, recipient, fresh)
        try:
            row.data_out()
        except _Superseded:
            self._reset()
            raise
        try:
            # smtplib sends bytes as they are: the lines must already end in CRLF.
            code, reply = smtp.data(message_bytes(message, utf8=utf8))
        except smtplib.SMTPDataError as exc:  # a refusal of the DATA command itself: nothing went out
            row.data_refused()
            self._refused(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise _Uncertain(f"connection lost while the message was sent ({type(exc).__name__})") from None
        self.dropped_at.clear()
        if code != 250:  # smtplib returns the final reply to the data instead of raising
            row.data_refused()
            self._refused(code, reply)

    def _refused(self, code: int, reply: bytes | str) -> NoReturn:
        """The server said no to this recipient: a 4xx is worth another try, anything else is final."""
        self._reset()
        if code == 421:
            self.close()
        if 400 <= code < 500:
            raise _Transient(f"{code} {_text(reply)}")
        raise _Refused(f"{code} {_text(reply)}")

    def _dropped(self, exc: BaseException, stage: str, recipient: str, fresh: bool) -> NoReturn:
        """The connection was lost before the data: whose problem it is depends on where.

        At MAIL FROM on a new connection, the relay's (nothing about the recipient was said
        yet); on a reused one, probably an idle connection the relay closed: worth one more
        try. At RCPT, this recipient's, unless different recipients keep causing it.
        """
        self.close()
        if stage == "MAIL FROM":
            if fresh:
                raise _RelayDown(f"{self.where} dropped the connection at MAIL FROM") from None
            raise _Transient(
                f"connection lost at MAIL FROM ({_cause(exc, self.settings.timeout_s)})"
            ) from None
        if recipient not in self.dropped_at:
            self.dropped_at.append(recipient)
        if len(self.dropped_at) >= 3:
            raise _RelayDown(
                f"{self.where} dropped the connection at RCPT for {len(self.dropped_at)} different "
                "recipients in a row"
            ) from None
        raise _Transient(f"connection lost at RCPT ({_cause(exc, self.settings.timeout_s)})") from None

    def _reset(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.rset()
            except (OSError, smtplib.SMTPException):
                self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _timed_out(exc: BaseException) -> bool:
    """A timeout, also when smtplib reports it as a closed connection."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _cause(exc: BaseException, timeout_s: float) -> str:
    if _timed_out(exc):
        return f"no answer within {timeout_s:g} s (BRIEFING_SMTP_TIMEOUT)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "connection closed by the server"
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return reason


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def send_edition(
    brief: Brief,
    *,
    store: SubscriberStore,
    mail: MailSettings,
    smtp: SmtpSettings | None,
    edition: str,
    now: datetime,
    dry_run: Path | None = None,
    only_to: str | None = None,
    resend_uncertain: bool = False,
    retry_failed: bool = False,
    attempts: int = 4,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> SendReport:
    """Send `edition` to every active subscriber not yet sent to (see the module docstring).

    With `dry_run`, each message is written to that folder as `.eml` instead, and the
    ledger is not touched. With `only_to`, one test copy goes to that address, outside the
    ledger. With `retry_failed`, subscribers whose delivery failed for good are tried again.
    A relay failure ends the run early: `report.stopped` says why, the rest stay pending.
    Once `stop` is set (a signal), no further row is claimed; the one being sent finishes.
    Before any row is touched, a message for a stand-in subscriber is built, so that a
    problem of the sender or of the brief stops the run instead of failing every subscriber.

    Raises:
        UserError: Bad settings, a login refused, or another run sending this edition.
    """
    report = SendReport(edition)
    envelope_sender, sender_utf8 = mail.envelope_sender()
    mail.unsubscribe_base()  # a settings error is one line before any message, not one per subscriber
    _check_message(brief, mail, edition, now, sender_utf8)
    if dry_run is not None:
        recipients = [_test_copy(only_to)] if only_to is not None else store.list(active_only=True)
        report.subscribers = len(recipients)
        try:
            dry_run.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"dry-run folder {dry_run}: cannot be created ({exc.strerror}); nothing written"
            ) from None
        for subscriber in recipients:
            try:
                message = build_message(
                    brief, subscriber, mail, edition=edition, now=now, test_copy=only_to is not None
                )
                utf8 = delivery_address(subscriber.email)[1]
            except (UserError, ValueError, MessageError) as exc:
                report.failed.append((subscriber.email, f"cannot be written as a message ({exc})"))
                continue
            target = dry_run / _file_name(edition, subscriber.email)
            try:
                target.write_bytes(message_bytes(message, utf8=utf8, linesep="\n"))
            except OSError as exc:
                raise UserError(f"{target}: cannot be written ({exc.strerror})") from None
            report.sent += 1
        return report
    if smtp is None:
        raise UserError("no SMTP server configured: set BRIEFING_SMTP_HOST")
    connection = _Connection(smtp)
    retry = _Retry(attempts=attempts, backoff_s=backoff_s, sleep=sleep)

    def deliver(subscriber: Subscriber, row: _Row) -> tuple[str, str]:
        try:
            message = build_message(
                brief, subscriber, mail, edition=edition, now=now, test_copy=only_to is not None
            )
            recipient, utf8 = delivery_address(subscriber.email)
        except (UserError, ValueError, MessageError) as exc:
            status, reason = "failed", f"cannot be written as a message ({exc})"
        else:
            status, reason = _deliver(
                connection,
                message,
                envelope_sender,
                recipient,
                sender_utf8 or utf8,
                retry,
                row,
            )
        if status == "sent":
            report.sent += 1
        elif status == "sending":
            report.uncertain.append(subscriber.email)
        elif status == "pending":
            report.deferred.append((subscriber.email, reason))
        else:
            report.failed.append((subscriber.email, reason))
        return status, reason

    try:
        if only_to is not None:
            report.subscribers = 1
            try:
                deliver(_test_copy(only_to), _Row())
            except _RelayDown as exc:
                report.stopped = f"{exc}; the test copy was not sent"
                report.relay_down = str(exc)
            report.pending = 1 - report.sent - len(report.failed) - len(report.uncertain)
            return report
        ledger = Ledger(store.connection)
        with ledger.locked(edition) as lease:
            subscribers: dict[str, Subscriber] = {}
            for listed in store.list(active_only=True):
                first = subscribers.setdefault(mailbox_key(listed.email), listed)
                if first is not listed:  # an old database may hold one mailbox twice
                    report.listed_twice.append((listed.email, first.email))
            ledger.plan(edition, [s.email for s in subscribers.values()])
            earlier_failures = {k for k, v in ledger.status(edition).items() if v == "failed"}
            ledger.reopen(edition, owner=lease.owner, failed=retry_failed, uncertain=resend_uncertain)
            states = ledger.status(edition)
            report.subscribers = len(subscribers)
            deferred = 0
            for subscriber in sorted(subscribers.values(), key=lambda s: s.email.casefold()):
                key = subscriber.email.casefold()
                state = states.get(key, "pending")
                if state == "sent":
                    report.already_sent += 1
                    continue
                if state == "failed":
                    report.failed.append((subscriber.email, "failed in an earlier run (--retry-failed)"))
                    continue
                if state in ("uncertain", "sending"):
                    report.uncertain.append(subscriber.email)
                    continue
                if report.stopped is not None:
                    continue
                if stop is not None and stop.is_set():
                    report.stopped = "stopped on request; the next run sends the rest"
                    continue
                if lease.lost.is_set():
                    report.stopped = f"the send lock of {edition} was taken over by another run; stopped"
                    continue
                email = subscriber.email
                if not ledger.claim(edition, email, lease.owner):
                    continue  # another run took it a moment ago, and sends it
                status, reason = "pending", ""
                tries = retry.tries
                try:
                    status, reason = deliver(subscriber, _LedgerRow(ledger, edition, email, lease.owner))
                except _RelayDown as exc:
                    report.stopped = f"{exc}; stopped, the next run sends the rest"
                    report.relay_down = str(exc)
                except _Superseded:
                    pass  # the other run that holds the row now sends it
                else:
                    deferred = deferred + 1 if status == "pending" else 0
                    if deferred >= 3:
                        report.stopped = (
                            f"{connection.where} deferred {deferred} recipients in a row; stopped"
                        )
                finally:
                    if status != "sending":  # an uncertain row stays as it is
                        ledger.finish(edition, email, lease.owner, status, reason)
                if retry.tries > tries + 1 or key in earlier_failures:
                    report.retried += 1
            # Whatever this run did not settle (not reached, deferred, claimed by another
            # run) is still pending: every subscriber is in exactly one bucket.
            report.pending = (
                report.subscribers
                - report.sent
                - report.already_sent
                - len(report.failed)
                - len(report.uncertain)
            )
    finally:
        connection.close()
    return report


def _check_message(brief: Brief, mail: MailSettings, edition: str, now: datetime, utf8: bool) -> None:
    """Build the message for a stand-in subscriber: what fails here fails for everyone.

    Raises:
        UserError: The sender or the brief cannot be written into a message; nothing was touched.
    """
    stand_in = Subscriber(email="subscriber@example.com", token="check")
    try:
        message_bytes(build_message(brief, stand_in, mail, edition=edition, now=now), utf8=utf8)
    except UserError:
        raise
    except (ValueError, MessageError) as exc:
        raise UserError(f"the brief cannot be written as a message ({exc}); nothing sent") from None


class _Row:
    """What the ledger hears about one delivery as it happens; a test copy has no ledger row."""

    def data_out(self) -> None:
        """The data is about to go out.

        Raises:
            _Superseded: The row is no longer this run's to send.
        """

    def data_refused(self) -> None:
        """The server refused the data: it did not take the message."""


@dataclass(frozen=True)
class _LedgerRow(_Row):
    ledger: Ledger
    edition: str
    email: str
    owner: str

    def data_out(self) -> None:
        if not self.ledger.data_out(self.edition, self.email, self.owner):
            raise _Superseded

    def data_refused(self) -> None:
        self.ledger.data_refused(self.edition, self.email, self.owner)


def _test_copy(address: str) -> Subscriber:
    return Subscriber(email=address, token="test-copy")


def _file_name(edition: str, email: str) -> str:
    """A dry-run file name that stays in its folder: only word characters, @, dot, + and -."""
    raw = f"{edition}-{email}"
    name = re.sub(r"[^\w@.+-]", "_", raw).lstrip(".")
    if name != raw:  # two different unsafe names must not become one file
        import hashlib

        name += "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]
    return name[:200] + ".eml"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


@dataclass
class _Retry:
    attempts: int
    backoff_s: float
    sleep: Callable[[float], None]
    tries: int = 0
    """Attempts made so far in this run, over all recipients."""


def _deliver(
    connection: _Connection,
    message: EmailMessage,
    sender: str,
    recipient: str,
    utf8: bool,
    retry: _Retry,
    row: _Row,
) -> tuple[str, str]:
    """Send one message, retrying transient failures; the ledger state it ends in, and why.

    "sent"; "failed" (a permanent refusal); "pending" (transient failures until the
    attempts ran out: the next run tries again); "sending" (cut off after the data).

    Raises:
        _RelayDown: The relay failed; the run stops.
        _Superseded: Another run took this row before the data went out.
    """
    attempt = 1
    while True:
        retry.tries += 1
        try:
            connection.send(message, sender, recipient, utf8, row)
            return "sent", ""
        except _Uncertain as exc:
            return "sending", str(exc)
        except _Refused as exc:
            return "failed", str(exc)
        except _Transient as exc:
            if attempt >= retry.attempts:
                return "pending", f"{exc} ({attempt} attempts); still pending, the next run retries"
        retry.sleep(min(retry.backoff_s * 2 ** (attempt - 1), 30.0))
        attempt += 1
