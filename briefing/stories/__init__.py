"""Stories: a day's articles grouped into events, between ingest and extract."""

from briefing.stories.group import group_stories

__all__ = ["group_stories"]
