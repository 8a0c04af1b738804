"""Group a day's articles into stories, one real-world event each.

Two articles are tied when they share distinctive names and figures (weighted by how few
of the day's articles use them, so 'US' ties little and 'Ahmedabad' much) and, when both
are in a language the embedder knows, when their leads mean alike. Names and figures match
across languages and scripts (see `briefing.stories.signals`); the embedding only adds to
a tie that shared names or figures started, so two earthquakes reported in the same words
stay apart unless they share places, people or figures.

Reports published a day apart need twice the tie, two days apart three times: the
day after an event brings the next event on the same topic (a vote, then a strike).
Ties are joined strongest first. Two groups are not joined when that would put reports
published more than `MAX_SPAN_DAYS` apart in one story: the same topic weeks later is
another event. Candidates come from an index of each key's articles, skipping keys so
common they tie nothing, so the work grows with the ties, not with every pair.

Pure and deterministic: articles are ordered by id first, every score is rounded, and
ties are broken by article id, so the same articles in any order give the same stories.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.contracts import Article, Story, StoryCopy, StoryMember
from briefing.ingest.article import UNKNOWN_OUTLET
from briefing.stories.embeddings import Embedder, EmbeddingsUnavailable, default_embedder
from briefing.stories.signals import Signals, signals_of

__all__ = ["LINK_SCORE", "MAX_SPAN_DAYS", "group_stories", "story_id", "tie_scores"]

LINK_SCORE = 1.5
"""The tie two articles need to be one story: two or three distinctive shared names or figures."""
MAX_SPAN_DAYS = 3
"""The most days between the publication dates of one story's reports."""
EMBEDDING_WEIGHT = 0.8
"""What perfectly alike leads add to a tie (scaled from `EMBEDDING_FLOOR` up)."""
EMBEDDING_FLOOR = 0.3
MAX_POSTING = 60
"""A key used by more articles than this (and by more than a tenth of them) starts no tie."""
FIGURE_FACTOR = 0.7
"""A figure ties less than a name: two events can share a round number."""
PAIR_FACTOR = 0.5
DIFFERENT_TITLES = 2.0
"""How much more tie two articles need when both titles name things and no name is in both."""
MIN_SHARED = 2
"""Names or figures two articles must share: one name in common (a president, a city) is not an event."""
MIN_DAY = 50
"""Key weights are computed as if the input held at least this many articles."""
MAX_SHARED_SHOWN = 8
_LEAD_WORDS = 80


@dataclass
class _Node:
    article: Article
    signals: Signals
    day: int | None


def story_id(earliest_article_id: str) -> str:
    """A story's id: stable across days, since it is derived from its earliest report."""
    return "s-" + hashlib.sha256(earliest_article_id.encode()).hexdigest()[:10]


def _earliest_key(node: _Node) -> tuple[str, str]:
    """Publication date (the article's, else the one written at its top; undated last), then id."""
    return (node.signals.dated or "9999-99-99", node.article.id)


def _day(published: str | None) -> int | None:
    if not published:
        return None
    try:
        return dt.date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def group_stories(articles: Sequence[Article], *, embedder: Embedder | None = None) -> list[Story]:
    """The articles grouped into stories, each article in exactly one.

    An article tied to no other is a story of its own. Stories come most independent outlets
    first (a syndicated copy adds reach, not a report), then most outlets,
    then by id; members earliest first. `embedder` defaults to the bundled English model
    (`briefing.stories.embeddings.default_embedder`), which is also used when `embedder`
    raises `EmbeddingsUnavailable`; it is loaded (or called) only when some articles share
    names or figures, and only for those.
    """
    ordered = sorted(articles, key=lambda a: (a.id, a.source, a.path or "", a.url or ""))
    if not ordered:
        return []
    nodes = [_Node(a, sig, _day(sig.dated)) for a, sig in ((a, signals_of(a)) for a in ordered)]
    vocabulary = set().union(*(n.signals.names for n in nodes))
    for node in nodes:
        node.signals.restrict(vocabulary)
    weights = _key_weights(nodes)
    # Only articles that share a name or figure with another are embedded: a single article,
    # or a day of unrelated ones, loads no model and calls no endpoint.
    sharing = [i for i, node in enumerate(nodes) if not node.signals.keys.isdisjoint(weights)]
    similarity = _similarity(nodes, sharing, embedder or default_embedder()) if sharing else {}
    edges = _edges(nodes, weights, _candidates(nodes, weights), similarity)
    groups = _join(nodes, edges)
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    inside: dict[int, dict[tuple[int, int], tuple[float, list[str]]]] = defaultdict(dict)
    for (a, b), edge in edges.items():
        if group_of[a] == group_of[b]:
            inside[group_of[a]][(a, b)] = edge
    stories = [_story(nodes, members, weights, inside[g]) for g, members in enumerate(groups)]
    return sorted(stories, key=lambda s: (-s.independent_outlets, -s.outlets, s.id))


