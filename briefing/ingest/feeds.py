"""Feeds: RSS and Atom documents -> the entries worth reading for one brief.

The daily brief is built from feeds, not from files an editor collected. feedparser
reads every RSS and Atom dialect (and the broken ones sites actually serve); this
module only chooses entries: those inside the time window (`--since 24h`) and, when a
topic is given, those whose title, summary or categories mention one of its keywords,
so one site-wide feed can serve a brief on one story; at most `max_entries` of them
(the newest), so a feed of ten thousand items cannot hold the run. A document that is
not a well-formed feed is called malformed, with feedparser's reason, never read as a
feed of no entries. Everything here is pure: the
fetching is `briefing.ingest.fetch`'s, and the same feed bytes at the same `now` always give
the same entries.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import feedparser

from briefing.text import collapse_spaces

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "Feed",
    "FeedEntry",
    "FeedQuery",
    "FeedSelection",
    "parse_feed",
    "parse_since",
    "select_entries",
]

DEFAULT_MAX_ENTRIES = 200

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_HOURS = {"m": 1 / 60, "min": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, with what the feed says about it."""

    link: str
    title: str | None
    published: dt.datetime | None
    """UTC; None when the feed gives no date."""
    outlet: str | None
    """The feed's own title (a fallback for the page's site name)."""
    summary: str
    content: str
    """The full text when the feed carries it (content:encoded, Atom content), else ''."""
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedQuery:
    """One feed to read, and which of its entries the brief wants."""

    url: str
    since: dt.datetime | None = None
    topic: tuple[str, ...] = ()
    max_entries: int = DEFAULT_MAX_ENTRIES
    """The most entries read from this feed (the newest); the rest are counted and left out."""


@dataclass(frozen=True)
class Feed:
    """A parsed feed document."""

    title: str | None
    entries: list[FeedEntry]
    damage: str | None = None
    """feedparser's reason when the document is malformed but entries before the damage were read."""


@dataclass(frozen=True)
class FeedSelection:
    """The entries chosen from one feed, and the counts behind its report line."""

    entries: list[FeedEntry]
    total: int
    undated: int
    too_old: int
    off_topic: int
    over_limit: int = 0
    """Entries that passed the window and topic but were left out by `max_entries`."""
    max_entries: int | None = None

    def summary(self, since: dt.datetime | None, topic: Sequence[str], *, damage: str | None = None) -> str:
        parts = [f"{self.total} entr{'y' if self.total == 1 else 'ies'}"]
        if since is not None:
            parts.append(f"{self.too_old} older than {since:%Y-%m-%d %H:%M} UTC")
            if self.undated:
                parts.append(f"{self.undated} without a date")
        if topic:
            parts.append(f"{self.off_topic} not about {' / '.join(topic)}")
        if self.over_limit:
            parts.append(f"{self.over_limit} older ones over --max-entries {self.max_entries} left out")
        line = ", ".join(parts)
        return f"malformed feed ({damage}); read up to the damage: {line}" if damage else line


