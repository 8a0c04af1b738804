"""`briefing stories`: how the inputs group into stories, and why each article is where it is."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from briefing.app.common import (
    EXIT_NO_BRIEF,
    EXIT_USAGE,
    check_base_url,
    err,
    feed_flags,
    inputs,
    settings,
    stderr,
)
from briefing.app.options import (
    BaseUrlOption,
    ConfigOption,
    EmbeddingsModelOption,
    FeedOption,
    MaxEntriesOption,
    NoCacheOption,
    PrivateNetworkOption,
    SinceOption,
    TimeoutOption,
    TopicOption,
)

if TYPE_CHECKING:
    from briefing.contracts import Story

__all__ = ["STORIES_EPILOG", "stories_command"]

STORIES_EPILOG = "Exit codes: 0 grouped; 1 no usable article; 2 usage error."


class StoriesFormat(StrEnum):
    text = "text"
    json = "json"


def stories_command(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Article files, folders, http(s) URLs or '-' for standard input.", show_default=False
        ),
    ] = None,
    feed: FeedOption = None,
    since: SinceOption = None,
    topic: TopicOption = None,
    config: ConfigOption = None,
    max_entries: MaxEntriesOption = None,
    allow_private_network: PrivateNetworkOption = False,
    embeddings_model: EmbeddingsModelOption = None,
    base_url: BaseUrlOption = None,
    timeout: TimeoutOption = None,
    no_cache: NoCacheOption = False,
    fmt: Annotated[
        StoriesFormat,
        typer.Option(
            "--format", "-f", help="text: each story and what ties its articles; json: the stories."
        ),
    ] = StoriesFormat.text,
) -> None:
    """Group articles into stories, one event each, and show what ties each article to its story."""
    from briefing.errors import BriefingError
    from briefing.pipeline import gather, group

    console = stderr()
    chosen = settings(
        console,
        config,
        **feed_flags(since, topic, max_entries, allow_private_network),
        embeddings_model=embeddings_model,
        base_url=base_url,
        timeout=timeout,
        cache=False if no_cache else None,
    )
    given = inputs(console, chosen, feed)
    if not paths and not given.feeds:
        err(console, "error: give article files, folders, URLs or '-', or --feed (or feeds in --config)")
        raise typer.Exit(EXIT_USAGE)
    if chosen.embeddings_model:
        check_base_url(console, chosen)
    options = chosen.build_options(language=given.language)
    try:
        ingested = gather(paths or [], options, feeds=given.feeds)
    except BriefingError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    for problem in ingested.problems:
        err(console, problem.line())
    for note in ingested.cache_notes:
        err(console, note)
    if not ingested.articles:
        err(console, "error: no usable articles")
        raise typer.Exit(EXIT_NO_BRIEF)
    notes: list[str] = []
    try:
        stories = group(ingested, options, notes=notes)
    except BriefingError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None
    for note in dict.fromkeys(notes):
        if note not in ingested.cache_notes:
            err(console, note)
    if fmt == StoriesFormat.json:
        sys.stdout.write(json.dumps([s.model_dump(mode="json") for s in stories], indent=2) + "\n")
    else:
        sys.stdout.write(format_stories(stories))


def format_stories(stories: list[Story]) -> str:
    """Each story: id, outlets and headline, then each member with where it came from and its ties."""
    lines = []
    for story in stories:
        outlets = "1 outlet" if story.outlets == 1 else f"{story.outlets} outlets"
        if story.independent_outlets < story.outlets:
            outlets += f" ({story.independent_outlets} independent)"
        lines.append(f"{story.id}  {outlets}  {story.headline}")
        for member in story.members:
            where = member.url or member.path or member.source
            lines.append(f"  - {member.source}: {member.title} ({where})")
            for copy in member.copies:
                lines.append(f"      copy: {copy.source} ({copy.url or copy.path or copy.source})")
            if member.shared:
                lines.append(f"      shared: {', '.join(member.shared)}")
        lines.append("")
    return "\n".join(lines)