def _key_weights(nodes: list[_Node]) -> dict[str, float]:
    """How distinctive each key is: 1 for a key two articles share, less the more articles use it."""
    counts: Counter[str] = Counter()
    for node in nodes:
        counts.update(node.signals.keys)
    ceiling = max(MAX_POSTING, len(nodes) // 10)
    # A small input is often one story whose every article names the same things: counted as
    # part of a day of `MIN_DAY` articles, a name all of them use still ties them.
    total = max(len(nodes), MIN_DAY)
    weights = {}
    for key, count in counts.items():
        if count < 2 or count > ceiling:
            continue
        weight = math.log((total + 1) / count) / math.log((total + 1) / 2)
        if key.startswith("#"):
            weight *= FIGURE_FACTOR
        elif " " in key:
            weight *= PAIR_FACTOR  # its words are keys of their own
        weights[key] = round(weight, 6)
    return weights


def _similarity(nodes: list[_Node], indices: list[int], embedder: Embedder) -> dict[int, object]:
    """The lead embedding (title and first words) of the articles at `indices`, those in a language it knows.

    When `embedder` cannot embed (an endpoint that is down), every lead is embedded with the
    bundled model instead: the day's vectors all come from one model.
    """
    try:
        return _embedded(nodes, indices, embedder)
    except EmbeddingsUnavailable:
        return _embedded(nodes, indices, default_embedder())


def _embedded(nodes: list[_Node], indices: list[int], embedder: Embedder) -> dict[int, object]:
    known = embedder.languages
    chosen = [i for i in indices if known is None or (nodes[i].article.language or "en") in known]
    if not chosen:
        return {}
    vectors = embedder.embed([_lead(nodes[i].article) for i in chosen])
    return {i: vectors[row] for row, i in enumerate(chosen)}


def _lead(article: Article) -> str:
    return f"{article.title}. {' '.join(article.text.split()[:_LEAD_WORDS])}"


def _candidates(
    nodes: list[_Node], weights: dict[str, float]
) -> dict[tuple[int, int], tuple[float, list[str]]]:
    """Pairs sharing at least `MIN_SHARED` distinct names or figures: what those add up to, and the keys."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, node in enumerate(nodes):
        for key in node.signals.keys:
            if key in weights:
                postings[key].append(i)
    shared: dict[tuple[int, int], list[str]] = defaultdict(list)
    for key in sorted(postings):
        members = postings[key]
        for x, a in enumerate(members):
            for b in members[x + 1 :]:
                shared[(a, b)].append(key)
    candidates = {}
    for pair in sorted(shared):
        keys = shared.pop(pair)  # freed as it goes: most pairs share one key and are dropped
        if len(keys) < MIN_SHARED:
            continue
        score, things = _tie(keys, weights)
        if things >= MIN_SHARED:
            candidates[pair] = (score, keys)
    return candidates


def _edges(
    nodes: list[_Node],
    weights: dict[str, float],
    candidates: dict[tuple[int, int], tuple[float, list[str]]],
    vectors: dict[int, object],
) -> dict[tuple[int, int], tuple[float, list[str]]]:
    """The candidate pairs whose tie reaches `LINK_SCORE`, with the keys they share."""
    edges = {}
    for pair, (tie, keys) in candidates.items():
        a, b = pair
        score = _with_leads(a, b, tie, vectors)
        titles = nodes[a].signals.title, nodes[b].signals.title
        needed = LINK_SCORE * (DIFFERENT_TITLES if all(titles) and not titles[0] & titles[1] else 1.0)
        days = _days_apart(nodes[a].day, nodes[b].day)
        if days is not None and days > MAX_SPAN_DAYS:
            continue
        if score >= needed * (1 + (days or 0)):
            edges[pair] = (score, keys)
    return edges


def _score(
    a: int, b: int, keys: list[str], weights: dict[str, float], vectors: dict[int, object]
) -> float | None:
    """Two articles' tie from the `keys` they share, plus alike leads; None below `MIN_SHARED` things."""
    tie, things = _tie(keys, weights)
    if things < MIN_SHARED:
        return None
    return _with_leads(a, b, tie, vectors)


def _with_leads(a: int, b: int, tie: float, vectors: dict[int, object]) -> float:
    """The tie from shared keys, plus how alike the two leads read (when both were embedded)."""
    import numpy as np

    score = tie
    if a in vectors and b in vectors:
        cosine = float(np.dot(vectors[a], vectors[b]))  # type: ignore[call-overload]
        score += EMBEDDING_WEIGHT * max(0.0, cosine - EMBEDDING_FLOOR) / (1 - EMBEDDING_FLOOR)
    return round(score, 6)


def tie_scores(
    articles: Sequence[Article],
    pairs: Sequence[tuple[int, int]],
    *,
    embedder: Embedder | None = None,
    text_words: int = 400,
) -> dict[tuple[int, int], tuple[float, list[str]]]:
    """The tie `group_stories` scores between each of `pairs` (indexes into `articles`), with what they share.

    For a caller that matches texts other than a day's articles (a story against yesterday's
    edition) by the same signals and weights. Keys are weighted over `articles` as over a
    day; a pair sharing fewer than `MIN_SHARED` distinctive names or figures is left out.
    The shared keys come back as written, most distinctive first. Publication days and
    the titles rule are the caller's to apply.
    """
    nodes = [_Node(a, sig, None) for a, sig in ((a, signals_of(a, text_words=text_words)) for a in articles)]
    if not nodes:
        return {}
    vocabulary = set().union(*(n.signals.names for n in nodes))
    for node in nodes:
        node.signals.restrict(vocabulary)
    weights = _key_weights(nodes)
    paired = sorted({i for pair in pairs for i in pair})
    vectors = _similarity(nodes, paired, embedder or default_embedder())
    found = {}
    for a, b in sorted(set(pairs)):
        keys = sorted(nodes[a].signals.keys & nodes[b].signals.keys & weights.keys())
        if len(keys) < MIN_SHARED:
            continue
        score = _score(a, b, keys, weights, vectors)
        if score is None:
            continue
        ordered = sorted(keys, key=lambda k: (-weights[k], nodes[a].signals.written[k].casefold(), k))
        found[(a, b)] = (score, _distinct([nodes[a].signals.written[k] for k in ordered]))
    return found


def _tie(keys: list[str], weights: dict[str, float]) -> tuple[float, int]:
    """What shared keys add up to, and how many names and figures they are.

    One name counts once: 'Donald', 'Trump' and 'Donald Trump' are one, worth its most
    distinctive key.
    """
    names: dict[str, str] = {}

    def root(key: str) -> str:
        while names.get(key, key) != key:
            key = names[key]
        return key

    for key in keys:
        if " " in key and not key.startswith("#"):
            for word in key.split():
                if word in weights:
                    names[root(word)] = root(key)
    best: dict[str, float] = {}
    for key in keys:
        top = root(key)
        best[top] = max(best.get(top, 0.0), weights[key])
    return sum(best.values()), len(best)


def _days_apart(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else abs(a - b)


def _join(nodes: list[_Node], edges: dict[tuple[int, int], tuple[float, list[str]]]) -> list[list[int]]:
    """Join tied articles strongest tie first, never spanning more than `MAX_SPAN_DAYS` in one story."""
    parent = list(range(len(nodes)))
    span: dict[int, tuple[int, int] | None] = {
        i: (n.day, n.day) if n.day is not None else None for i, n in enumerate(nodes)
    }

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), (_score, _keys) in sorted(edges.items(), key=lambda e: (-e[1][0], e[0])):
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        sa, sb = span[ra], span[rb]
        joined = sa or sb
        if sa and sb:
            joined = (min(sa[0], sb[0]), max(sa[1], sb[1]))
            if joined[1] - joined[0] > MAX_SPAN_DAYS:
                continue
        low, high = min(ra, rb), max(ra, rb)
        parent[high] = low
        span[low] = joined
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(nodes)):
        groups[root(i)].append(i)
    return list(groups.values())


