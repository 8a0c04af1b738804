"""Send one edition to every active subscriber over SMTP, exactly once each.

SMTP has no idempotency, so the database does it. A delivery ledger beside the
subscribers holds one row per (edition, subscriber), unique, moving

    pending -> sending -> sent          (or failed, with the server's reason)

A run first records every active subscriber as pending, then works through the pending
rows on one SMTP connection, reconnecting and retrying transient failures (4xx replies,
dropped connections, timeouts) with backoff; a permanent refusal (5xx) is recorded for
that subscriber and the run goes on. Re-running after a crash, a kill or an SMTP outage
sends only what is still pending. A lock row per edition keeps a scheduled run and an
editor's run from sending the same edition at once (a lock whose process is gone from
this host, or older than `STALE_LOCK_S`, belongs to a run that died, and is taken over).

The one ambiguous case: the row is marked `sending` just before the message data goes
out, and `sent` when the server's 250 comes back. If the connection (or the process)
is lost in between, nobody knows whether the server took the message. Such rows are not
sent again automatically, since "never double-send" is the promise; every run lists
them, and `briefing send --resend-uncertain` sends them again on purpose. The
Message-ID is the same on every attempt, so a receiving client that got both can tell
the second is a copy.
"""

from __future__ import annotations

import email.policy
import functools
import os
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
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, NoReturn

from briefing.deliver.message import MailSettings, build_message
from briefing.deliver.subscribers import Subscriber, SubscriberStore
from briefing.errors import UserError
from briefing.models import Brief

__all__ = ["STALE_LOCK_S", "Ledger", "SendReport", "SmtpSettings", "send_edition"]

STALE_LOCK_S = 3600.0
_LEDGER = """
CREATE TABLE IF NOT EXISTS deliveries (
    edition TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    PRIMARY KEY (edition, email)
);
CREATE TABLE IF NOT EXISTS send_locks (
    edition TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    acquired REAL NOT NULL
);
"""


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
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> SmtpSettings:
        """Read BRIEFING_SMTP_HOST, _PORT, _USER, _PASSWORD, _TLS (none | starttls | ssl) and _CA_FILE.

        Raises:
            UserError: No host, a port that is not a number, or an unknown TLS mode.
        """
        host = environ.get("BRIEFING_SMTP_HOST", "").strip()
        if not host:
            raise UserError(
                "no SMTP server configured: set BRIEFING_SMTP_HOST (and _PORT, _USER, _PASSWORD, _TLS)"
            )
        tls = environ.get("BRIEFING_SMTP_TLS", "starttls").strip().lower() or "starttls"
        if tls not in ("none", "starttls", "ssl"):
            raise UserError(f"BRIEFING_SMTP_TLS must be none, starttls or ssl, not {tls!r}")
        default_port = {"none": 25, "starttls": 587, "ssl": 465}[tls]
        raw_port = environ.get("BRIEFING_SMTP_PORT", "").strip() or str(default_port)
        if not raw_port.isdigit():
            raise UserError(f"BRIEFING_SMTP_PORT must be a number, not {raw_port!r}")
        return cls(
            host=host,
            port=int(raw_port),
            user=environ.get("BRIEFING_SMTP_USER") or None,
            password=environ.get("BRIEFING_SMTP_PASSWORD") or None,
            tls=tls,  # type: ignore[arg-type]
            ca_file=environ.get("BRIEFING_SMTP_CA_FILE") or None,
        )


class SendReport:
    """What a send did; `line()` is printed at the end of every send."""

    def __init__(self, edition: str) -> None:
        self.edition = edition
        self.subscribers = 0
        self.sent = 0
        self.already_sent = 0
        self.retried = 0
        self.failed: list[tuple[str, str]] = []
        self.uncertain: list[str] = []

    def line(self) -> str:
        return (
            f"send {self.edition}: {self.subscribers} subscribers, {self.sent} sent now, "
            f"{self.already_sent} sent before, {self.retried} retried, {len(self.failed)} failed, "
            f"{len(self.uncertain)} uncertain, duplicates 0"
        )


