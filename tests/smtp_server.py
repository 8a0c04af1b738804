"""A real SMTP server on 127.0.0.1 (aiosmtpd) that can refuse, defer, drop or hold a recipient.

`inbox.script("b@example.org", ["450", "ok"])` makes the first RCPT for that address a
450 and the second a normal accept. Actions:

    ok     accept                      450    defer (transient)      550   refuse (permanent)
    drop   close the connection at RCPT (before any data)
    hold   keep the client waiting at RCPT until `release` is set (a test kills the client)

`inbox.mail_from_replies` scripts the replies to MAIL FROM the same way (e.g. `["530"]`:
the relay refuses the sender; `drop` closes the connection), `inbox.data_replies` those to
the end of the data (`451`, `554`), and `inbox.delay_s` slows every accepted message down.
Every accepted message is kept (`messages`, with its recipients and raw bytes).

A hung relay, or one that only greets with a refusal, is `servers.SilentServer`.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from servers import free_port


@dataclass
class Received:
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed: EmailMessage = message_from_bytes(self.raw, policy=policy.default)  # type: ignore[assignment]
        return parsed


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)
    scripts: dict[str, deque[str]] = field(default_factory=dict)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    rcpt_seen: list[str] = field(default_factory=list)
    mail_from_replies: deque[str] = field(default_factory=deque)
    data_replies: deque[str] = field(default_factory=deque)
    delay_s: float = 0.0

    def script(self, address: str, actions: Iterable[str]) -> None:
        self.scripts[address.casefold()] = deque(actions)

    def per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for received in self.messages:
            for rcpt in received.recipients:
                counts[rcpt.casefold()] += 1
        return dict(counts)

    # -- aiosmtpd handler hooks ----------------------------------------------

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        action = self.mail_from_replies.popleft() if self.mail_from_replies else "ok"
        if action == "530":
            return "530 5.7.0 Authentication required"
        if action == "451":
            return "451 4.3.0 Try again later"
        if action == "drop":
            server.transport.close()
            return "421 4.3.0 Closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.rcpt_seen.append(address)
        queue = self.scripts.get(address.casefold())
        action = queue.popleft() if queue else "ok"
        if action == "450":
            return "450 4.2.1 Mailbox busy, try again later"
        if action == "550":
            return "550 5.1.1 No such user here"
        if action == "drop":
            session.transport.close() if getattr(session, "transport", None) else server.transport.close()
            return "421 4.3.0 Closing"
        if action == "hold":
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        action = self.data_replies.popleft() if self.data_replies else "ok"
        if action == "451":
            return "451 4.3.0 Try again later"
        if action == "554":
            return "554 5.6.0 Message refused"
        self.messages.append(
            Received(recipients=list(envelope.rcpt_tos), raw=bytes(envelope.original_content))
        )
        return "250 2.0.0 Accepted"


class SmtpServer:
    """aiosmtpd's controller on a free loopback port, with an `Inbox` handler."""

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
        login_without_tls: bool = False,
        smtputf8: bool = False,
    ) -> None:
        """With `tls_context`, STARTTLS is offered and required; with `login`, AUTH too (after TLS,
        unless `login_without_tls`); with `smtputf8`, SMTPUTF8 is offered."""
        self.inbox = Inbox()
        self.port = free_port()
        self.logins: list[str] = []
        options: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=True)
        if login is not None:
            options.update(
                authenticator=self._authenticator(login),
                auth_required=True,
                auth_require_tls=not login_without_tls,
            )
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            user = auth_data.login.decode()
            self.logins.append(user)
            # handled=False: aiosmtpd answers a refusal with 535 (handled=True: "already answered").
            return AuthResult(success=(user, auth_data.password.decode()) == login, handled=False)

        return check

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self.inbox.release.set()
        self._controller.stop()

    def env(self) -> dict[str, str]:
        return {
            "BRIEFING_SMTP_HOST": "127.0.0.1",
            "BRIEFING_SMTP_PORT": str(self.port),
            "BRIEFING_SMTP_TLS": "none",
            "BRIEFING_FROM": "Morning brief <brief@example.com>",
            "BRIEFING_UNSUBSCRIBE_URL": "https://example.com/unsubscribe",
        }
