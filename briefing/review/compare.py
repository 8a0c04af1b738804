"""What an edition changes since the last edition sent: new stories, updated ones, dropped ones. Pure.

The editor answers for what subscribers read tomorrow against what they read yesterday,
so an edition under review is compared with the last sent one (the newest version of the
latest earlier day in the archive, `briefing.deliver.editions.Archive.last_sent`). Stories
are matched as the build follows them across days (`briefing.stories.continuity`): by id,
else by the names, places and figures they share. A matched story is *updated* when it
holds claims the past story did not state (`repeated` decides, however reworded), and
*unchanged* otherwise; a story of today matched to none is *new*; a past story (full or
"Also reported") that no story of today continues is *dropped*. An "Also reported" line
of today is matched by id only: one line says too little to tie by content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from briefing.contracts import AlsoReported, Edition, EditionStory, MergedClaim
from briefing.stories.continuity import PastEdition, line_claims, match_stories, repeated

__all__ = ["Comparison", "Seen", "Updated", "compare"]


@dataclass(frozen=True)
class Seen:
    """A story named in a comparison: its id and headline (in the edition it belongs to)."""

    id: str
    headline: str


@dataclass(frozen=True)
class Updated:
    """A story of both editions, with the items that are news since the last one."""

    id: str
    headline: str
    new_claim_ids: list[str]
    new_statements: list[str]


@dataclass(frozen=True)
class Comparison:
    """How an edition differs from the last sent one (`since`: that edition's date)."""

    since: str
    new: list[Seen] = field(default_factory=list)
    updated: list[Updated] = field(default_factory=list)
    unchanged: list[Seen] = field(default_factory=list)
    dropped: list[Seen] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The comparison as plain lines: a heading, then one line per story, new items indented."""
        out = [
            f"Since {self.since}: {len(self.new)} new, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.dropped)} dropped"
        ]
        out += [f"new      {s.id} {s.headline}" for s in self.new]
        for story in self.updated:
            out.append(f"updated  {story.id} {story.headline} ({len(story.new_claim_ids)} new item(s))")
            out += [f"  + {text}" for text in story.new_statements]
        out += [f"dropped  {s.id} {s.headline}" for s in self.dropped]
        return out


def compare(edition: Edition, last: PastEdition) -> Comparison:
    """`edition` against `last`, the last sent edition (see the module docstring).

    `last` must be dated before `edition`; an undated edition is compared by id alone.
    """
    matches = match_stories(edition, [last], days=_days_between(last.date, edition.date))
    by_today = {m.story_id: m.past_id for m in matches}
    past_full = {s.id: s for s in last.edition.stories}
    past_also = {a.id: a for a in last.edition.also_reported}
    continued: set[str] = set()
    result = Comparison(since=last.date)
    for story in edition.stories:
        past_id = by_today.get(story.id, story.id if story.id in past_full or story.id in past_also else None)
        if past_id is None:
            result.new.append(Seen(story.id, story.headline))
            continue
        continued.add(past_id)
        fresh = [c for c in _claims(story) if not repeated(c, _past_claims(last.edition, past_id))]
        if fresh:
            result.updated.append(
                Updated(story.id, story.headline, [c.id for c in fresh], [c.statement for c in fresh])
            )
        else:
            result.unchanged.append(Seen(story.id, story.headline))
    for line in edition.also_reported:
        if line.id in past_full or line.id in past_also:
            continued.add(line.id)
            result.unchanged.append(Seen(line.id, line.headline))
        else:
            result.new.append(Seen(line.id, line.headline))
    past: list[EditionStory | AlsoReported] = [*last.edition.stories, *last.edition.also_reported]
    result.dropped.extend(Seen(s.id, s.headline) for s in past if s.id not in continued)
    return result


def _days_between(earlier: str, later: str | None) -> int:
    """How many days back `match_stories` must look from `later` to reach `earlier` (at least 1)."""
    try:
        gap = (dt.date.fromisoformat(later or "") - dt.date.fromisoformat(earlier)).days
    except ValueError:
        return 1
    return max(gap, 1)


def _claims(story: EditionStory) -> list[MergedClaim]:
    """The story's claims the brief shows (lede and sections), in the order it shows them."""
    placed = [*story.brief.lede_claim_ids, *(i for s in story.brief.sections for i in s.claim_ids)]
    by_id = {c.id: c for c in story.brief.claims}
    return [by_id[i] for i in dict.fromkeys(placed) if i in by_id]


def _past_claims(edition: Edition, story_id: str) -> list[MergedClaim]:
    for story in edition.stories:
        if story.id == story_id:
            return list(story.brief.claims)
    for line in edition.also_reported:
        if line.id == story_id and line.statement:
            return line_claims(line)
    return []
