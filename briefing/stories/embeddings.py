"""Sentence embeddings behind a small protocol, so the grouping does not care where they come from.

The default is WordLlama's English model, whose weights ship inside the `wordllama` wheel:
grouping works offline with nothing to download. Its loader looks for the bundled tokenizer
in the wrong folder, so it is pointed at the package's own folder with downloads disabled.

With `--embeddings-model` and a configured endpoint, `EndpointEmbedder` asks the endpoint's
`/v1/embeddings` instead (OpenAI, llama.cpp's server, vLLM and Ollama all serve it), and
keeps every vector in the cache file, so a re-run makes no call. An endpoint that fails
costs a bounded time (the client's timeout, `ENDPOINT_ATTEMPTS` tries of the first batch
and no more batches after one fails): `embed` then raises `EmbeddingsUnavailable` with one
line saying why, and the grouping uses the bundled model for every article instead, so one
day's vectors never mix two models.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from briefing.errors import BriefingError

if TYPE_CHECKING:
    import numpy as np
    import openai

    from briefing.store.embeddings import EmbeddingCache

__all__ = [
    "ENDPOINT_ATTEMPTS",
    "Embedder",
    "EmbeddingsUnavailable",
    "EndpointEmbedder",
    "WordLlamaEmbedder",
    "default_embedder",
]

ENDPOINT_ATTEMPTS = 2
"""Tries of one request to the embeddings endpoint (a retry for a 429, a 5xx or no answer)."""
BATCH_SIZE = 16
"""Texts per request: few requests, each one a small local server on a CPU answers within a timeout."""
_RETRY_WAIT_S = 0.5
_RETRY_AFTER_CAP_S = 5.0


class EmbeddingsUnavailable(BriefingError):
    """The embeddings endpoint gave no usable vectors; the message is one line, without the key."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors whose dot product says how alike their meanings are."""

    name: str
    """Recorded with the result, so two groupings made with different models are not confused."""
    languages: frozenset[str] | None
    """The languages it was trained on (None: any); texts in others get no embedding signal."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text, in the order given.

        Raises:
            EmbeddingsUnavailable: The vectors could not be had (an endpoint that is down);
                the grouping then embeds with the bundled model instead.
        """
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


class EndpointEmbedder:
    """An OpenAI-compatible endpoint's `/v1/embeddings`, each vector kept in the cache file.

    Attributes:
        failure: Why the endpoint gave no vectors (one line naming the host, never the key),
            once it failed; later calls fail at once with it.
        calls: Requests sent this run (a cached day sends none).
    """

    languages: frozenset[str] | None = None

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        host: str,
        cache: EmbeddingCache | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        """Use `client` (built by `briefing.extract.model.providers.make_client`) with `model`.

        `host` names the endpoint in the cache key and in messages; `cache` keeps the vectors.
        """
        self.name = f"{model}@{host}"
        self._client = client
        self._model = model
        self._host = host
        self._cache = cache
        self._batch_size = batch_size
        self.failure: str | None = None
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        from briefing.store.embeddings import embedding_key

        if self.failure is not None:
            raise EmbeddingsUnavailable(self.failure)
        keys = [embedding_key(self._model, self._host, text) for text in texts]
        stored = self._cache.get_many(keys) if self._cache is not None else {}
        vectors = {key: np.frombuffer(raw, dtype="<f4") for key, raw in stored.items()}
        missing = sorted(
            {key: text for key, text in zip(keys, texts, strict=True) if key not in vectors}.items()
        )
        for start in range(0, len(missing), self._batch_size):
            batch = missing[start : start + self._batch_size]
            fetched = self._request([text for _key, text in batch])
            new = {key: vector for (key, _text), vector in zip(batch, fetched, strict=True)}
            vectors.update(new)
            if self._cache is not None:
                raw = {key: vector.astype("<f4").tobytes() for key, vector in new.items()}
                self._cache.put_many(self._model, raw, len(fetched[0]))
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        rows = [vectors[key] for key in keys]
        if len({len(row) for row in rows}) != 1:
            raise self._fail("answered vectors of different lengths")
        matrix = np.vstack(rows).astype(np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms > 0, norms, 1.0)

    def _request(self, texts: list[str]) -> list[np.ndarray]:
        """The vectors of `texts`, in order, from one request tried up to `ENDPOINT_ATTEMPTS` times."""
        import openai

        problem = "gave no answer"
        wait = _RETRY_WAIT_S
        for attempt in range(ENDPOINT_ATTEMPTS):
            if attempt:
                time.sleep(wait)
            wait = _RETRY_WAIT_S
            self.calls += 1
            try:
                answer = self._client.embeddings.create(
                    model=self._model, input=texts, encoding_format="float"
                )
            except openai.APIStatusError as exc:
                problem = f"answered HTTP {exc.status_code}"
                if exc.status_code != 429 and exc.status_code < 500:
                    break  # a refusal (no such model, a bad key) is the same on a retry
                wait = _retry_after(exc)
                continue
            except openai.APITimeoutError:
                problem = "did not answer in time"
                continue
            except openai.APIConnectionError:
                problem = "could not be reached"
                continue
            except (openai.OpenAIError, ValueError):
                problem = "answered something that is not an embeddings response"
                continue
            data = sorted(answer.data or [], key=lambda item: item.index)
            vectors = [_pooled(item.embedding) for item in data]
            if len(data) != len(texts) or any(v is None for v in vectors):
                problem = "answered something other than one vector per text"
                continue
            if len({v.shape for v in vectors if v is not None}) > 1:
                problem = "answered vectors of different lengths"
                continue
            return [v for v in vectors if v is not None]
        raise self._fail(problem)

    def _fail(self, problem: str) -> EmbeddingsUnavailable:
        self.failure = f"embeddings: {self._host} {problem} (model {self._model!r})"
        return EmbeddingsUnavailable(self.failure)


def _pooled(embedding: object) -> np.ndarray | None:
    """One vector per text: a list of floats as it is, a list of per-token vectors averaged.

    llama.cpp's servers answer one vector per token for a model without a pooling layer
    (a chat model such as SmolLM2); their mean stands for the text. None: not a vector.
    """
    import numpy as np

    if not isinstance(embedding, list) or not embedding:
        return None
    try:
        matrix = np.asarray(embedding, dtype=np.float32)
    except (TypeError, ValueError):
        return None
    if matrix.ndim == 2 and matrix.shape[1]:
        matrix = matrix.mean(axis=0)
    if matrix.ndim != 1 or not np.all(np.isfinite(matrix)):
        return None
    return matrix


def _retry_after(exc: BaseException) -> float:
    """The server's Retry-After in seconds, capped; the usual wait when it gives none."""
    response = getattr(exc, "response", None)
    header = response.headers.get("retry-after") if response is not None else None
    try:
        return min(max(float(header), 0.0), _RETRY_AFTER_CAP_S) if header else _RETRY_WAIT_S
    except ValueError:
        return _RETRY_WAIT_S
