"""One way to make test articles: `article(text, ...)` in memory, `write_articles(folder, {...})` on disk.

`article` builds the `Article` ingest would hand on, without reading a file: a test that
is about extraction, merge or the model backend does not depend on ingest's clean-up.
Its id defaults to ingest's (the first 12 hex digits of the text's SHA-256); a test that
scripts the fault server by article, or checks ids in a brief, passes its own.

`write_articles` writes article files for the tests that go through ingest or the CLI:
text is written as UTF-8, bytes as they are (a damaged, binary or differently encoded file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from briefing.contracts import Article


def article(
    text: str,
    *,
    id: str | None = None,
    source: str = "test",
    title: str = "Test article",
    **fields: Any,
) -> Article:
    """An article with this text; other `Article` fields (path, published, language...) by name."""
    if id is None:
        id = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Article(id=id, source=source, title=title, text=text, **fields)


def write_articles(folder: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write each `name: content` into `folder` (made if missing); the paths, in the order given."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def output_sources(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every source of `build --format json` output: a brief's, or an edition's stories' and one-liners'."""
    if "stories" not in data:
        return list(data["sources"])
    return [s for story in [*data["stories"], *data["also_reported"]] for s in story["sources"]]
