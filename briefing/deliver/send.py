"""Send one edition to every active subscriber over SMTP, exactly once each.

SMTP has no idempotency, so the database does it. A delivery ledger beside the
subscribers (`briefing.store.ledger`) holds one row per (edition, subscriber), unique, moving

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
same edition at once; it is held on a lease, taken over only when its owner is gone
(`briefing.store.ledger`). A run that finds its lock taken over stops claiming rows.
The SMTP session itself, and what each of its failures means, is
`briefing.deliver.smtp`.

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

import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from briefing.contracts import Brief, Edition
from briefing.deliver.message import MailSettings, build_message, message_bytes
from briefing.deliver.smtp import Connection, Refused, RelayDown, Row, Superseded, Transient, Uncertain
from briefing.errors import UserError
from briefing.store.addresses import delivery_address, mailbox_key
from briefing.store.ledger import Ledger
from briefing.store.subscribers import Subscriber, SubscriberStore

__all__ = [
    "SendReport",
    "SmtpSettings",
    "send_edition",
]


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


def send_edition(
    brief: Brief | Edition,
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
    """Send `brief` (a brief or an edition), known as `edition`, to every active subscriber not yet sent to.

    See the module docstring.
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
    connection = Connection(smtp)
    retry = _Retry(attempts=attempts, backoff_s=backoff_s, sleep=sleep)

    def deliver(subscriber: Subscriber, row: Row) -> tuple[str, str]:
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
                deliver(_test_copy(only_to), Row())
            except RelayDown as exc:
                report.stopped = f"{exc}; the test copy was not sent"
                report.relay_down = str(exc)
            report.pending = 1 - report.sent - len(report.failed) - len(report.uncertain)
            return report
        ledger = Ledger(store.database)
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
                except RelayDown as exc:
                    report.stopped = f"{exc}; stopped, the next run sends the rest"
                    report.relay_down = str(exc)
                except Superseded:
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


def _check_message(
    brief: Brief | Edition, mail: MailSettings, edition: str, now: datetime, utf8: bool
) -> None:
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


@dataclass(frozen=True)
class _LedgerRow(Row):
    ledger: Ledger
    edition: str
    email: str
    owner: str

    def data_out(self) -> None:
        if not self.ledger.data_out(self.edition, self.email, self.owner):
            raise Superseded

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


@dataclass
class _Retry:
    attempts: int
    backoff_s: float
    sleep: Callable[[float], None]
    tries: int = 0
    """Attempts made so far in this run, over all recipients."""


def _deliver(
    connection: Connection,
    message: EmailMessage,
    sender: str,
    recipient: str,
    utf8: bool,
    retry: _Retry,
    row: Row,
) -> tuple[str, str]:
    """Send one message, retrying transient failures; the ledger state it ends in, and why.

    "sent"; "failed" (a permanent refusal); "pending" (transient failures until the
    attempts ran out: the next run tries again); "sending" (cut off after the data).

    Raises:
        RelayDown: The relay failed; the run stops.
        Superseded: Another run took this row before the data went out.
    """
    attempt = 1
    while True:
        retry.tries += 1
        try:
            connection.send(message, sender, recipient, utf8, row)
            return "sent", ""
        except Uncertain as exc:
            return "sending", str(exc)
        except Refused as exc:
            return "failed", str(exc)
        except Transient as exc:
            if attempt >= retry.attempts:
                return "pending", f"{exc} ({attempt} attempts); still pending, the next run retries"
        retry.sleep(min(retry.backoff_s * 2 ** (attempt - 1), 30.0))
        attempt += 1
