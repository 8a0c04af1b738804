"""One way to run a loopback server in a test: build it, then `with serve(server) as s: ...`.

Every server the tests talk to is real and listens on 127.0.0.1 (or another loopback
address) on a port the system picks:

    SmtpServer    tests/smtp_server.py   aiosmtpd, with scripted refusals, deferrals and drops
    FaultServer   tests/fault_server.py  OpenAI-compatible chat and Batch API that misbehaves on request
    WebServer     tests/web_server.py    news pages and feeds, and the ways sites fail
    SilentServer  here                   accepts connections and never answers (a hung server)

Each is a `Loopback`: `start()` returns once the server accepts connections on `port`, and
`stop()` ends its threads and closes its sockets. `serve` pairs the two, so a failing test still
stops its server; a fixture yields from it:

    @pytest.fixture
    def server() -> Iterator[FaultServer]:
        with serve(FaultServer(hang_s=1.0)) as server:
            yield server

The HTTP servers share `HttpThread` (a `ThreadingHTTPServer` served from a daemon thread).
`free_port()` is a port nothing listens on, for a connection that must be refused.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self, TypeVar


class Loopback(Protocol):
    port: int

    def start(self) -> Self: ...

    def stop(self) -> None: ...


L = TypeVar("L", bound=Loopback)


@contextmanager
def serve(server: L) -> Iterator[L]:
    """Start `server`, hand it over, and stop it however the block ends."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


class HttpThread:
    """A `ThreadingHTTPServer` on `host`, port 0, answered from a daemon thread.

    The socket listens from construction, so the server is ready as soon as it exists;
    `attributes` are set on the server for its handler to read (`self.server.<name>`).
    `stop` waits for the serving loop's next poll, so the poll is short: a test suite
    starts and stops a few hundred of these.
    """

    def __init__(
        self,
        server_class: type[ThreadingHTTPServer],
        handler: type[BaseHTTPRequestHandler],
        *,
        host: str = "127.0.0.1",
        **attributes: Any,
    ) -> None:
        self.httpd = server_class((host, 0), handler)
        self.httpd.daemon_threads = True
        for name, value in attributes.items():
            setattr(self.httpd, name, value)
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.httpd.shutdown()  # blocks until serve_forever returns, so only once it runs
        self.httpd.server_close()
        self._thread.join(timeout=5)


class SilentServer:
    """A loopback port that accepts connections and never answers: a hung server or relay.

    With a `greeting` it says only that (e.g. `554`: a relay refusing sessions). It keeps
    every connection it accepted (`accepted`) open until `stop`, so a client waits for its
    own timeout and a test sees how often the client came back.
    """

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.accepted: list[socket.socket] = []
        # A large backlog: a burst of concurrent clients must all be accepted, not resent later.
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.port: int = self._socket.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def accepts(self) -> int:
        return len(self.accepted)

    @property
    def base_url(self) -> str:
        """The port as an OpenAI-compatible endpoint (a model server that hangs)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> Self:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:  # the socket was shut down: stop() is waking this thread
                return
            self.accepted.append(connection)
            if self.greeting:
                with contextlib.suppress(OSError):
                    connection.sendall(self.greeting)

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(timeout=5)
        for connection in self.accepted:
            with contextlib.suppress(OSError):
                connection.close()


def free_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
