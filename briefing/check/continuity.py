"""Score how a day's edition follows the day before's against hand labels (`continues` in a day's labels).

Two consecutive labelled days are built as editions; the second is followed against the
first (`briefing.stories.continuity.follow`), as `build --editions` does. Scored for each
labelled continuing story: is the story of today holding its articles `developing`, with the
id of yesterday's story holding the articles it continues, and how many of its claims are
new and how many repeated; and for the rest of today's stories, that none is `developing`.
A labelled story is found as the edition's full story holding most of its articles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from briefing.contracts import Edition, EditionStory

__all__ = ["ContinuingStory", "ContinuityScore", "format_continuity", "score_continuity", "story_of"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContinuingStory(_Model):
    """How one labelled continuing story was followed."""

    label: str = Field(description="The story's label on the day.")
    previous_label: str = Field(description="The label of the event on the previous day.")
    found: bool = Field(description="Whether both days' editions have a full story holding its articles.")
    developing: bool = Field(description="Whether today's story is marked developing.")
    same_id: bool = Field(
        description="Whether it carries the previous day's story id, with that day as its previous date."
    )
    new_items: int = Field(description="Its claims marked new since the previous edition.")
    repeated_items: int = Field(description="Its claims found in the previous edition.")


class ContinuityScore(_Model):
    """A labelled day followed against the labelled day before it."""

    previous_day: str
    stories: list[ContinuingStory]
    wrongly_developing: list[str] = Field(
        description="Headlines of today's stories marked developing that the labels do not continue."
    )

    @property
    def ok(self) -> bool:
        """Every continuing story followed with the right id, and no other."""
        return not self.wrongly_developing and all(s.developing and s.same_id for s in self.stories)


def story_of(edition: Edition, names: set[str]) -> EditionStory | None:
    """The edition's full story holding most of the files `names` (its members and their copies)."""
    counts: Counter[int] = Counter()
    for index, story in enumerate(edition.stories):
        for source in story.sources:
            paths = [source.path, *(c.path for c in source.copies)]
            counts[index] += sum(1 for p in paths if p and Path(p).name in names)
    if not counts or counts.most_common(1)[0][1] == 0:
        return None
    best = min(counts, key=lambda i: (-counts[i], i))
    return edition.stories[best]


def score_continuity(
    followed: Edition,
    previous: Edition,
    continues: Mapping[str, str],
    today: Mapping[str, set[str]],
    before: Mapping[str, set[str]],
) -> ContinuityScore:
    """Score `followed` (today, followed against `previous`): `today`/`before` map labels to file names."""
    scored: list[ContinuingStory] = []
    expected: set[str] = set()
    for label, previous_label in sorted(continues.items()):
        story = story_of(followed, today.get(label, set()))
        past = story_of(previous, before.get(previous_label, set()))
        if story is None or past is None:
            scored.append(ContinuingStory(
                label=label, previous_label=previous_label, found=False, developing=False,
                same_id=False, new_items=0, repeated_items=0,
            ))  # fmt: skip
            continue
        expected.add(story.id)
        developing = story.status == "developing"
        new = len(story.new_claim_ids) if developing else len(story.brief.claims)
        scored.append(
            ContinuingStory(
                label=label,
                previous_label=previous_label,
                found=True,
                developing=developing,
                same_id=story.id == past.id and story.previous_date == previous.date,
                new_items=new,
                repeated_items=len(story.brief.claims) - new,
            )
        )
    wrong = [s.headline for s in followed.stories if s.status == "developing" and s.id not in expected]
    return ContinuityScore(previous_day=previous.date or "", stories=scored, wrongly_developing=wrong)


def format_continuity(day: str, score: ContinuityScore) -> str:
    """One line per continuing story, then the other stories wrongly followed, if any."""
    lines = []
    for s in score.stories:
        if not s.found:
            lines.append(f"continuity {day}: {s.label}: no full story holds its articles on both days")
            continue
        state = "developing" if s.developing else "NOT developing"
        same = "the same id as" if s.same_id else "NOT the id of"
        lines.append(
            f"continuity {day}: {s.label} {state}, {same} {s.previous_label} of {score.previous_day}; "
            f"{s.new_items} new, {s.repeated_items} repeated items"
        )
    if score.wrongly_developing:
        lines.append(f"continuity {day}: also marked developing: {'; '.join(score.wrongly_developing)}")
    else:
        lines.append(f"continuity {day}: no other story developing")
    return "\n".join(lines)
