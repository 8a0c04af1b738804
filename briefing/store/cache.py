"""Content-addressed cache of model extractions, in SQLite on disk.

The model call is the only slow, paid and non-deterministic step, so its result is kept:
a re-run on unchanged articles makes no model call at all. The key is a hash of what
decides the answer: the article's text hash (`Article.id`), the endpoint, the model, the
prompt version and the schema version. Changing the prompt or the schema therefore
misses exactly the entries made with the old one; nothing else is invalidated. Only
successful model extractions are stored (a fallback is retried next time), with the
items the evidence check removed, never a key or a request.

The same file records the batches `--batch` has submitted and not yet collected, so a
run that stops while a batch is in progress picks it up again on the next run, and the
article pages fetched from the web (`PageCache`), so that a re-run reads the same bytes.

Where: `$BRIEFING_CACHE_DIR/extractions.sqlite3` when that is set, else the user's cache
directory (`~/.cache/briefing` on Linux, from platformdirs). One file serves several
processes at once (SQLite's write-ahead log); within a process, one connection is shared
under a lock by whatever thread uses it. The cache is never worth a lost run: a damaged
file is moved aside as `<name>.corrupt-<UTC time>` and started afresh, and one that
cannot be written is done without, each with one line in the run report.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from briefing.contracts import SCHEMA_VERSION, Article, ArticleExtraction, ExtractionMeta
from briefing.store.database import CacheTables

__all__ = [
    "CACHE_FILE",
    "CacheStats",
    "CachedPage",
    "ExtractionCache",
    "PageCache",
    "cache_key",
    "default_cache_path",
]

CACHE_FILE = "extractions.sqlite3"


def default_cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """`extractions.sqlite3` in the `cache_dir` setting ($BRIEFING_CACHE_DIR), else the user cache folder."""
    from briefing.settings import load_settings

    return load_settings(environ=environ).cache_path()


def cache_key(article: Article, *, endpoint: str, model: str, prompt_version: str) -> str:
    """The key of one article's extraction by one model with one prompt and schema."""
    parts = (article.id, endpoint, model, prompt_version, SCHEMA_VERSION)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class CacheStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    entries: int
    bytes: int
    by_model: dict[str, int]


class ExtractionCache(CacheTables):
    """Extractions by `cache_key`, in one SQLite file.

    Never stops a run: a damaged file is moved aside and started afresh, and a file that
    cannot be written (or a write that fails later) means running without the cache;
    each is one line in `notes` (see `briefing.store.database.CacheDatabase`).
    """

    def get(self, key: str) -> tuple[ArticleExtraction, ExtractionMeta] | None:
        """The stored extraction and its meta, or None (also for a row that no longer parses)."""
        rows = self._db.read("SELECT extraction, meta FROM extractions WHERE key = ?", (key,))
        if not rows:
            return None
        extraction, meta = rows[0]
        try:
            return ArticleExtraction.model_validate_json(extraction), ExtractionMeta.model_validate_json(meta)
        except ValueError:
            return None  # written by an incompatible version: extract again and overwrite

    def put(self, key: str, extraction: ArticleExtraction, meta: ExtractionMeta) -> None:
        """Keep an extraction; a failed write is a note, never an error."""
        row = (
            key,
            meta.model or "",
            meta.prompt_version or "",
            meta.schema_version,
            extraction.model_dump_json(),
            meta.model_dump_json(),
            time.time(),
        )
        self._db.write("INSERT OR REPLACE INTO extractions VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    # -- submitted batches (see `briefing.extract.model.batch`) ---------------------------

    def batch_for(self, job: str) -> str | None:
        """The id of the batch submitted for `job` and not yet collected, if any."""
        rows = self._db.read("SELECT batch_id FROM batches WHERE job = ?", (job,))
        return str(rows[0][0]) if rows else None

    def remember_batch(self, job: str, batch_id: str) -> None:
        """Record a submitted batch at once, so that a restart polls it instead of paying again."""
        self._db.write("INSERT OR REPLACE INTO batches VALUES (?, ?, ?)", (job, batch_id, time.time()))

    def forget_batch(self, job: str) -> None:
        """Drop a batch whose answers are collected (and cached) or that ended without them."""
        self._db.write("DELETE FROM batches WHERE job = ?", (job,))

    def stats(self) -> CacheStats:
        rows = self._db.read("SELECT model, COUNT(*) FROM extractions GROUP BY model ORDER BY model")
        by_model = {str(model): int(count) for model, count in rows}
        files = [self.path.with_name(self.path.name + suffix) for suffix in ("", "-wal", "-shm")]
        size = sum(p.stat().st_size for p in files if p.is_file())
        return CacheStats(path=str(self.path), entries=sum(by_model.values()), bytes=size, by_model=by_model)

    def clear(self) -> int:
        """Remove every entry; returns how many there were (-1 when the file could not be changed)."""
        removed = self._db.write("DELETE FROM extractions")
        if removed >= 0:
            self._db.vacuum()
        return removed


class CachedPage(NamedTuple):
    """A page as it was fetched: where it came from after redirects, its Content-Type, its bytes."""

    final_url: str
    content_type: str
    body: bytes


class PageCache(CacheTables):
    """Fetched pages by URL, in the cache file (`briefing cache clear` empties it too).

    Like the extraction cache, it never stops a run: see `briefing.store.database.CacheDatabase`.
    """

    def get(self, url: str) -> CachedPage | None:
        rows = self._db.read("SELECT final_url, content_type, body FROM pages WHERE url = ?", (url,))
        if not rows:
            return None
        final_url, content_type, body = rows[0]
        return CachedPage(str(final_url), str(content_type), bytes(body))

    def put(self, url: str, final_url: str, content_type: str, body: bytes) -> None:
        """Keep the page fetched for `url`; a failed write is a note, never an error."""
        self._db.write(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?)",
            (url, final_url, content_type, body, time.time()),
        )

    def count(self) -> int:
        rows = self._db.read("SELECT COUNT(*) FROM pages")
        return int(rows[0][0]) if rows else 0

    def clear(self) -> int:
        """Remove every page; returns how many there were (-1 when the file could not be changed)."""
        return self._db.write("DELETE FROM pages")
