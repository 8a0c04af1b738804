"""One brief or edition for one subscriber, as an email message.

`multipart/alternative`: the Markdown brief or edition as the plain-text part first, the
same as sanitized HTML (`briefing.render.brief.render_email_html`,
`briefing.render.edition.render_edition_email_html`) last, which mail clients show when
they can; in an edition's HTML, "In this edition" links to each story. The subject is
the headline of the brief, or of an edition's top story followed by how many more
stories it holds; an edition of one story is sent exactly as that story's brief.

Nothing that came from an article or a model reaches a header as it is: the subject is
the headline folded to one line of printable text, and Python's email package refuses a
header value with a line break anyway (header injection).

`List-Unsubscribe` and `List-Id` are read literally by mail providers (one-click
unsubscribe, RFC 8058; list filtering, RFC 2919), so they are written as plain ASCII and
folded only between their parts, never RFC 2047-encoded as the email package would do
with a long or unusual value. Addresses are written in ASCII (the domain in IDNA) unless
the part before the @ is not ASCII; such a message needs a server offering SMTPUTF8
(`briefing.store.addresses.delivery_address`), and is written with UTF-8 headers.

The Message-ID is fixed per (edition, subscriber), so a message sent twice (the one
ambiguous SMTP case, see `briefing.deliver.send`) is the same message, which receiving
servers and clients can recognise as a duplicate.
"""

from __future__ import annotations

import email.policy
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, make_msgid
from urllib.parse import quote, urlsplit, urlunsplit

from briefing.contracts import Brief, Edition
from briefing.errors import UserError
from briefing.render.brief import render_email_html, render_markdown
from briefing.render.edition import render_edition_email_html, render_edition_markdown, single_brief
from briefing.store.addresses import delivery_address
from briefing.store.subscribers import Subscriber

__all__ = [
    "UNSUBSCRIBE_URL_LIMIT",
    "MailSettings",
    "build_message",
    "edition_of",
    "message_bytes",
    "message_id",
    "one_line",
    "subject_of",
]

_SUBJECT_LIMIT = 150
UNSUBSCRIBE_URL_LIMIT = 850
"""The longest BRIEFING_UNSUBSCRIBE_URL: with `&token=...` and the header's name, under 900 characters."""
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


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
        from email.errors import NonASCIILocalPartDefect
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
        # Anything the parser had to guess at (a stray bracket, a space in the address) would
        # be guessed the same wrong way for every subscriber; only a UTF-8 local part is allowed.
        defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
        if defects:
            raise UserError(f"BRIEFING_FROM {self.sender!r} is not one email address ({defects[0]})")
        if not address.domain:
            raise UserError(f"BRIEFING_FROM {self.sender!r} has no domain")
        return address

    def unsubscribe_base(self) -> str:
        """The one-click unsubscribe URL in plain ASCII, before the token; "" when none is set.

        RFC 8058 one-click unsubscribe requires an https URI, and the large providers honour
        nothing else, so any other URL is refused rather than quietly left out. With the
        token appended, `List-Unsubscribe` must still fit one header line (RFC 5322: 998
        characters), so the URL may have at most `UNSUBSCRIBE_URL_LIMIT` characters.

        Raises:
            UserError: Not an https URL with a host, or too long.
        """
        url = self.unsubscribe_url.strip()
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise UserError(
                f"BRIEFING_UNSUBSCRIBE_URL must be an https:// URL (one-click unsubscribe, RFC 8058, "
                f"needs https), not {one_line(url, 80)!r}"
            )
        base = _ascii_url(url)
        if len(base) > UNSUBSCRIBE_URL_LIMIT:
            raise UserError(
                f"BRIEFING_UNSUBSCRIBE_URL is {len(base)} characters; with the token it must fit one "
                f"header line, so at most {UNSUBSCRIBE_URL_LIMIT}"
            )
        return base

    def envelope_sender(self) -> tuple[str, bool]:
        """The From address for MAIL FROM and the headers (domain in IDNA), and whether it needs SMTPUTF8.

        Raises:
            UserError: Not an address, or a domain that IDNA cannot encode.
        """
        address = self.sender_address()
        try:
            domain = address.domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise UserError(f"BRIEFING_FROM {self.sender!r}: the domain is not a valid host name") from None
        return f"{address.username}@{domain}", not address.username.isascii()


class _Verbatim(str):
    """A header value written exactly as given: ASCII, folded only between its parts.

    The email package folds (and RFC 2047-encodes) any header it can parse; a value with
    a `name` and a `fold` method is written as it is instead (`email.policy.EmailPolicy`).
    """

    name: str
    parts: tuple[str, ...]

    def __new__(cls, name: str, parts: list[str]) -> _Verbatim:
        value = super().__new__(cls, " ".join(parts))
        value.name = name
        value.parts = tuple(parts)
        return value

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 78
        lines = [f"{self.name}: {self.parts[0]}"]
        for part in self.parts[1:]:
            if len(lines[-1]) + 1 + len(part) <= limit:
                lines[-1] += " " + part
            else:
                lines.append(" " + part)
        return policy.linesep.join(lines) + policy.linesep


