"""A short plain-text mail to whoever runs the daily edition, when a run is not clean.

Nobody watches the scheduled run, so a refused, degraded or failed run writes to
BRIEFING_ALERT_TO (optional) over the same SMTP settings as the brief. The alert is a
side channel: when it cannot be sent, `send_alert` returns one line saying so and the
run's own exit code stands; it never raises.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from briefing.deliver.message import MailSettings, one_line
from briefing.deliver.send import SmtpSettings
from briefing.deliver.smtp import cause, open_session
from briefing.errors import UserError
from briefing.store.addresses import normalise_address

__all__ = ["alert_message", "send_alert"]


def alert_message(
    to: str, subject: str, lines: Sequence[str], mail: MailSettings, now: datetime
) -> EmailMessage:
    """The alert itself: From the brief's sender, plain text, one line per event.

    Raises:
        UserError: No usable sender or recipient address.
    """
    sender = mail.sender_address()
    address = normalise_address(to)
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = sender
    message["To"] = Address(addr_spec=address)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content("\n".join(lines) + "\n", charset="utf-8", cte="quoted-printable")
    return message


def send_alert(
    to: str,
    subject: str,
    lines: Sequence[str],
    *,
    mail: MailSettings,
    smtp: SmtpSettings | None,
    now: datetime,
    dry_run: Path | None = None,
    relay_down: str | None = None,
) -> str | None:
    """Send the alert (or, in a dry run, write it as `alert.eml`); None on success, else one line why not.

    `relay_down` is what this run already found wrong with the same relay: the alert is
    then not tried (it would only cost another timeout), and the line says why.
    """
    where = "the dry-run folder" if dry_run is not None or smtp is None else f"{smtp.host}:{smtp.port}"
    if relay_down is not None and dry_run is None and smtp is not None:
        return (
            f"alert to {to} not sent: this run already found the relay down ({relay_down}); not tried again"
        )
    try:
        message = alert_message(to, subject, lines, mail, now)
        if dry_run is not None:
            dry_run.mkdir(parents=True, exist_ok=True)
            (dry_run / "alert.eml").write_bytes(message.as_bytes())
        elif smtp is None:
            return f"alert to {to} not sent: no SMTP server configured (BRIEFING_SMTP_HOST)"
        else:
            with open_session(smtp) as session:
                session.send_message(message)
    except UserError as exc:
        return f"alert to {to} not sent: {exc}"
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"alert to {to} not sent: {where} answered {exc.smtp_code} {one_line(text)}"
    except (OSError, smtplib.SMTPException) as exc:
        timeout = smtp.timeout_s if smtp is not None else 0.0
        return f"alert to {to} not sent: {where}: {cause(exc, timeout)}"
    except ValueError as exc:
        return f"alert to {to} not sent: {where}: {type(exc).__name__}"
    return None