def _story(
    nodes: list[_Node],
    members: list[int],
    weights: dict[str, float],
    edges: dict[tuple[int, int], tuple[float, list[str]]],
) -> Story:
    """One group as a `Story`; `edges` are the ties inside the group."""
    strength: dict[int, float] = defaultdict(float)
    tied: dict[int, set[str]] = defaultdict(set)
    for (a, b), (score, keys) in edges.items():
        strength[a] += score
        strength[b] += score
        tied[a].update(keys)
        tied[b].update(keys)
    # How many members use each key, and the spelling most of them use.
    spread: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for i in members:
        for key in nodes[i].signals.keys & weights.keys():
            spread[key] += 1
            spellings[key][nodes[i].signals.written[key]] += 1
    written = {
        k: min(c.items(), key=lambda s: (-s[1], not s[0].isascii(), s[0]))[0] for k, c in spellings.items()
    }
    ordered = sorted(members, key=lambda i: _earliest_key(nodes[i]))
    # The headline: in the story's most used language, from the member most tied to the others.
    languages = Counter(nodes[i].article.language or "" for i in members)
    central = min(
        members,
        key=lambda i: (
            -languages[nodes[i].article.language or ""],
            -round(strength[i], 6),
            _earliest_key(nodes[i]),
        ),
    )
    story_members = []
    for i in ordered:
        article = nodes[i].article
        keys = sorted(tied[i], key=lambda k: (-spread[k], -weights[k], written[k].casefold(), k))
        story_members.append(
            StoryMember(
                article_id=article.id,
                source=article.source,
                title=article.title,
                path=article.path,
                url=article.url,
                published=nodes[i].signals.dated,
                language=article.language,
                copies=[StoryCopy(source=c.source, path=c.path, url=c.url) for c in article.copies],
                shared=_distinct([written[k] for k in keys])[:MAX_SHARED_SHOWN],
            )
        )
    independent = {_outlet_key(nodes[i].article.source, nodes[i].article.id) for i in members}
    outlets = independent | {
        _outlet_key(c.source, c.url or c.path or "") for i in members for c in nodes[i].article.copies
    }
    return Story(
        id=story_id(nodes[ordered[0]].article.id),
        headline=nodes[central].article.title,
        independent_outlets=len(independent),
        outlets=len(outlets),
        members=story_members,
    )


def _most_used(spellings: Counter[str]) -> str:
    """The spelling most members use; on a tie the Latin one (readable to most), then the first in order."""
    return min(spellings.items(), key=lambda s: (-s[1], not s[0].isascii(), s[0]))[0]


def _distinct(spellings: list[str]) -> list[str]:
    """Each spelling once, and no word already inside a longer one shown ('India' after 'Air India')."""
    seen: list[str] = []
    for spelling in spellings:
        folded = spelling.casefold()
        if any(folded == s.casefold() for s in seen):
            continue
        seen.append(spelling)
    return [s for s in seen if not any(s != o and f" {s.casefold()} " in f" {o.casefold()} " for o in seen)]


def _outlet_key(source: str, where: str) -> str:
    """What tells outlets apart: their name, or where the report was read when no name is known."""
    return f"{UNKNOWN_OUTLET}:{where}" if source == UNKNOWN_OUTLET else source.casefold()
