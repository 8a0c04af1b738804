"""One brief for one subscriber, as an email message.

`multipart/alternative`: the Markdown brief as the plain-text part first, the same brief
as sanitized HTML (`briefing.render.render_email_html`) last, which mail clients show
when they can. Nothing that came from an article or a model reaches a header as it is:
the subject is the headline folded to one line of printable text, and Python's email
package refuses a header value with a line break anyway (header injection).

The Message-ID is fixed per (edition, subscriber), so a message sent twice (the one
ambiguous SMTP case, see `briefing.deliver.send`) is the same message, which receiving
servers and clients can recognise as a duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from briefing.deliver.subscribers import Subscriber
from briefing.errors import UserError
from briefing.models import Brief
from briefing.render import render_email_html, render_markdown

__all__ = ["MailSettings", "build_message", "edition_of", "message_id", "one_line"]

_SUBJECT_LIMIT = 150


@dataclass(frozen=True)
class MailSettings:
    """Who the brief comes from and how to leave the list."""

    sender: str
    """The From address (BRIEFING_FROM), e.g. "Morning brief <brief@example.com>"."""
    unsubscribe_url: str = ""
    """An https URL; the subscriber's token is appended as `?token=...` (one-click, RFC 8058)."""
    list_name: str = "briefing"

    def sender_address(self) -> Address:
        """The From address, parsed.

        Raises:
            UserError: Not an address.
        """
        from email.headerregistry import HeaderRegistry

        if not self.sender.strip():
            raise UserError(
                "no sender configured: set BRIEFING_FROM, e.g. 'Morning brief <brief@example.com>'"
            )
        try:
            header = HeaderRegistry()("From", self.sender)
            (address,) = header.addresses  # type: ignore[attr-defined]
        except (ValueError, IndexError, TypeError):
            raise UserError(f"BRIEFING_FROM {self.sender!r} is not one email address") from None
        if not address.domain:
            raise UserError(f"BRIEFING_FROM {self.sender!r} has no domain")
        return address


def one_line(text: str, limit: int = _SUBJECT_LIMIT) -> str:
    """`text` as one header-safe line: control characters and line breaks become spaces."""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def edition_of(brief: Brief) -> str:
    """The edition a brief is: its date, else a hash of its content (a one-off)."""
    if brief.date:
        return brief.date
    return "adhoc-" + hashlib.sha256(brief.model_dump_json().encode("utf-8")).hexdigest()[:12]


def message_id(edition: str, email: str, domain: str) -> str:
    """The Message-ID of one edition for one subscriber: the same on every attempt."""
    digest = hashlib.sha256(f"{edition}\n{email.casefold()}".encode()).hexdigest()[:32]
    return f"<briefing.{digest}@{domain}>"


def build_message(
    brief: Brief, subscriber: Subscriber, settings: MailSettings, *, edition: str, now: datetime
) -> EmailMessage:
    """The message for one subscriber (the unsubscribe link and greeting are theirs)."""
    sender = settings.sender_address()
    message = EmailMessage()
    subject = one_line(brief.headline)
    if brief.date:
        subject = f"{subject} ({brief.date})"
    if brief.correction:
        subject = f"Correction: {subject}"
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = Address(display_name=one_line(subscriber.name, 100), addr_spec=subscriber.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(edition, subscriber.email, sender.domain)
    message["List-Id"] = (
        f"{one_line(settings.list_name, 60)} <{settings.list_name.casefold()}.{sender.domain}>"
    )
    unsubscribe = ""
    if settings.unsubscribe_url.startswith("https://"):
        joiner = "&" if "?" in settings.unsubscribe_url else "?"
        unsubscribe = f"{settings.unsubscribe_url}{joiner}token={quote(subscriber.token)}"
        mailto = f"mailto:{sender.addr_spec}?subject=unsubscribe%20{quote(subscriber.token)}"
        message["List-Unsubscribe"] = f"<{unsubscribe}>, <{mailto}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        unsubscribe = f"mailto:{sender.addr_spec}?subject=unsubscribe%20{quote(subscriber.token)}"
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    text = (
        render_markdown(brief)
        + f"\n--\nYou receive this brief because you subscribed as {subscriber.email}.\n"
    )
    text += f"Unsubscribe: {unsubscribe}\n"
    # Quoted-printable keeps every line under SMTP's 998-character limit (inlined styles are long).
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    html = render_email_html(brief, recipient=subscriber.email, unsubscribe_url=unsubscribe)
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
