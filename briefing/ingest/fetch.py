"""Fetch: web pages and feeds over HTTP, with limits, and a cache of the pages.

An editor pastes links and the daily run follows feeds, so briefing reads the web
unattended. The web is hostile to that: servers that never answer, answer slowly a
byte at a time, redirect in circles, send a 50 MB video as "the article", or refuse.
Every one of those becomes a `FetchError` with one line for the user, never a hang
or a traceback:

- a connect/read timeout per step, and a deadline for the whole body (a server that
  trickles bytes cannot hold the run);
- a size cap, checked against Content-Length first and then while streaming;
- at most `max_redirects` redirects, and http(s) only;
- a User-Agent naming briefing, so a site's operator can see who is reading;
- 429 and 5xx answers and dropped connections retried a few times with backoff
  (tenacity), honouring a short Retry-After; 4xx answers are final;
- no connection to a loopback, private, link-local or otherwise non-public address
  unless the user named that host (a URL or feed they gave) or allowed it
  (`allow_private_network`): a feed entry or a redirect cannot send briefing into the
  network it runs in (checked at connect time, see `briefing.ingest.guard`).

Article pages are cached in the extraction cache's SQLite file (`pages` table), by
URL, so a re-run reads the same bytes (and so builds the same brief) without the
network. Feeds are never cached: they are the thing that changes.
"""

from __future__ import annotations

import importlib.metadata
import ipaddress
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import Message
from typing import TypeVar
from urllib.parse import urlsplit

import httpcore
import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from briefing.ingest.files import size_text
from briefing.ingest.guard import (
    GuardedBackend,
    GuardedTransport,
    Resolver,
    address_kind,
    is_public_address,
    system_resolver,
)
from briefing.store.database import CacheTables

__all__ = [
    "FEED_TYPES",
    "PAGE_TYPES",
    "FetchError",
    "FetchSettings",
    "Fetcher",
    "Page",
    "PageCache",
    "PrivateAddressError",
    "is_url",
]