class Ledger:
    """The delivery ledger and the per-edition lock, in the subscribers' database."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        db.executescript(_LEDGER)
        db.commit()

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
        with self._lock:
            rows = self._db.execute("SELECT email, status FROM deliveries WHERE edition = ?", (edition,))
            return {email.casefold(): status for email, status in rows}

    def mark(self, edition: str, email: str, status: str, error: str = "") -> None:
        with self._lock:
            self._db.execute(
                "UPDATE deliveries SET status = ?, error = ?, attempts = attempts + (? = 'sending'), "
                "updated = ? WHERE edition = ? AND email = ?",
                (status, error[:500], status, time.time(), edition, email),
            )
            self._db.commit()

    @contextmanager
    def locked(self, edition: str) -> Iterator[None]:
        """Hold the send lock of `edition`, or raise if a live run holds it.

        Raises:
            UserError: Another run is sending this edition.
        """
        owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT owner, acquired FROM send_locks WHERE edition = ?", (edition,)
            ).fetchone()
            if row is not None and now - row[1] < STALE_LOCK_S and _alive(row[0]):
                self._db.rollback()
                since = datetime.fromtimestamp(row[1]).isoformat(timespec="seconds")
                raise UserError(f"edition {edition} is being sent by another run ({row[0]}, since {since})")
            self._db.execute("INSERT OR REPLACE INTO send_locks VALUES (?, ?, ?)", (edition, owner, now))
            self._db.commit()
        try:
            yield
        finally:
            with self._lock:
                self._db.execute("DELETE FROM send_locks WHERE edition = ? AND owner = ?", (edition, owner))
                self._db.commit()


def _alive(owner: str) -> bool:
    """Whether the run that took a lock may still be running (a dead process on this host is not)."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run: only its age can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Transient(Exception):
    """A failure worth another try on a fresh connection."""


class _Uncertain(Exception):
    """Lost between the message data and the server's answer."""


