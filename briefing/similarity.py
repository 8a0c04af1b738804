"""Cheap, deterministic text similarity for comparing claims across sources.

Claims are compared as weighted sets of content words (IDF-weighted Jaccard) with
their numbers masked, so "exports fell 34.5%" and "exports fell 34-35%" look alike
and the merge can then notice that the figures differ. Candidate pairs come from an
inverted index over the rarer words, so the cost grows with the number of claims
that share vocabulary, not with the square of all claims.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence

from unidecode import unidecode

from briefing.figures import mask_figures

__all__ = ["TokenIndex", "content_tokens", "weighted_jaccard"]

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


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_tokens(text: str) -> frozenset[str]:
    """Content words of a text, lower-cased, transliterated to ASCII, lightly stemmed, numbers masked."""
    lowered = unidecode(mask_figures(text)).lower().replace("united states", "us")
    out: set[str] = set()
    for raw in _WORD.findall(lowered):
        word = raw.strip(".'-")
        if word.endswith("'s"):
            word = word[:-2]
        word = ALIASES.get(word, word)
        if len(word) < 2 or word in STOPWORDS or word.isdigit():
            continue
        out.add(_stem(word))
    return frozenset(out)


def weighted_jaccard(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    """IDF-weighted Jaccard similarity of two token sets (0..1); summed in sorted order for stable bytes."""
    union = a | b
    if not union:
        return 0.0
    shared = sum(idf.get(t, 1.0) for t in sorted(a & b))
    total = sum(idf.get(t, 1.0) for t in sorted(union))
    return shared / total if total else 0.0


class TokenIndex:
    """Inverted index over token sets, for finding which items are worth comparing."""

    def __init__(self, items: Sequence[frozenset[str]], *, max_df_share: float = 0.2) -> None:
        self.items = list(items)
        df: dict[str, int] = defaultdict(int)
        for tokens in self.items:
            for token in tokens:
                df[token] += 1
        n = max(1, len(self.items))
        self.idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        # Very common words would make every item a candidate of every other.
        limit = max(3, int(max_df_share * n))
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, tokens in enumerate(self.items):
            for token in tokens:
                if df[token] <= limit:
                    self._postings[token].append(i)

    def candidates(self, i: int, *, min_shared: int = 2) -> list[int]:
        """Items sharing at least `min_shared` indexed tokens with item i, in index order."""
        counts: dict[int, int] = defaultdict(int)
        for token in self.items[i]:
            for j in self._postings.get(token, ()):
                if j != i:
                    counts[j] += 1
        return sorted(j for j, c in counts.items() if c >= min_shared)

    def similarity(self, i: int, j: int) -> float:
        return weighted_jaccard(self.items[i], self.items[j], self.idf)