T = TypeVar("T")
R = TypeVar("R")

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/xml",
        "text/xml",
    }
)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_PAGES = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    final_url TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    fetched REAL NOT NULL
)
"""


def is_url(text: str) -> bool:
    """Whether a command-line input is a web address rather than a path."""
    return text.lower().startswith(("http://", "https://"))


class FetchError(Exception):
    """A URL that gave no usable answer; `str()` is the one-line reason (no URL in it)."""


class PrivateAddressError(FetchError):
    """A host the user did not name resolved to an address that is not on the public internet."""


@dataclass(frozen=True)
class FetchSettings:
    """The limits every request is held to."""

    timeout_s: float = 15.0
    """Connect, read and write timeout for each step."""
    deadline_s: float = 60.0
    """The whole answer, body included, within this many seconds."""
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    attempts: int = 3
    """Tries for a 429/5xx answer or a dropped connection."""
    backoff_s: float = 1.0
    concurrency: int = 8
    """Pages of one feed fetched at once (each request still held to the limits above)."""
    allow_private_network: bool = False
    """Let links the user did not give (feed entries, redirects) reach non-public addresses."""
    user_agent: str = f"briefing/{importlib.metadata.version('briefing')} (news brief builder)"


@dataclass(frozen=True)
class Page:
    """A successful answer."""

    url: str
    """What was asked for."""
    final_url: str
    """Where the answer came from, after redirects."""
    content_type: str
    """The media type alone, lower case (no parameters)."""
    charset: str | None
    body: bytes
    cached: bool = False


class PageCache(CacheTables):
    """Fetched pages by URL, in the cache file (`briefing cache clear` empties it too).

    Like the extraction cache, it never stops a run: see `briefing.store.database.CacheDatabase`.
    """

    SCHEMA = _PAGES

    def get(self, url: str) -> Page | None:
        rows = self._db.read("SELECT final_url, content_type, body FROM pages WHERE url = ?", (url,))
        if not rows:
            return None
        final_url, stored_type, body = rows[0]
        media, charset = _media_type(str(stored_type))
        return Page(
            url=url,
            final_url=str(final_url),
            content_type=media,
            charset=charset,
            body=bytes(body),
            cached=True,
        )

    def put(self, page: Page) -> None:
        content_type = page.content_type + (f"; charset={page.charset}" if page.charset else "")
        self._db.write(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
            (page.url, page.final_url, content_type, page.body, time.time()),
        )

    def count(self) -> int:
        rows = self._db.read("SELECT COUNT(*) FROM pages")
        return int(rows[0][0]) if rows else 0

    def clear(self) -> int:
        """Remove every page; returns how many there were (-1 when the file could not be changed)."""
        return self._db.write("DELETE FROM pages")


@dataclass
class Fetcher:
    """GETs pages and feeds within `settings`; pages go through `cache` when there is one.

    Every address the user gave (`trust`, and any `page` or `feed` they asked for) names
    a host that may be private; other hosts, reached through a feed entry or a redirect,
    must resolve to public addresses unless `settings.allow_private_network`. `resolve`
    is how host names become addresses (the operating system's resolver by default) and
    `sockets` opens the connections to the addresses checked (httpcore's own by default).
    """

    settings: FetchSettings = field(default_factory=FetchSettings)
    cache: PageCache | None = None
    sleep: Callable[[float], None] = time.sleep
    resolve: Resolver = system_resolver
    sockets: httpcore.NetworkBackend = field(default_factory=httpcore.SyncBackend)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _given: set[str] = field(default_factory=set, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def trust(self, urls: Iterable[str]) -> None:
        """Mark the hosts of `urls` as named by the user: they may be private addresses."""
        hosts = {h for url in urls if (h := _host_of(url))}
        with self._lock:
            self._given.update(hosts)

    def page(self, url: str, *, given: bool = True) -> Page:
        """An article page (HTML or plain text), from the cache when it was fetched before.

        `given=False` for a link the user did not give (a feed entry's): its host may
        then be private only if the user named it too.

        Raises:
            FetchError: No usable answer; the message says why in one line.
        """
        if given:
            self.trust([url])
        if self.cache is not None and (stored := self.cache.get(url)) is not None:
            self._recheck(stored)
            return stored
        page = self._get(url, PAGE_TYPES, "a web page")
        if self.cache is not None:
            self.cache.put(page)
        return page

    def feed(self, url: str) -> Page:
        """A feed document (always one the user gave), always fetched afresh.

        Raises:
            FetchError: No usable answer; the message says why in one line.
        """
        self.trust([url])
        return self._get(url, FEED_TYPES | {"text/html", "text/plain"}, "a feed")

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`function` over `items` on at most `settings.concurrency` threads; results in `items`' order.

        A feed's pages are fetched this way: one slow site costs its own timeout, not
        everyone's, and the result does not depend on which answer came first.
        """
        workers = min(self.settings.concurrency, len(items))
        if workers <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefing-fetch") as pool:
            return list(pool.map(function, items))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- one GET -------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                s = self.settings
                self._client = httpx.Client(
                    transport=GuardedTransport(GuardedBackend(self._addresses, self.sockets)),
                    timeout=httpx.Timeout(s.timeout_s),
                    follow_redirects=True,
                    max_redirects=s.max_redirects,
                    headers={
                        "User-Agent": s.user_agent,
                        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
                    },
                )
            return self._client

    def _recheck(self, page: Page) -> None:
        """Hold a cached page to the rule its fetch was held to (a run may have allowed more).

        Raises:
            PrivateAddressError: The page or its redirect's target is on a private host
                that this run may not reach. A name that does not resolve now (offline)
                keeps the cached copy usable.
        """
        for url in dict.fromkeys([page.url, page.final_url]):
            parts = httpx.URL(url)
            host = parts.raw_host.decode("ascii")
            if self._trusted(host):
                continue
            try:
                self._addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
            except PrivateAddressError:
                raise
            except FetchError:
                pass

    def _trusted(self, host: str) -> bool:
        """Whether `host` may be a private address: the user named it, or allowed them all."""
        with self._lock:
            return self.settings.allow_private_network or _host_key(host) in self._given

    def _addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for `host`, resolved once, each one checked.

        Raises:
            PrivateAddressError: `host` was not named by the user and resolves to a
                non-public address (any of its addresses: a mixed answer is refused too).
            FetchError: The name does not resolve.
        """
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        try:
            found = (
                [literal]
                if literal is not None
                else [ipaddress.ip_address(a) for a in self.resolve(host, port)]
            )
        except (OSError, UnicodeError, ValueError):
            raise FetchError(f"cannot find the host {host} (DNS)") from None
        if not found:
            raise FetchError(f"cannot find the host {host} (DNS)")
        if not self._trusted(host):
            for address in found:
                if not is_public_address(address):
                    raise PrivateAddressError(
                        f"not fetched: {host} is a {address_kind(address)} address ({address}) and only "
                        "hosts you gave may be private (--allow-private-network allows it)"
                    )
        return [str(a) for a in found]

    def _get(self, url: str, accepted: frozenset[str], what: str) -> Page:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise FetchError("not an http(s) address")
        retrying = Retrying(
            stop=stop_after_attempt(self.settings.attempts),
            wait=wait_exponential(multiplier=self.settings.backoff_s, max=30),
            retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, url, accepted, what)
        except _Transient as exc:
            raise FetchError(f"{exc} (after {self.settings.attempts} tries)") from None

    def _once(self, url: str, accepted: frozenset[str], what: str) -> Page:
        s = self.settings
        started = time.monotonic()
        try:
            with self._http().stream("GET", url) as response:
                if response.status_code in _RETRY_STATUSES:
                    retry_after = _retry_after(response.headers.get("retry-after"))
                    if retry_after is not None and retry_after > 0:
                        self.sleep(min(retry_after, 30.0))
                    raise _Transient(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                if response.status_code >= 300:
                    raise FetchError(f"HTTP {response.status_code} redirect without a usable Location")
                media, charset = _media_type(response.headers.get("content-type", ""))
                if media and media not in accepted:
                    raise FetchError(f"not {what} (the server sent {media})")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > s.max_bytes:
                    raise FetchError(
                        f"{size_text(int(declared))} long, over the {size_text(s.max_bytes)} limit"
                    )
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > s.max_bytes:
                        raise FetchError(f"over the {size_text(s.max_bytes)} limit (stopped reading)")
                    if time.monotonic() - started > s.deadline_s:
                        raise FetchError(f"the answer took over {s.deadline_s:g} s (stopped reading)")
                    chunks.append(chunk)
                return Page(
                    url=url,
                    final_url=str(response.url),
                    content_type=media or "text/html",
                    charset=charset,
                    body=b"".join(chunks),
                )
        except httpx.TooManyRedirects:
            raise FetchError(f"more than {s.max_redirects} redirects (a redirect loop?)") from None
        except httpx.TimeoutException:
            raise FetchError(f"no answer within {s.timeout_s:g} s") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise _Transient(f"connection dropped ({type(exc).__name__})") from None
        except httpx.ConnectError:
            raise FetchError("cannot connect (no server at that address, or it refused)") from None
        except httpx.UnsupportedProtocol:
            raise FetchError("redirected to an address that is not http(s)") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"request failed ({type(exc).__name__})") from None


class _Transient(Exception):
    """Worth another try: 429, 5xx, a dropped connection."""


def _host_key(host: str) -> str:
    return host.lower().rstrip(".")


def _host_of(url: str) -> str | None:
    """The host of `url` as the connection sees it (IDNA-encoded, lower case), or None."""
    try:
        raw = httpx.URL(url).raw_host
    except (httpx.InvalidURL, UnicodeError, ValueError):
        return None
    return _host_key(raw.decode("ascii")) if raw else None


def _media_type(header: str) -> tuple[str, str | None]:
    message = Message()
    message["content-type"] = header or "application/octet-stream"
    media = message.get_content_type().lower() if header else ""
    charset = message.get_param("charset")
    return media, (str(charset) if isinstance(charset, str) else None)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
