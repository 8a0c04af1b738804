"""One SMTP session to the relay, and what each of its failures means for a send.

`Connection` keeps one session open across recipients and reopens it when it drops;
every failure becomes one of four exceptions, sorted by whom it concerns (see
`briefing.deliver.send` for what a run does with each): the relay (`RelayDown`), a
failure worth another try (`Transient`), this recipient for good (`Refused`), or a
connection lost after the data went out (`Uncertain`). The delivery ledger hears just
before the data goes out (`Row`), so that a message whose row another run has taken is
never sent (`Superseded`).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import TYPE_CHECKING, NoReturn

from briefing.deliver.message import message_bytes
from briefing.errors import UserError

if TYPE_CHECKING:
    from briefing.deliver.send import SmtpSettings

__all__ = [
    "Connection",
    "Refused",
    "RelayDown",
    "Row",
    "Superseded",
    "Transient",
    "Uncertain",
    "cause",
    "open_session",
]


class RelayDown(Exception):
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


class Transient(Exception):
    """A failure worth another try on a fresh connection."""


class Uncertain(Exception):
    """Lost between the message data and the server's answer."""


class Refused(Exception):
    """This recipient cannot be sent to (a 5xx, or an address the relay cannot take)."""


class Superseded(Exception):
    """The row's claim passed to another run before the data went out."""


class Connection:
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
                raise RelayDown(f"{self.where}: login deferred ({_reply(exc)})") from None
            raise UserError(f"SMTP server {s.host}:{s.port} refused the login of {s.user!r}") from None
        except ssl.SSLCertVerificationError as exc:
            raise UserError(
                f"SMTP server {s.host}:{s.port}: certificate not trusted ({exc.verify_message}); "
                "set BRIEFING_SMTP_CA_FILE for a private CA"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise RelayDown(f"{self.where} refused the session ({_reply(exc)})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise RelayDown(f"{self.where}: {cause(exc, s.timeout_s)}") from None
        return smtp

    def send(self, message: EmailMessage, sender: str, recipient: str, utf8: bool, row: Row) -> None:
        """Send one message; `row` hears just before the data goes out, and if it was refused.

        Raises:
            RelayDown: The relay cannot be used in this run (connect, greeting, login, MAIL FROM, timeout).
            Transient: Worth retrying on a new connection (a 4xx for this recipient, a drop).
            Refused: This recipient cannot be sent to (a 5xx, no SMTPUTF8 for its address).
            Uncertain: The connection was lost after the data went out.
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
                    raise Refused(
                        f"the address needs SMTPUTF8 (non-ASCII before the @), which {self.where} "
                        "does not offer"
                    )
                options = ["SMTPUTF8", *(["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else [])]
            code, reply = smtp.mail(sender, options)
            if code == 421:
                raise smtplib.SMTPServerDisconnected(_text(reply))
            if code != 250:
                self._reset()
                raise RelayDown(f"{self.where} refused the sender {sender} ({code} {_text(reply)})")
            stage = "RCPT"
            code, reply = smtp.rcpt(recipient)
            self.dropped_at.clear()  # the relay answered
            if code not in (250, 251):
                self._refused(code, reply)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            if _timed_out(exc):  # a relay that stops answering is down, not flaky
                self.close()
                raise RelayDown(f"{self.where}: {cause(exc, self.settings.timeout_s)}") from None
            self._dropped(exc, stage, recipient, fresh)
        try:
            row.data_out()
        except Superseded:
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
            raise Uncertain(f"connection lost while the message was sent ({type(exc).__name__})") from None
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
            raise Transient(f"{code} {_text(reply)}")
        raise Refused(f"{code} {_text(reply)}")

    def _dropped(self, exc: BaseException, stage: str, recipient: str, fresh: bool) -> NoReturn:
        """The connection was lost before the data: whose problem it is depends on where.

        At MAIL FROM on a new connection, the relay's (nothing about the recipient was said
        yet); on a reused one, probably an idle connection the relay closed: worth one more
        try. At RCPT, this recipient's, unless different recipients keep causing it.
        """
        self.close()
        if stage == "MAIL FROM":
            if fresh:
                raise RelayDown(f"{self.where} dropped the connection at MAIL FROM") from None
            raise Transient(f"connection lost at MAIL FROM ({cause(exc, self.settings.timeout_s)})") from None
        if recipient not in self.dropped_at:
            self.dropped_at.append(recipient)
        if len(self.dropped_at) >= 3:
            raise RelayDown(
                f"{self.where} dropped the connection at RCPT for {len(self.dropped_at)} different "
                "recipients in a row"
            ) from None
        raise Transient(f"connection lost at RCPT ({cause(exc, self.settings.timeout_s)})") from None

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


def cause(exc: BaseException, timeout_s: float) -> str:
    """Why a connection or an exchange failed, in words for the one line a run prints."""
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


class Row:
    """What the ledger hears about one delivery as it happens; a test copy has no ledger row."""

    def data_out(self) -> None:
        """The data is about to go out.

        Raises:
            Superseded: The row is no longer this run's to send.
        """

    def data_refused(self) -> None:
        """The server refused the data: it did not take the message."""


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
