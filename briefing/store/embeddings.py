"""Embedding vectors from an endpoint, kept in the cache file beside the extractions.

Grouping a day's articles embeds each lead; through an endpoint that is a paid network
call, so each vector is kept and a re-run on the same articles makes no call. The key is
a hash of what decides the vector: the model, the endpoint's host and the text's own
hash. Never the API key, and never the text itself. Like every table of the cache file,
it never stops a run (see `briefing.store.database.CacheDatabase`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from briefing.store.database import CacheTables

__all__ = ["EmbeddingCache", "embedding_key"]

_READ_CHUNK = 500
_WRITE_CHUNK = 100


def embedding_key(model: str, host: str, text: str) -> str:
    """The key of one text's vector from one model at one endpoint host."""
    text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hashlib.sha256("\x1f".join((model, host, text_hash)).encode("utf-8")).hexdigest()


class EmbeddingCache(CacheTables):
    """Vectors by `embedding_key`, as little-endian float32 bytes."""

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors of those `keys` that have one (float32 bytes each)."""
        found: dict[str, bytes] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), _READ_CHUNK):
            chunk = unique[start : start + _READ_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.read(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk)
            found.update((str(key), bytes(vector)) for key, vector in rows)
        return found

    def put_many(self, model: str, vectors: dict[str, bytes], dimensions: int) -> None:
        """Keep vectors of one model; a failed write is a note, never an error."""
        now = time.time()
        rows = sorted(vectors.items())
        for start in range(0, len(rows), _WRITE_CHUNK):
            chunk = rows[start : start + _WRITE_CHUNK]
            marks = ",".join("(?, ?, ?, ?, ?)" for _ in chunk)
            params = [value for key, vector in chunk for value in (key, model, dimensions, vector, now)]
            self._db.write(f"INSERT OR REPLACE INTO embeddings VALUES {marks}", params)

    def count(self) -> int:
        rows = self._db.read("SELECT COUNT(*) FROM embeddings")
        return int(rows[0][0]) if rows else 0

    def clear(self) -> int:
        """Remove every vector; returns how many there were (-1 when the file could not be changed)."""
        return self._db.write("DELETE FROM embeddings")