def _ascii(text: str) -> str:
    """`text` in printable ASCII: accents dropped (é -> e), anything else left out."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join("".join(ch for ch in plain if ch.isprintable()).split())


def _ascii_url(url: str) -> str:
    """`url` as plain ASCII for an angle-bracketed header: IDNA host, the rest percent-encoded."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        ascii_host = quote(host, safe="")
    netloc = parts.netloc.replace(host, ascii_host) if host else parts.netloc
    safe = "/?&=:;@%+~!$'*()-._"
    return urlunsplit(
        (
            parts.scheme,
            quote(netloc, safe=safe + "[]"),
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe),
            quote(parts.fragment, safe=safe),
        )
    )


def _mailto(address: str, token: str) -> str:
    """The mailto unsubscribe link (RFC 6068): a non-ASCII part before the @ is percent-encoded."""
    local, _, domain = address.rpartition("@")
    safe_local = quote(local, safe="!$'*+-=^_`{|}~.")
    return f"mailto:{safe_local}@{domain}?subject=unsubscribe%20{quote(token)}"


def _list_id(list_name: str, domain: str) -> list[str]:
    """`List-Id`'s parts (RFC 2919): an ASCII phrase, then `<name.domain>` with a plain-ASCII name."""
    slug = re.sub(r"[^a-z0-9]+", "-", _ascii(list_name).casefold()).strip("-")[:60].strip("-")
    phrase = _ascii(list_name)[:60].strip() or slug or "briefing"
    if _SPECIALS.search(phrase):
        phrase = '"' + phrase.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return [*phrase.split(" "), f"<{slug or 'briefing'}.{domain}>"]


def message_bytes(message: EmailMessage, *, utf8: bool, linesep: str = "\r\n") -> bytes:
    """The message as it goes out: UTF-8 headers when an address needs them (SMTPUTF8), else ASCII."""
    policy = (email.policy.SMTPUTF8 if utf8 else email.policy.SMTP).clone(linesep=linesep)
    return message.as_bytes(policy=policy)


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


def subject_of(item: Brief | Edition) -> str:
    """The Subject: the headline (an edition's top story's, "+ N more stories"), date, correction mark."""
    brief = single_brief(item) if isinstance(item, Edition) else item
    if brief is not None:
        subject, date, correction = one_line(brief.headline), brief.date, brief.correction
    else:
        assert isinstance(item, Edition)
        headlines = [s.headline for s in item.stories] + [a.headline for a in item.also_reported]
        more = len(headlines) - 1
        subject = one_line(headlines[0] if headlines else "In this edition")
        if more > 0:
            subject += f" + {more} more {'story' if more == 1 else 'stories'}"
        date, correction = item.date, item.correction
    if date:
        subject = f"{subject} ({date})"
    if correction:
        subject = f"Correction: {subject}"
    return subject


def build_message(
    brief: Brief | Edition,
    subscriber: Subscriber,
    settings: MailSettings,
    *,
    edition: str,
    now: datetime,
    test_copy: bool = False,
) -> EmailMessage:
    """The message for one subscriber (the unsubscribe link and greeting are theirs).

    A `test_copy` gets a Message-ID of its own, so that it is never taken for (or
    hides) the edition's real message to the same address.

    Raises:
        UserError: The subscriber's address or the sender cannot be written into a message.
    """
    sender = settings.sender_address()
    sender_spec, _ = settings.envelope_sender()
    domain = sender_spec.rpartition("@")[2]
    recipient, utf8 = delivery_address(subscriber.email)
    message = EmailMessage()
    message["Subject"] = subject_of(brief)
    message["From"] = Address(display_name=sender.display_name, addr_spec=sender_spec)
    name = one_line(subscriber.name, 100)
    if utf8:  # Address refuses a UTF-8 local part; the SMTPUTF8 policy writes it as it is
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        message["To"] = f'"{quoted}" <{recipient}>' if name else recipient
    else:
        message["To"] = Address(display_name=name, addr_spec=recipient)
    message["Date"] = format_datetime(now)
    if test_copy:
        message["Message-ID"] = make_msgid("briefing.test", domain=domain)
    else:
        message["Message-ID"] = message_id(edition, subscriber.email, domain)
    message["List-Id"] = _Verbatim("List-Id", _list_id(settings.list_name, domain))
    token = quote(subscriber.token)
    mailto = _mailto(sender_spec, subscriber.token)
    base = settings.unsubscribe_base()
    if base:
        unsubscribe = f"{base}{'&' if '?' in base else '?'}token={token}"
        message["List-Unsubscribe"] = _Verbatim("List-Unsubscribe", [f"<{unsubscribe}>,", f"<{mailto}>"])
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        unsubscribe = mailto
        message["List-Unsubscribe"] = _Verbatim("List-Unsubscribe", [f"<{mailto}>"])
    markdown = render_edition_markdown(brief) if isinstance(brief, Edition) else render_markdown(brief)
    text = markdown + f"\n--\nYou receive this brief because you subscribed as {subscriber.email}.\n"
    text += f"Unsubscribe: {unsubscribe}\n"
    # Quoted-printable keeps every line under SMTP's 998-character limit (inlined styles are long).
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if isinstance(brief, Edition):
        html = render_edition_email_html(brief, recipient=subscriber.email, unsubscribe_url=unsubscribe)
    else:
        html = render_email_html(brief, recipient=subscriber.email, unsubscribe_url=unsubscribe)
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
