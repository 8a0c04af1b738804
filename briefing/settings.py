"""Config: the settings a scheduled run keeps in a file instead of on its command line.

A daily brief reads the same feeds every morning, so they live in a TOML file given
with `--config` (or `$BRIEFING_CONFIG`):

    feeds = ["https://example.org/news.rss", "https://example.com/atom.xml"]
    since = "24h"                 # entries published in the last 24 hours
    topic = ["ferry", "harbour"]  # only entries that mention one of these
    language = "en"               # the brief's language
    max_entries = 200             # at most this many entries read per feed (the newest)
    allow_private_network = false # feed entries and redirects may reach private addresses

Options given on the command line win over the file. An unknown key is an error, not
ignored, so a misspelt `feed =` cannot silently leave the brief without its feeds.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from briefing.errors import UserError
from briefing.ingest.files import CONFIG_LIMIT, FileRefused, read_file

__all__ = ["Config", "load_config"]

_KEYS = ("feeds", "since", "topic", "language", "max_entries", "allow_private_network")


@dataclass(frozen=True)
class Config:
    feeds: tuple[str, ...] = ()
    since: str | None = None
    topic: tuple[str, ...] = ()
    language: str | None = None
    max_entries: int | None = None
    allow_private_network: bool | None = None


def load_config(path: Path | None, environ: Mapping[str, str] = os.environ) -> Config:
    """The settings in `path`, else in `$BRIEFING_CONFIG`, else none.

    Raises:
        UserError: The file cannot be read, is not TOML, or has an unknown key or a value
            of the wrong type (one line naming the file and the key).
    """
    if path is None:
        named = environ.get("BRIEFING_CONFIG")
        if not named:
            return Config()
        path = Path(named).expanduser()
    try:
        data = tomllib.loads(read_file(path, CONFIG_LIMIT).decode("utf-8"))
    except FileRefused as exc:
        raise UserError(f"config {path}: {exc.reason}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"config {path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise UserError(f"config {path}: unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})")
    return Config(
        feeds=_strings(data, "feeds", path),
        since=_string(data, "since", path),
        topic=_strings(data, "topic", path),
        language=_string(data, "language", path),
        max_entries=_count(data, "max_entries", path),
        allow_private_network=_flag(data, "allow_private_network", path),
    )


def _count(data: dict[str, object], key: str, path: Path) -> int | None:
    value = data.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    raise UserError(f"config {path}: {key} must be a whole number of at least 1")


def _flag(data: dict[str, object], key: str, path: Path) -> bool | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise UserError(f"config {path}: {key} must be true or false")


def _string(data: dict[str, object], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise UserError(f"config {path}: {key} must be a string")


def _strings(data: dict[str, object], key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"config {path}: {key} must be a string or a list of strings")
    return tuple(value)
