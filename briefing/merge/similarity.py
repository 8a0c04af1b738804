"""Cheap, deterministic text similarity for comparing claims across sources.

Claims are compared as weighted sets of content words (IDF-weighted Jaccard) with
their numbers masked, so "exports fell 34.5%" and "exports fell 34-35%" look alike
and the merge can then notice that the figures differ. Candidate pairs come from an
inverted index over the rarer words, so the cost grows with the number of claims
that share vocabulary, not with the square of all claims.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from unidecode import unidecode

from briefing.merge.numbers import mask_figures

__all__ = ["TokenIndex", "content_tokens"]

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "their",
        "there",
        "than",
        "then",
        "so",
        "such",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "while",
        "into",
        "over",
        "under",
        "about",
        "after",
        "before",
        "between",
        "during",
        "since",
        "until",
        "also",
        "not",
        "no",
        "nor",
        "very",
        "more",
        "most",
        "less",
        "least",
        "some",
        "any",
        "each",
        "other",
        "both",
        "all",
        "can",
        "could",
        "would",
        "should",
        "will",
        "may",
        "might",
        "must",
        "said",
        "says",
        "say",
        "according",
        "per",
        "mr",
        "mrs",
        "ms",
        "dr",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "we",
        "our",
        "us-based",
        "i",
        "you",
        "your",
        "one",
        "two",
        "three",
        "new",
    ]
)
# Spellings of the same thing that plain tokens would keep apart.
ALIASES = {
    "u.s.": "us",
    "u.s": "us",
    "usa": "us",
    "america": "us",
    "american": "us",
    "americans": "us",
    "washington": "us",
    "chinese": "china",
    "beijing": "china",
    "british": "uk",
    "britain": "uk",
}
_WORD = re.compile(r"[a-z0-9][a-z0-9.'-]*[a-z0-9]|[a-z0-9]")
_SUFFIXES = ("ingly", "ments", "ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s")


@functools.lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=1 << 16)
def _content_word(raw: str) -> str:
    """The token a word as found stands for, or "" when it says nothing (cached: words repeat)."""
    word = raw.strip(".'-")
    if word.endswith("'s"):
        word = word[:-2]
    word = ALIASES.get(word, word)
    if len(word) < 2 or word in STOPWORDS or word.isdigit():
        return ""
    return _stem(word)


def content_tokens(text: str) -> frozenset[str]:
    """Content words of a text, lower-cased, transliterated to ASCII, lightly stemmed, numbers masked."""
    lowered = unidecode(mask_figures(text)).lower().replace("united states", "us")
    return frozenset(map(_content_word, _WORD.findall(lowered))) - {""}


SAMPLE_SIZE = 32
"""How many items a summed similarity compares with (see `TokenIndex.support`)."""
EXACT_UP_TO = 2000
"""Items up to which `TokenIndex.candidates` is exhaustive."""
BOUNDED_POSTINGS = 16
BOUNDED_CANDIDATES = 8


class TokenIndex:
    """Inverted index over token sets, for finding which items are worth comparing.

    Up to `EXACT_UP_TO` items every candidate is returned, except through very common
    words (in more than `max_df_share` of the items), which would make every item a
    candidate of every other and say nothing.

    Above it the cost of a merge must still grow with the number of claims, not its
    square, so each token keeps only its first `BOUNDED_POSTINGS` items and an item's
    candidates are the `BOUNDED_CANDIDATES` sharing the most tokens with it. Every word
    is indexed then, however common: a fact that thousands of sources report still
    clusters, each later report finding the earlier ones through the words they share.
    """

    def __init__(self, items: Sequence[frozenset[str]], *, max_df_share: float = 0.2) -> None:
        self.items = list(items)
        df: dict[str, int] = defaultdict(int)
        for tokens in self.items:
            for token in tokens:
                df[token] += 1
        n = max(1, len(self.items))
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self._mass = [math.fsum(map(self.idf.__getitem__, tokens)) for tokens in self.items]
        self.bounded = len(self.items) > EXACT_UP_TO
        limit = n if self.bounded else max(3, int(max_df_share * n))
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, tokens in enumerate(self.items):
            for token in tokens:
                if df[token] <= limit:
                    posting = self._postings[token]
                    if not self.bounded or len(posting) < BOUNDED_POSTINGS:
                        posting.append(i)

    def candidates(self, i: int, *, min_shared: int = 2) -> list[int]:
        """Items sharing at least `min_shared` indexed tokens with item i, in index order."""
        postings = self._postings
        counts = Counter(itertools.chain.from_iterable(postings.get(t, ()) for t in self.items[i]))
        counts.pop(i, None)
        if not self.bounded:
            return sorted(j for j, c in counts.items() if c >= min_shared)
        # The few postings a token keeps make a short list: sorting it whole is quicker than a heap.
        ranked = sorted((-c, j) for j, c in counts.items() if c >= min_shared)
        return sorted(j for _, j in ranked[:BOUNDED_CANDIDATES])

    def similarity(self, i: int, j: int) -> float:
        """IDF-weighted Jaccard similarity of items i and j (0..1), from their precomputed weights.

        Sums use `math.fsum`, which is exactly rounded and so independent of the order a
        set yields its items in (that order changes with Python's hash seed): the same
        inputs give the same bytes in every process.
        """
        shared = math.fsum(map(self.idf.__getitem__, self.items[i] & self.items[j]))
        union = self._mass[i] + self._mass[j] - shared
        return shared / union if union > 0 else 0.0

    def support(self, i: int, among: Sequence[int]) -> float:
        """How like the items `among` item i is: its summed similarity to them.

        Up to `SAMPLE_SIZE` of them are compared, the same ones for every i (the
        first in `among`'s order), so a group of thousands costs thousands of
        comparisons, not millions, and the answer is still deterministic.
        """
        others = [j for j in among[: SAMPLE_SIZE + 1] if j != i][:SAMPLE_SIZE]
        return math.fsum(self.similarity(i, j) for j in others)
