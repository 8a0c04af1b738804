"""Syndication: the same story published by several sites is one source, not three.

News agencies' stories are republished by many sites, with a new headline, a trimmed
last paragraph, an editor's line on top. Counted as separate sources they would
make one agency look like a consensus and cost one model call each. So before
extraction, articles whose texts are near-identical are folded into one: the
earliest (then the most central) copy is extracted and cited, and the others are
listed under it in the brief's Sources.

Near-identical is decided on word 5-shingles. MinHash with locality-sensitive hashing
(datasketch) finds the candidate pairs without comparing every pair; each candidate
is then confirmed on the exact shingle sets: at least `MIN_JACCARD` of all shingles
shared, and at least `MIN_CONTAINMENT` of the shorter text found in the longer. The
hashes are seeded and the groups ordered by input position, so the same articles give
the same folding every time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.contracts import Article, ArticleCopy, InputProblem
from briefing.text import comparable

__all__ = ["MIN_CONTAINMENT", "MIN_JACCARD", "SHINGLE_WORDS", "fold_copies", "shingles"]

SHINGLE_WORDS = 5
MIN_JACCARD = 0.5
MIN_CONTAINMENT = 0.8
MIN_SHINGLES = 20
"""Texts shorter than this many shingles are only folded when identical: too little to judge."""
_NUM_PERM = 128
_SEED = 1
_WORD = re.compile(r"\w+")


def shingles(text: str) -> frozenset[str]:
    """The overlapping runs of `SHINGLE_WORDS` words of `text`, compared case- and typography-blind."""
    words = _WORD.findall(comparable(text))
    if len(words) < SHINGLE_WORDS:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1))


@dataclass(frozen=True)
class _Pair:
    jaccard: float
    containment: float


def _compare(a: frozenset[str], b: frozenset[str]) -> _Pair:
    shared = len(a & b)
    union = len(a | b)
    smaller = min(len(a), len(b))
    return _Pair(jaccard=shared / union if union else 1.0, containment=shared / smaller if smaller else 1.0)


def _is_copy(a: frozenset[str], b: frozenset[str]) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_SHINGLES:
        return False
    pair = _compare(a, b)
    return pair.jaccard >= MIN_JACCARD and pair.containment >= MIN_CONTAINMENT


def _candidate_pairs(sets: Sequence[frozenset[str]]) -> set[tuple[int, int]]:
    """Pairs (i < j) whose MinHash signatures suggest a Jaccard similarity near `MIN_JACCARD` or more."""
    from datasketch import MinHash, MinHashLSH  # imported late: scipy loads with it

    lsh = MinHashLSH(threshold=MIN_JACCARD * 0.8, num_perm=_NUM_PERM)
    pairs: set[tuple[int, int]] = set()
    for index, items in enumerate(sets):
        signature = MinHash(num_perm=_NUM_PERM, seed=_SEED)
        signature.update_batch([s.encode("utf-8") for s in sorted(items)])
        for other in lsh.query(signature):
            pairs.add((int(other), index))
        lsh.insert(str(index), signature)
    return pairs


def fold_copies(articles: Sequence[Article]) -> tuple[list[Article], list[InputProblem]]:
    """Fold near-identical articles into one each; one line per copy says which and why.

    The article kept is the original: not one whose credit line names another member's
    outlet as its origin; then the earliest published of its group (undated ones last),
    then the one sharing most with the others (not the copy with an editor's line
    added), then the first given. It keeps its own text and id and lists the
    others in `copies`, by outlet. Articles stay in input order.
    """
    if len(articles) < 2:
        return list(articles), []
    sets = [shingles(a.text) for a in articles]
    parent = list(range(len(articles)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    identical: dict[str, int] = {}
    for index, article in enumerate(articles):
        first = identical.setdefault(article.id, index)
        if first != index:
            parent[root(index)] = root(first)
    for i, j in sorted(_candidate_pairs(sets)):
        if root(i) != root(j) and _is_copy(sets[i], sets[j]):
            parent[max(root(i), root(j))] = min(root(i), root(j))

    groups: dict[int, list[int]] = {}
    for index in range(len(articles)):
        groups.setdefault(root(index), []).append(index)

    kept: dict[int, Article] = {}
    problems: list[InputProblem] = []
    for members in groups.values():
        if len(members) == 1:
            kept[members[0]] = articles[members[0]]
            continue
        chosen = min(members, key=lambda i: _rank(i, members, articles, sets))
        original = articles[chosen]
        copies = [m for m in members if m != chosen]
        for m in copies:
            copy = articles[m]
            if copy.id == original.id:
                reason = f"same text as {original.path or original.source}"
            else:
                share = _compare(sets[m], sets[chosen]).containment
                reason = (
                    f"{share:.0%} the same text as {original.path or original.source} (a syndicated copy)"
                )
            problems.append(
                InputProblem(path=copy.path or copy.source, reason=reason, action="listed as a copy of it")
            )
        listed = sorted(copies, key=lambda m: _name(articles[m]))
        kept[chosen] = original.model_copy(
            update={
                "copies": [*original.copies, *(_copy_of(articles[m], sets[m], sets[chosen]) for m in listed)]
            }
        )
    return [kept[i] for i in sorted(kept)], problems


def _rank(
    index: int, members: list[int], articles: Sequence[Article], sets: Sequence[frozenset[str]]
) -> tuple:
    published = articles[index].published
    centrality = sum(_compare(sets[index], sets[m]).jaccard for m in members if m != index)
    credit = _outlet(articles[index].credit or "")
    republished = bool(credit) and any(_outlet(articles[m].source) == credit for m in members if m != index)
    return (republished, published is None, published or "", -round(centrality, 6), _name(articles[index]))


def _outlet(name: str) -> str:
    """An outlet's name as compared: "The Harbour Ledger" and "Harbour Ledger" are one."""
    folded = name.strip().casefold()
    return folded[4:] if folded.startswith("the ") else folded


def _name(article: Article) -> tuple[str, str, str]:
    """What tells copies apart whatever order they came in: outlet, title, address."""
    return (article.source.casefold(), article.title, article.url or article.path or "")


def _copy_of(article: Article, own: frozenset[str], original: frozenset[str]) -> ArticleCopy:
    return ArticleCopy(
        source=article.source,
        title=article.title,
        published=article.published,
        url=article.url,
        path=article.path,
        similarity=round(_compare(own, original).jaccard, 2),
    )
