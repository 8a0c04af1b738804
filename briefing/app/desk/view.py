"""What the desk shows of an edition under review: pure, no I/O.

Each story's items are listed as the email shows them (new since, lede, sections), each
with its citations; a citation carries the evidence passage its source gave, so the page
holds every passage and a hover or focus shows it with no request. The source view finds
that passage in the article's text to highlight it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from briefing.contracts import AlsoReported, Article, EditionStory, Evidence
from briefing.render.edition import new_items

__all__ = [
    "Cite",
    "Disagreement",
    "Item",
    "Line",
    "Passage",
    "StoryView",
    "find_passage",
    "line_view",
    "story_view",
]


@dataclass(frozen=True)
class Cite:
    """One citation of an item: its number in the story, its source, and the passage it rests on."""

    number: int
    article_id: str
    source: str
    passage: str


@dataclass(frozen=True)
class Item:
    """One claim as the email shows it, with what an editor may do to it."""

    claim_id: str
    statement: str
    cites: list[Cite]
    disputed: list[Cite]
    single_source: bool
    in_lede: bool
    part: str


@dataclass(frozen=True)
class Disagreement:
    """A figure or title the story's sources give differently: each value with its citations."""

    id: str
    subject: str
    values: list[tuple[str, list[Cite]]]


@dataclass(frozen=True)
class StoryView:
    """A story of the edition: its headline, its items in the email's order, and its notes."""

    id: str
    place: int
    headline: str
    status: str
    items: list[Item]
    disagreements: list[Disagreement]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Line:
    """An "Also reported" line: a headline, an optional statement and its sources."""

    id: str
    headline: str
    statement: str | None
    cites: list[Cite]
    notes: list[str] = field(default_factory=list)


def _cites(story: EditionStory, evidence: Sequence[Evidence], article_ids: Sequence[str]) -> list[Cite]:
    numbers = {s.article_id: s for s in story.brief.sources}
    passages = {e.article_id: e.text for e in evidence}
    cites = [
        Cite(numbers[a].number, a, numbers[a].source, passages.get(a, ""))
        for a in dict.fromkeys(article_ids)
        if a in numbers
    ]
    return sorted(cites, key=lambda c: c.number)


def story_view(story: EditionStory, place: int, notes: Sequence[str] = ()) -> StoryView:
    """The story as the desk lists it: new items first, then the lede, then each section's items."""
    claims = {c.id: c for c in story.brief.claims}
    fresh = new_items(story)
    listed = {c.id for c in fresh}
    lede = set(story.brief.lede_claim_ids)
    order: list[tuple[str, str]] = [(c.id, "New since " + (story.previous_date or "")) for c in fresh]
    order += [(i, "Lede") for i in story.brief.lede_claim_ids if i not in listed]
    for section in story.brief.sections:
        order += [(i, section.title) for i in section.claim_ids if i not in listed]
    items = []
    for claim_id, part in order:
        claim = claims.get(claim_id)
        if claim is None:
            continue
        items.append(
            Item(
                claim_id=claim.id,
                statement=claim.statement,
                cites=_cites(story, claim.evidence, claim.article_ids),
                disputed=_cites(story, claim.evidence, claim.disputed_by),
                single_source=claim.single_source,
                in_lede=claim.id in lede,
                part=part,
            )
        )
    status = story.status if not story.previous_date else f"{story.status} since {story.previous_date}"
    disagreements = [
        Disagreement(d.id, d.subject, [(v.value, _cites(story, v.evidence, v.article_ids)) for v in d.values])
        for d in story.brief.discrepancies
    ]
    return StoryView(story.id, place, story.headline, status, items, disagreements, list(notes))


def line_view(line: AlsoReported, notes: Sequence[str] = ()) -> Line:
    """An "Also reported" line; its citations name their source (the line has no evidence passage)."""
    cites = [Cite(n, s.article_id, s.source, s.title) for n, s in enumerate(line.sources, start=1)]
    return Line(line.id, line.headline, line.statement, cites, list(notes))


@dataclass(frozen=True)
class Passage:
    """An article's text cut around the passage to highlight (`found` False: not found in it)."""

    before: str
    marked: str
    after: str
    found: bool


def find_passage(article: Article, passage: str) -> Passage:
    """The article's text with `passage` located in it, spacing ignored; the first match."""
    text = article.text
    words = passage.split()
    if not words:
        return Passage(text, "", "", False)
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    if match is None:
        return Passage(text, "", "", False)
    return Passage(text[: match.start()], match.group(0), text[match.end() :], True)
