"""Follow a day's stories across editions: which of today's stories were in a recent edition, and what is new.

A story of today is the same event as a story of a recent edition (by default the 3 days
before today's date) when:

1. they have the same id: their earliest report is the same article (`story_id`); else
2. the story stage's own tie (`briefing.stories.group.tie_scores`: shared distinctive names,
   places and figures, transliterated, plus alike leads) between the two stories as the
   editions tell them (headline, claims, entity names) reaches `FOLLOW_SCORE`. The past
   articles are gone; only the archived edition is there to compare with.

Matches are made strongest first, each past story at most once and each story of today at
most once, ties broken by ids, so the same editions always give the same matches. A story
in several recent editions is compared with the latest one it was in. A matched story keeps
the past story's id (when the archive kept one) and becomes `developing`, with the date of
that edition and the claims of its brief that were not in it.

A claim is not new when the past story held the same fact (`repeated`): the same claim id,
the same statement or evidence once case, accents and punctuation are set aside, or no new
name or figure and nearly all its words in the past claims that share its names and figures.
Pure: no files, no clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from briefing.contracts import (
    AlsoReported,
    Article,
    Brief,
    ClaimCategory,
    Edition,
    EditionSource,
    EditionStory,
    InputProblem,
    MergedClaim,
)
from briefing.stories.embeddings import Embedder
from briefing.stories.group import LINK_SCORE, tie_scores
from briefing.stories.signals import signals_of

__all__ = [
    "FOLLOW_SCORE",
    "RECENT_DAYS",
    "Match",
    "PastEdition",
    "Recent",
    "edition_of_brief",
    "follow",
    "line_claims",
    "match_stories",
    "repeated",
]

RECENT_DAYS = 3
"""How many days before an edition's date its stories are looked for."""
FOLLOW_SCORE = 2 * LINK_SCORE
"""The tie a story of today needs with a past one: twice two articles' (a story says more than an article).

Measured on the labelled days: the continuing crash ties at 9.4, the strongest unrelated pair at 1.9."""
COVERED = 0.5
"""Share of a statement's words the past statements must hold for it to be no news (see `repeated`).

Measured on the labelled days: at 0.5 the three restated facts of the continuing crash are old
and none of its new ones is; at 0.75 only one restatement is found."""
MAX_SHARED_SHOWN = 8
_STATEMENT_WORDS = 600
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PastEdition:
    """An edition read back from the archive, with its date and where it was read."""

    date: str
    edition: Edition
    where: str = ""


@dataclass
class Recent:
    """The recent editions an archive holds, newest first, and one note per version left out."""

    editions: list[PastEdition] = field(default_factory=list)
    notes: list[InputProblem] = field(default_factory=list)
    """Versions left out: the file, why, and the action 'not followed'."""


@dataclass(frozen=True)
class Match:
    """Why a story of today is followed from a past one: the same id, or what they share."""

    story_id: str
    """The id the story had today (before it took the past one)."""
    past_id: str
    """The past story's id ('' when the archive kept none)."""
    date: str
    """The date of the edition the past story was last in."""
    score: float
    """The tie between the two (`inf` for the same id)."""
    shared: list[str]
    """The names and figures they share, as written (empty for the same id)."""

    def why(self) -> str:
        """What ties the two, for a line of the run's report."""
        if not self.shared:
            return "the same earliest report"
        return "shared: " + ", ".join(self.shared)


@dataclass(frozen=True)
class _Past:
    date: str
    id: str
    headline: str
    claims: list[MergedClaim]
    names: list[str] = field(default_factory=list)


def edition_of_brief(brief: Brief) -> Edition:
    """A kept `Brief` as the edition of one story it was; its id is unknown (''), so it matches by content."""
    sources = [
        EditionSource(
            article_id=s.article_id,
            source=s.source,
            title=s.title,
            url=s.url,
            published=s.published,
            language=s.language,
        )
        for s in brief.sources
    ]
    story = EditionStory(
        id="",
        headline=brief.headline,
        independent_outlets=len(brief.sources),
        outlets=len(brief.sources) + sum(len(s.copies) for s in brief.sources),
        sources=sources,
        brief=brief,
    )
    return Edition(date=brief.date, language=brief.language, stories=[story], report=brief.report)


