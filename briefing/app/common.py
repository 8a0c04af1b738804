"""What every command shares: exit codes, the one-line error, settings and inputs from the options.

Heavy modules are imported inside the functions, so that `briefing --help` loads none of them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from briefing.extract.choice import BackendChoice

if TYPE_CHECKING:
    from rich.console import Console

    from briefing.contracts import Brief, Edition
    from briefing.ingest.feeds import FeedQuery
    from briefing.settings import Settings

EXIT_OK = 0
EXIT_NO_BRIEF = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

EXIT_CODES_HELP = (
    "Exit codes: 0 clean brief; 3 brief written but some inputs were skipped or fell back "
    "to the extractive backend; 1 no brief; 2 usage error."
)


def stderr() -> Console:
    """The console for messages and progress: standard error, so standard output stays the brief."""
    from rich.console import Console

    return Console(stderr=True)


def err(console: Console, message: str) -> None:
    """One line on standard error, prefixed with the program's name, never read as markup."""
    console.print(f"briefing: {message}", markup=False, highlight=False, soft_wrap=True)


def quiet_instructor() -> None:
    """Silence instructor's log of every failed attempt: the run report already accounts for them."""
    import logging

    logging.getLogger("instructor").setLevel(logging.CRITICAL)


def parse_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from exc


def is_date(value: str) -> bool:
    """Strictly YYYY-MM-DD: a brief's date goes into file names and the Subject."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def write_atomically(path: Path, text: str) -> None:
    """Write next to the target and rename, so a crash never leaves half a brief."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def settings(console: Console, config: Path | None = None, **flags: Any) -> Settings:
    """The settings from the flags given (None: not given), the environment and the config file.

    A bad value or file is a usage error: one line, exit 2.
    """
    from briefing.errors import UserError
    from briefing.settings import load_settings

    try:
        return load_settings(config, flags)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None


def feed_flags(
    since: str | None, topic: list[str] | None, max_entries: int | None, allow_private_network: bool
) -> dict[str, Any]:
    """The feed flags as settings; a flag left off is None, so it does not override."""
    return {
        "since": since,
        "topic": tuple(topic) if topic else None,
        "max_entries": max_entries,
        "allow_private_network": True if allow_private_network else None,
    }


def model_flags(
    backend: BackendChoice | None,
    model: str | None,
    base_url: str | None,
    mode: str | None,
    timeout: float | None,
    concurrency: int | None,
    max_cost: float | None,
    no_cache: bool,
    rpm: int | None,
    tpm: int | None,
    batch: bool,
    max_input_tokens: int | None,
) -> dict[str, Any]:
    """The model, cost and speed flags as settings; a flag left off is None, so it does not override."""
    return {
        "backend": backend,
        "model": model,
        "base_url": base_url,
        "mode": mode,
        "timeout": timeout,
        "concurrency": concurrency,
        "max_cost": max_cost,
        "cache": False if no_cache else None,
        "rpm": rpm,
        "tpm": tpm,
        "batch": True if batch else None,
        "max_input_tokens": max_input_tokens,
    }


@dataclass(frozen=True)
class Inputs:
    feeds: list[FeedQuery]
    language: str


def inputs(console: Console, chosen: Settings, feeds: list[str] | None) -> Inputs:
    """The feed queries (the file's feeds and the `--feed` ones) and the brief's language."""
    from briefing.ingest.feeds import DEFAULT_MAX_ENTRIES, FeedQuery, parse_since
    from briefing.ingest.language import DEFAULT_LANGUAGE, normalise_language

    try:
        start = parse_since(chosen.since, now=dt.datetime.now(dt.UTC)) if chosen.since else None
        code = normalise_language(chosen.language or DEFAULT_LANGUAGE)
    except ValueError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    urls = list(dict.fromkeys([*chosen.feeds, *(feeds or [])]))
    most = chosen.max_entries or DEFAULT_MAX_ENTRIES
    return Inputs(
        feeds=[FeedQuery(url=u, since=start, topic=chosen.topic, max_entries=most) for u in urls],
        language=code,
    )


def check_base_url(console: Console, chosen: Settings) -> None:
    """A base URL that is not http(s) is a usage error: one line naming where it came from, exit 2."""
    if chosen.backend == BackendChoice.extractive:
        return
    from briefing.errors import UserError
    from briefing.extract.model.providers import check_base_url as check

    try:
        check(chosen.base_url, where=chosen.origin("base_url") or "--base-url")
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None


def load_brief_or_edition(path: Path, console: Console) -> Brief | Edition:
    """A brief or an edition written with --format json; anything else is one line, exit 2."""
    from briefing.contracts import Brief, Edition
    from briefing.ingest.files import BRIEF_LIMIT, FileRefused, read_file

    try:
        data = read_file(path, BRIEF_LIMIT)
    except FileRefused as exc:
        err(console, f"error: {path}: {exc.reason}")
        raise typer.Exit(EXIT_USAGE) from None
    try:
        parsed = json.loads(data)
        if isinstance(parsed, dict) and "stories" in parsed:  # an edition of several stories
            return Edition.model_validate(parsed)
        return Brief.model_validate(parsed)
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        err(console, f"error: {path}: not a brief or an edition written with --format json ({first})")
        raise typer.Exit(EXIT_USAGE) from None


def load_brief(path: Path, console: Console) -> Brief:
    """A brief written with --format json; anything else is a usage error (one line, exit 2)."""
    from briefing.contracts import Brief
    from briefing.ingest.files import BRIEF_LIMIT, FileRefused, read_file

    try:
        return Brief.model_validate_json(read_file(path, BRIEF_LIMIT))
    except FileRefused as exc:
        err(console, f"error: {path}: {exc.reason}")
        raise typer.Exit(EXIT_USAGE) from None
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        err(console, f"error: {path}: not a brief written with --format json ({first})")
        raise typer.Exit(EXIT_USAGE) from None
