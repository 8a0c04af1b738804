"""A real HTTP server on 127.0.0.1 serving news pages and feeds, and the ways sites fail.

`briefing build URL` and `--feed URL` fetch over real sockets with httpx, so the
tests exercise the same timeouts, redirects, size cap and retries as production.

Routes:
    /<name>.html          the saved page tests/web/<name>.html (text/html; charset=utf-8)
    /feed.xml             RSS 2.0: the English pages, dated relative to now (see FEED)
    /atom.xml             Atom 1.0: the multilingual pages, dated relative to now
    /missing.html         404
    /loop                 a redirect loop (/loop -> /loop-again -> /loop)
    /moved.html           301 to /wire-cpa.html
    /slow.html            the headers, then nothing for `slow_s` seconds
    /trickle.html         a page sent one byte every `trickle_s` seconds
    /huge.html            50 MB, with its Content-Length
    /huge-chunked.html    50 MB in chunks, no Content-Length
    /image.png            a PNG
    /flaky.html           503 for the first `flaky_failures` requests, then wire-cpa.html
    /not-a-feed.xml       an HTML page where a feed was expected
    /truncated.xml        RSS cut off inside its first item
    /truncated-late.xml   RSS cut off after two whole items
    /empty.xml            a feed URL that answers with no body at all
    /empty-feed.xml       a well-formed RSS feed with no items
    /redirect?to=URL      302 to URL (anywhere)
    /elsewhere.xml?to=B   RSS whose first two items link to pages on the base URL B (another
                          host), the third to a page on this server
    /many.xml?n=N&delay=D RSS of N generated stories, newest first, each page answering after
                          D milliseconds times (N - its index): the first entry is the slowest
    /story-<i>.html       a generated story (distinct text for each i)

Every request is recorded (`requests`: path and User-Agent); `max_in_flight` is the most
/story- requests the server was answering at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape

from servers import HttpThread

PAGES = Path(__file__).parent / "web"
HUGE = 50 * 1024 * 1024

# (page, hours before now it was published, title in the feed, category)
FEED = [
    (
        "coastal-courier",
        3,
        "Ferry repair bill reaches $4.5 million as Northbay crossing reopens",
        "Transport",
    ),
    ("bay-radio", 4, "Commuters relieved but wary as Northbay ferry returns", "Transport"),
    ("wire-cpa", 5, "Northbay ferry back in service after $4.2 million hull repairs", "Transport"),
    ("wire-daily-gazette", 5, "Ferry crossing reopens with one boat until July", "Transport"),
    ("wire-evening-post", 2, "Northbay ferry sails again after three weeks in repair", "Transport"),
    ("off-topic", 6, "Harbourside school choir takes regional title", "Schools"),
    ("old-story", 72, "Millbrook Bridge to close for a week of maintenance", "Transport"),
]
ATOM = [
    ("fr-journal-du-port", 3, "Le ferry de Northbay reprend la mer"),
    ("es-diario-de-la-costa", 4, "El ferri de Northbay vuelve a navegar"),
    ("de-kuestenbote", 5, "Northbay-Fähre fährt wieder"),
]


@dataclass
class WebServer:
    host: str = "127.0.0.1"
    slow_s: float = 5.0
    trickle_s: float = 0.2
    flaky_failures: int = 1
    requests: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _http: HttpThread | None = field(default=None, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def start(self) -> WebServer:
        self._http = HttpThread(_Server, _Handler, host=self.host, web=self).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._http is not None:
            self._http.stop()

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def port(self) -> int:
        assert self._http is not None, "start() the server first"
        return self._http.port

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    def record(self, path: str, agent: str) -> None:
        with self._lock:
            self.requests.append((path, agent))

    def url_to(self, path: str, **query: object) -> str:
        """A URL of this server with a query string (e.g. `/redirect?to=...`)."""
        return f"{self.url(path)}?{urlencode(query)}"

    def story_hits(self) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if p.startswith("/story-"))

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def wait(self, seconds: float) -> bool:
        """Sleep, unless the server is stopping; True when it is."""
        return self._stop.wait(seconds)

    def rss(self) -> bytes:
        now = dt.datetime.now(dt.UTC)
        items = "".join(
            f"<item><title>{escape(title)}</title><link>{self.url(page + '.html')}</link>"
            f"<guid>{self.url(page + '.html')}</guid><category>{category}</category>"
            f"<pubDate>{format_datetime(now - dt.timedelta(hours=hours))}</pubDate>"
            f"<description>{escape(title)}.</description></item>"
            for page, hours, title, category in FEED
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Northbay News Roundup</title><link>{self.base}/</link>"
            f"<description>Local news</description>{items}</channel></rss>"
        ).encode()

    def items(self, links: list[tuple[str, str]]) -> bytes:
        """RSS whose items are (title, link), dated an hour apart from now, newest first."""
        now = dt.datetime.now(dt.UTC)
        items = "".join(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
            f"<pubDate>{format_datetime(now - dt.timedelta(hours=n))}</pubDate></item>"
            for n, (title, link) in enumerate(links)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Elsewhere Digest</title><link>{self.base}/</link>{items}</channel></rss>"
        ).encode()

    def many(self, n: int, delay_ms: int) -> bytes:
        now = dt.datetime.now(dt.UTC)
        items = "".join(
            f"<item><title>Story {i}</title>"
            f"<link>{escape(self.url_to(f'story-{i}.html', delay=delay_ms * (n - i)))}</link>"
            f"<pubDate>{format_datetime(now - dt.timedelta(minutes=i))}</pubDate></item>"
            for i in range(n)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Many Stories</title><link>{self.base}/</link>{items}</channel></rss>"
        ).encode()

    def atom(self) -> bytes:
        now = dt.datetime.now(dt.UTC)
        entries = "".join(
            f"<entry><title>{escape(title)}</title><link href='{self.url(page + '.html')}'/>"
            f"<id>{self.url(page + '.html')}</id>"
            f"<updated>{(now - dt.timedelta(hours=hours)).isoformat()}</updated></entry>"
            for page, hours, title in ATOM
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Presse internationale</title><id>{self.base}/atom.xml</id>"
            f"<updated>{now.isoformat()}</updated>{entries}</feed>"
        ).encode()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-body (the size cap, a timeout) is what the tests provoke


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def web(self) -> WebServer:
        return self.server.web  # type: ignore[attr-defined,no-any-return]

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, status: int, to: str) -> None:
        self._send(status, b"", "text/plain", {"Location": to})

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.web.record(path, self.headers.get("User-Agent", ""))
        html = "text/html; charset=utf-8"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(path, html)

    def _query(self, name: str, default: str = "") -> str:
        return parse_qs(urlsplit(self.path).query).get(name, [default])[0]

    def _route(self, path: str, html: str) -> None:
        web = self.web
        rss = "application/rss+xml; charset=utf-8"
        if path.startswith("/story-") and path.endswith(".html"):
            web.enter()
            try:
                if not web.wait(int(self._query("delay", "0")) / 1000):
                    self._send(200, _story(int(path[len("/story-") : -len(".html")])), html)
            finally:
                web.leave()
        elif path == "/many.xml":
            self._send(200, web.many(int(self._query("n", "10")), int(self._query("delay", "0"))), rss)
        elif path == "/redirect":
            self._redirect(302, self._query("to"))
        elif path == "/elsewhere.xml":
            other = self._query("to")
            links = [
                ("Ferry back in service", f"{other}/wire-cpa.html"),
                ("Commuters relieved", f"{other}/bay-radio.html"),
                ("Repair bill reaches $4.5 million", web.url("coastal-courier.html")),
            ]
            self._send(200, web.items(links), rss)
        elif path in ("/truncated.xml", "/truncated-late.xml"):
            whole = web.items([(f"Item {i}", web.url(p + ".html")) for i, (p, *_) in enumerate(FEED[:3])])
            cut = whole.index(b"<item>") + 30 if path == "/truncated.xml" else whole.rindex(b"<item>") + 30
            self._send(200, whole[:cut], rss)
        elif path == "/empty.xml":
            self._send(200, b"", rss)
        elif path == "/empty-feed.xml":
            self._send(200, web.items([]), rss)
        elif path == "/feed.xml":
            self._send(200, web.rss(), "application/rss+xml; charset=utf-8")
        elif path == "/atom.xml":
            self._send(200, web.atom(), "application/atom+xml")
        elif path == "/not-a-feed.xml":
            self._send(200, (PAGES / "off-topic.html").read_bytes(), "text/html")
        elif path == "/loop":
            self._redirect(302, "/loop-again")
        elif path == "/loop-again":
            self._redirect(302, "/loop")
        elif path == "/moved.html":
            self._redirect(301, "/wire-cpa.html")
        elif path == "/slow.html":
            self.send_response(200)
            self.send_header("Content-Type", html)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            web.wait(web.slow_s)
        elif path == "/trickle.html":
            body = (PAGES / "bay-radio.html").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", html)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                if web.wait(web.trickle_s):
                    return
        elif path in ("/huge.html", "/huge-chunked.html"):
            self._huge(chunked=path == "/huge-chunked.html", content_type=html)
        elif path == "/image.png":
            self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
        elif path == "/flaky.html":
            if web.hits("/flaky.html") <= web.flaky_failures:
                self._send(503, b"busy", "text/plain", {"Retry-After": "0"})
            else:
                self._send(200, (PAGES / "wire-cpa.html").read_bytes(), html)
        elif path.endswith(".html") and (PAGES / path.lstrip("/")).is_file() and "/" not in path[1:]:
            self._send(200, (PAGES / path.lstrip("/")).read_bytes(), html)
        else:
            self._send(404, b"<h1>Not Found</h1>", html)

    def _huge(self, *, chunked: bool, content_type: str) -> None:
        block = (b"<p>" + b"filler text " * 80 + b"</p>\n")[:1024]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        for _ in range(HUGE // len(block)):
            if chunked:
                self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            else:
                self.wfile.write(block)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


WORDS = [
    "harbour",
    "council",
    "ferry",
    "bridge",
    "school",
    "budget",
    "market",
    "storm",
    "library",
    "museum",
    "railway",
    "hospital",
    "festival",
    "river",
    "tunnel",
    "airport",
    "stadium",
    "factory",
    "orchard",
    "lighthouse",
]


def _story(i: int) -> bytes:
    """A short article of its own for each i: a different subject, place and figures."""
    subject, place = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
    sentences = [
        f"The {subject} project in district {i} reached a decision on Monday, officials said.",
        f"About {100 + i * 13} residents attended the meeting near the {place}, according to organisers.",
        f"The plan for the {subject} will cost {i % 90 + 10} million over {i % 9 + 2} years.",
        f"Local groups said the {place} area had waited {i % 20 + 3} years for the work to begin.",
    ]
    body = "".join(f"<p>{s}</p>" for s in sentences)
    return (
        f"<!doctype html><html><head><title>Story {i}: the {subject} decision</title>"
        f'<meta property="og:site_name" content="District Herald {i}"></head>'
        f"<body><article><h1>Story {i}: the {subject} decision</h1>{body}</article></body></html>"
    ).encode()


def main() -> None:
    """Serve the pages by hand: python tests/web_server.py, then briefing build --feed URL."""
    server = WebServer().start()
    print(f"serving {server.url('feed.xml')} and {server.url('atom.xml')}; Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