class _Connection:
    """One SMTP connection, reopened when it drops."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.tls == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_s, context=s.tls_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
                if s.tls == "starttls":
                    smtp.starttls(context=s.tls_context())
            if s.user:
                smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError:
            raise UserError(f"SMTP server {s.host}:{s.port} refused the login of {s.user!r}") from None
        except ssl.SSLCertVerificationError as exc:
            raise UserError(
                f"SMTP server {s.host}:{s.port}: certificate not trusted ({exc.verify_message}); "
                "set BRIEFING_SMTP_CA_FILE for a private CA"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise _Transient(f"cannot connect to {s.host}:{s.port} ({type(exc).__name__})") from None
        return smtp

    def send(
        self, message: EmailMessage, sender: str, recipient: str, before_data: Callable[[], None]
    ) -> None:
        """Send one message; `before_data` runs just before the data goes out.

        Raises:
            _Transient: Worth retrying on a new connection.
            _Uncertain: The connection was lost after the data went out.
            smtplib.SMTPResponseException: A permanent (5xx) refusal.
        """
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(sender)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        except smtplib.SMTPRecipientsRefused as exc:
            self._refused(*exc.recipients[recipient])
        except smtplib.SMTPResponseException as exc:
            self._refused(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise _Transient(f"connection lost ({type(exc).__name__})") from None
        before_data()
        try:
            # smtplib sends bytes as they are: the lines must already end in CRLF.
            code, reply = smtp.data(message.as_bytes(policy=email.policy.SMTP))
            if code != 250:  # smtplib returns the final reply to the data instead of raising
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPDataError as exc:
            self._refused(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise _Uncertain(f"connection lost while the message was sent ({type(exc).__name__})") from None

    def _refused(self, code: int, reply: bytes | str) -> NoReturn:
        """The server said no: a 4xx is worth another try, anything else is final."""
        self._reset()
        if 400 <= code < 500:
            raise _Transient(f"{code} {_text(reply)}")
        raise smtplib.SMTPResponseException(code, reply)

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
    attempts: int = 4,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send `edition` to every active subscriber not yet sent to (see the module docstring).

    With `dry_run`, each message is written to that folder as `.eml` instead, and the
    ledger is not touched. With `only_to`, one test copy goes to that address, outside the
    ledger.

    Raises:
        UserError: Bad settings, a login refused, or another run sending this edition.
    """
    report = SendReport(edition)
    sender = mail.sender_address().addr_spec
    if dry_run is not None:
        recipients = [_test_copy(only_to)] if only_to is not None else store.list(active_only=True)
        report.subscribers = len(recipients)
        dry_run.mkdir(parents=True, exist_ok=True)
        for subscriber in recipients:
            message = build_message(brief, subscriber, mail, edition=edition, now=now)
            (dry_run / f"{edition}-{subscriber.email}.eml").write_bytes(message.as_bytes())
            report.sent += 1
        return report
    if smtp is None:
        raise UserError("no SMTP server configured: set BRIEFING_SMTP_HOST")
    connection = _Connection(smtp)
    retry = _Retry(attempts=attempts, backoff_s=backoff_s, sleep=sleep)

    def deliver(subscriber: Subscriber, before_data: Callable[[], None]) -> tuple[str, str]:
        message = build_message(brief, subscriber, mail, edition=edition, now=now)
        status, reason = _deliver(connection, message, sender, subscriber.email, retry, report, before_data)
        if status == "sent":
            report.sent += 1
        elif status == "sending":
            report.uncertain.append(subscriber.email)
        else:
            shown = reason if status == "failed" else f"{reason}; still pending, the next run retries"
            report.failed.append((subscriber.email, shown))
        return status, reason

    try:
        if only_to is not None:
            report.subscribers = 1
            deliver(_test_copy(only_to), lambda: None)
            return report
        ledger = Ledger(store.connection)
        with ledger.locked(edition):
            subscribers = {s.email.casefold(): s for s in store.list(active_only=True)}
            ledger.plan(edition, [s.email for s in subscribers.values()])
            states = ledger.status(edition)
            report.subscribers = len(subscribers)
            for key, subscriber in sorted(subscribers.items()):
                state = states.get(key, "pending")
                if state == "sent":
                    report.already_sent += 1
                elif state == "failed":
                    report.failed.append((subscriber.email, "failed in an earlier run"))
                elif state == "sending" and not resend_uncertain:
                    report.uncertain.append(subscriber.email)
                else:
                    email = subscriber.email
                    status, reason = deliver(
                        subscriber, functools.partial(ledger.mark, edition, email, "sending")
                    )
                    if status != "sending":  # an uncertain row stays as it is
                        ledger.mark(edition, email, status, "" if status == "sent" else reason)
    finally:
        connection.close()
    return report


def _test_copy(address: str) -> Subscriber:
    return Subscriber(email=address, token="test-copy")


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


@dataclass(frozen=True)
class _Retry:
    attempts: int
    backoff_s: float
    sleep: Callable[[float], None]


def _deliver(
    connection: _Connection,
    message: EmailMessage,
    sender: str,
    recipient: str,
    retry: _Retry,
    report: SendReport,
    before_data: Callable[[], None],
) -> tuple[str, str]:
    """Send one message, retrying transient failures; the ledger state it ends in, and why.

    "sent"; "failed" (a permanent refusal); "pending" (transient failures until the
    attempts ran out: the next run tries again); "sending" (cut off after the data).
    """
    attempt = 1
    while True:
        try:
            connection.send(message, sender, recipient, before_data)
            return "sent", ""
        except _Uncertain as exc:
            return "sending", str(exc)
        except smtplib.SMTPResponseException as exc:
            return "failed", f"{exc.smtp_code} {_text(exc.smtp_error)}"
        except _Transient as exc:
            if attempt >= retry.attempts:
                return "pending", str(exc)
        report.retried += 1
        retry.sleep(min(retry.backoff_s * 2 ** (attempt - 1), 30.0))
        attempt += 1