def parse_since(value: str, *, now: dt.datetime) -> dt.datetime:
    """`24h`, `90m`, `2d`, `1w`, or an ISO date or time -> the earliest time to keep (UTC).

    Raises:
        ValueError: The value is neither; the message says what is accepted.
    """
    match = _DURATION.match(value)
    if match:
        hours = float(match.group(1)) * _UNIT_HOURS[match.group(2).lower()]
        return now - dt.timedelta(hours=hours)
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time window: use e.g. 24h, 90m, 2d, 1w or a date such as 2025-06-10"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def parse_feed(data: bytes, url: str, content_type: str | None = None) -> Feed:
    """The feed's title and its entries, in the feed's order.

    A document damaged part-way (a truncated download) still gives the entries before
    the damage, and says so in `Feed.damage`.

    Raises:
        ValueError: The bytes are not a usable feed: "malformed feed (feedparser's reason)".
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # Bytes, never the URL: given a URL, feedparser would fetch it itself, without our limits.
    parsed = feedparser.parse(data, response_headers=headers)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    # A feed served as text/html, or with a charset its XML prolog contradicts, still parses.
    damage = None if problem is None or isinstance(problem, _HARMLESS) else _reason(problem)
    title = _clean(parsed.feed.get("title"))
    entries = []
    for item in parsed.entries:
        link = str(item.get("link") or "").strip()
        if not link:
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        published = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC) if stamp else None
        content = " ".join(str(c.get("value", "")) for c in item.get("content", []) or [])
        entries.append(
            FeedEntry(
                link=link,
                title=_clean(item.get("title")),
                published=published,
                outlet=title,
                summary=str(item.get("summary") or ""),
                content=content,
                categories=tuple(str(t.get("term", "")) for t in item.get("tags", []) or [] if t.get("term")),
            )
        )
    if not entries and (damage is not None or not parsed.get("version")):
        raise ValueError(f"malformed feed ({_what_it_is(data, damage)})")
    return Feed(title=title, entries=entries, damage=damage)


def select_entries(
    entries: Sequence[FeedEntry],
    *,
    since: dt.datetime | None = None,
    topic: Sequence[str] = (),
    max_entries: int | None = None,
) -> FeedSelection:
    """The entries published at or after `since` that mention a `topic` keyword (when given).

    With a window, an entry without a date is left out (and counted): a daily run must
    not repeat yesterday's story because its feed forgot the date. Keywords match whole
    words or phrases, ignoring case. Of what is left, at most `max_entries` are kept:
    the newest (undated ones after dated ones, then in the feed's order), listed in the
    feed's order.
    """
    patterns = [
        re.compile(rf"(?<!\w){re.escape(k.strip())}(?!\w)", re.IGNORECASE) for k in topic if k.strip()
    ]
    kept: list[FeedEntry] = []
    undated = too_old = off_topic = 0
    seen: set[str] = set()
    for entry in entries:
        if entry.link in seen:
            continue
        seen.add(entry.link)
        if since is not None:
            if entry.published is None:
                undated += 1
                continue
            if entry.published < since:
                too_old += 1
                continue
        if patterns:
            haystack = " ".join([entry.title or "", _text(entry.summary), *entry.categories])
            if not any(p.search(haystack) for p in patterns):
                off_topic += 1
                continue
        kept.append(entry)
    over_limit = 0
    if max_entries is not None and len(kept) > max_entries:
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        by_age = sorted(
            range(len(kept)),
            key=lambda i: (kept[i].published is None, -(kept[i].published or oldest).timestamp(), i),
        )
        chosen = sorted(by_age[:max_entries])
        over_limit = len(kept) - len(chosen)
        kept = [kept[i] for i in chosen]
    return FeedSelection(
        entries=kept,
        total=len(seen),
        undated=undated,
        too_old=too_old,
        off_topic=off_topic,
        over_limit=over_limit,
        max_entries=max_entries,
    )


_HARMLESS = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)


def _reason(problem: object) -> str:
    """The reason feedparser gives, in one short line; an XML error gives its line and column."""
    line, column = getattr(problem, "getLineNumber", None), getattr(problem, "getColumnNumber", None)
    message = getattr(problem, "getMessage", None)
    if callable(line) and callable(column) and callable(message):
        return f"{message()} at line {line()}, column {column()}"
    text = str(problem).splitlines()[0] if str(problem).strip() else type(problem).__name__
    return text[:160]


def _what_it_is(data: bytes, damage: str | None) -> str:
    if not data.strip():
        return "the document is empty"
    if _HTML_START.match(data[:4096]):
        return "an HTML page, not RSS or Atom" + (f"; feedparser: {damage}" if damage else "")
    return damage or "no RSS or Atom in it"


def _text(html: str) -> str:
    return collapse_spaces(re.sub(r"<[^>]+>", " ", html))


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None