def _recent(date: str, past: Sequence[PastEdition], days: int) -> list[_Past]:
    """The past stories of the `days` days before `date`, each id once (from its latest edition)."""
    try:
        first = (dt.date.fromisoformat(date) - dt.timedelta(days=days)).isoformat()
    except ValueError:
        return []
    found: dict[str, _Past] = {}
    for kept in sorted(past, key=lambda p: p.date, reverse=True):
        if not first <= kept.date < date:
            continue
        edition = kept.edition
        candidates: list[_Past] = [
            _Past(kept.date, s.id, s.headline, _ordered_claims(s.brief), [e.name for e in s.brief.entities])
            for s in edition.stories
        ]
        candidates += [_also(kept.date, a) for a in edition.also_reported]
        for n, candidate in enumerate(candidates):
            key = candidate.id or f"{kept.date}#{n}"
            found.setdefault(key, candidate)
    return sorted(found.values(), key=lambda p: (p.date, p.id, p.headline), reverse=True)


def _also(date: str, line: AlsoReported) -> _Past:
    """A one-line story: its lead statement is all the edition kept of it."""
    return _Past(date, line.id, line.headline, line_claims(line))


def line_claims(line: AlsoReported) -> list[MergedClaim]:
    """What an edition kept of a one-line story, as claims to compare with: its lead statement, if any."""
    if not line.statement:
        return []
    return [
        MergedClaim(
            id="",
            statement=line.statement,
            category=ClaimCategory.event,
            evidence=[],
            article_ids=[],
            source_count=1,
            single_source=True,
            score=0.0,
        )
    ]


def _as_article(key: str, headline: str, claims: Sequence[MergedClaim], names: Sequence[str]) -> Article:
    """A story as the story stage reads an article: the headline as title, its claims and names as text."""
    text = "\n\n".join([*(c.statement.strip() for c in claims), ". ".join(names)])
    return Article(id=key, source=key, title=headline, text=text)


def _ordered_claims(brief: Brief) -> list[MergedClaim]:
    """The lede first, then the rest in ranking order: the story's core comes first."""
    lede = set(brief.lede_claim_ids)
    return sorted(brief.claims, key=lambda c: (c.id not in lede, -c.score, c.id))


def match_stories(
    edition: Edition,
    past: Sequence[PastEdition],
    *,
    days: int = RECENT_DAYS,
    embedder: Embedder | None = None,
) -> list[Match]:
    """Which of `edition`'s full stories continue a story of the `days` editions before its date.

    An undated edition follows nothing. See the module docstring for the rules.
    """
    if not edition.date or not edition.stories:
        return []
    candidates = _recent(edition.date, past, days)
    if not candidates:
        return []
    matches: list[Match] = []
    taken: set[int] = set()
    used: set[str] = set()
    by_id = {p.id: n for n, p in enumerate(candidates) if p.id}
    for story in sorted(edition.stories, key=lambda s: s.id):
        n = by_id.get(story.id)
        if n is not None and n not in taken:
            taken.add(n)
            used.add(story.id)
            matches.append(Match(story.id, story.id, candidates[n].date, float("inf"), []))
    today = [s for s in sorted(edition.stories, key=lambda s: s.id) if s.id not in used]
    rest = [n for n in range(len(candidates)) if n not in taken]
    if not today or not rest:
        return matches
    articles = [
        _as_article(f"t{i}", s.headline, _ordered_claims(s.brief), [e.name for e in s.brief.entities])
        for i, s in enumerate(today)
    ]
    articles += [
        _as_article(f"p{n}", candidates[n].headline, candidates[n].claims, candidates[n].names) for n in rest
    ]
    pairs = [(i, len(today) + j) for i in range(len(today)) for j in range(len(rest))]
    ties = tie_scores(articles, pairs, embedder=embedder, text_words=_STATEMENT_WORDS)
    ranked = sorted(
        ((score, i, rest[j - len(today)], shared) for (i, j), (score, shared) in ties.items()),
        key=lambda t: (-t[0], today[t[1]].id, candidates[t[2]].date, candidates[t[2]].id, t[2]),
    )
    done: set[int] = set()
    for score, i, n, shared in ranked:
        if score < FOLLOW_SCORE or i in done or n in taken:
            continue
        done.add(i)
        taken.add(n)
        matches.append(
            Match(today[i].id, candidates[n].id, candidates[n].date, score, shared[:MAX_SHARED_SHOWN])
        )
    return sorted(matches, key=lambda m: m.story_id)


