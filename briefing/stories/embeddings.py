"""Sentence embeddings behind a small protocol, so the grouping does not care where they come from.

The default is WordLlama's English model, whose weights ship inside the `wordllama` wheel:
grouping works offline with nothing to download. Its loader looks for the bundled tokenizer
in the wrong folder, so it is pointed at the package's own folder with downloads disabled.
An endpoint's `/v1/embeddings` can stand in later behind the same protocol.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Embedder", "WordLlamaEmbedder", "default_embedder"]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors whose dot product says how alike their meanings are."""

    name: str
    """Recorded with the result, so two groupings made with different models are not confused."""
    languages: frozenset[str] | None
    """The languages it was trained on (None: any); texts in others get no embedding signal."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text, in the order given."""
        ...


class WordLlamaEmbedder:
    """WordLlama's bundled 256-dimension English model: 16 MB, loaded without touching the network."""

    name = "wordllama-l2-supercat-256"
    languages: frozenset[str] | None = frozenset({"en"})

    def __init__(self) -> None:
        import os

        import wordllama
        from wordllama import WordLlama

        self._model = WordLlama.load(
            dim=256, cache_dir=os.path.dirname(wordllama.__file__), disable_download=True
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        vectors = self._model.embed(list(texts), norm=True)
        return np.asarray(vectors, dtype=np.float32)


@functools.cache
def default_embedder() -> Embedder:
    """The bundled model, loaded once per process (about a tenth of a second)."""
    return WordLlamaEmbedder()
