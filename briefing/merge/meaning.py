"""How alike two claims mean, from the offline sentence embeddings the story stage uses.

Word overlap misses paraphrase: "the Chinese team was led by He Lifeng" and "the Chinese
delegation was headed by He Lifeng" share few content words. The bundled WordLlama model
(`briefing.stories.embeddings`) knows English only, so statements of other languages get
no embedding here and are merged on their words, figures and names alone.

Similarities are rounded before they are compared, so that the same statements give the
same clusters on every machine, whatever order the texts are embedded in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from briefing.merge.similarity import EXACT_UP_TO
from briefing.stories.embeddings import Embedder, default_embedder

__all__ = ["Meaning"]

_DIGITS = 4
"""Decimal places kept of a cosine similarity: float noise below them never decides a merge."""


class Meaning:
    """Pairwise meaning similarity of statements; None for a statement in a language the model lacks."""

    def __init__(
        self,
        statements: Sequence[str],
        groups: Sequence[str],
        known: Sequence[bool],
        embedder: Embedder | None = None,
    ) -> None:
        """Embed the `known` statements (those in a language the embedder reads).

        `groups` (the article of each statement) are never compared among themselves:
        one source does not corroborate itself. Above `EXACT_UP_TO` statements the pairwise
        matrix would grow with the square of a day's claims, so meaning is left to words.
        """
        self._groups = list(groups)
        self._rows: dict[int, int] = {}
        chosen = [i for i, ok in enumerate(known) if ok]
        self._matrix: Any = None
        if len(chosen) < 2 or len(chosen) > EXACT_UP_TO:
            return
        import numpy as np

        model = embedder or default_embedder()
        vectors = np.asarray(model.embed([statements[i] for i in chosen]), dtype=np.float64)
        self._rows = {i: row for row, i in enumerate(chosen)}
        self._matrix = np.round(vectors @ vectors.T, _DIGITS)

    def similarity(self, i: int, j: int) -> float | None:
        """Cosine similarity of statements i and j, or None when either has no embedding."""
        if i not in self._rows or j not in self._rows:
            return None
        return float(self._matrix[self._rows[i], self._rows[j]])

    def neighbours(self, threshold: float) -> list[list[tuple[int, float]]]:
        """For each statement, the statements of other sources at least `threshold` alike, in index order."""
        out: list[list[tuple[int, float]]] = [[] for _ in self._groups]
        if self._matrix is None:
            return out
        import numpy as np

        chosen = sorted(self._rows)
        rows, cols = np.nonzero(self._matrix >= threshold)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = chosen[r], chosen[c]
            if i != j and self._groups[i] != self._groups[j]:
                out[i].append((j, float(self._matrix[r, c])))
        return [sorted(pairs) for pairs in out]