def follow(
    edition: Edition,
    past: Sequence[PastEdition],
    *,
    days: int = RECENT_DAYS,
    embedder: Embedder | None = None,
    on_match: Callable[[Match], None] | None = None,
) -> Edition:
    """`edition` with each story that continues a recent one marked `developing` (see the module docstring).

    A followed story takes the past story's id (its own when the archive kept none), the
    date of the edition it was last in, and the ids of its claims that edition did not hold.
    `on_match` hears why each story was followed, for a caller that shows it.
    """
    matches = match_stories(edition, past, days=days, embedder=embedder)
    if on_match is not None:
        for found in matches:
            on_match(found)
    if not matches:
        return edition
    by_story = {m.story_id: m for m in matches}
    pasts = {(p.date, p.id): p for p in _recent(edition.date or "", past, days)}
    stories = []
    for story in edition.stories:
        match = by_story.get(story.id)
        if match is None:
            stories.append(story)
            continue
        before = pasts.get((match.date, match.past_id))
        old = before.claims if before is not None else []
        fresh = [c.id for c in story.brief.claims if not repeated(c, old)]
        stories.append(
            story.model_copy(
                update={
                    "id": match.past_id or story.id,
                    "status": "developing",
                    "previous_date": match.date,
                    "new_claim_ids": fresh,
                }
            )
        )
    return edition.model_copy(update={"stories": stories})


@functools.lru_cache(maxsize=8192)
def _folded(text: str) -> str:
    from anyascii import anyascii

    return " ".join(_WORD.findall(anyascii(text).casefold()))


@functools.lru_cache(maxsize=8192)
def _keys(text: str) -> frozenset[str]:
    """A statement's names and figures as the story stage keys them (every claim is compared many times)."""
    signals = signals_of(Article(id="", source="", title="", text=text))
    return frozenset(signals.names | signals.tentative | signals.figures)


def _content_words(folded: str) -> set[str]:
    """Words that carry the statement: figures, and words of four letters or more (few particles are)."""
    return {w for w in folded.split() if len(w) >= 4 or any(ch.isdigit() for ch in w)}


def repeated(claim: MergedClaim, past: Sequence[MergedClaim]) -> bool:
    """Whether `claim` states a fact the `past` claims stated, however reworded or whoever reported it.

    Old: the same id, statement or evidence as one of them (case, accents and punctuation
    aside); or, taking the past claims that share two names or figures with it, no name or
    figure they lack and `COVERED` of its words in theirs (one fact split over two past
    claims, or said again with other sources, counts as old; a new name, figure or verb is news).
    """
    statement = _folded(claim.statement)
    evidence = {_folded(e.text) for e in claim.evidence} - {""}
    for old in past:
        if claim.id and claim.id == old.id:
            return True
        if statement and statement == _folded(old.statement):
            return True
        if evidence & {_folded(e.text) for e in old.evidence}:
            return True
    keys = _keys(claim.statement)
    related = [old for old in past if len(keys & _keys(old.statement)) >= 2]
    if not related or keys - set().union(*(_keys(old.statement) for old in related)):
        return False
    words = _content_words(statement)
    known = set().union(*(_content_words(_folded(old.statement)) for old in related))
    return bool(words) and len(words & known) / len(words) >= COVERED
