"""JSON Schema files exported from the Pydantic contracts.

The checked-in `schemas/` folder lets other tools (and reviewers) see the contract
without running Python; a test fails when it drifts from the models. Regenerate
with `python -m briefing.schemas`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from briefing.contracts import ArticleExtraction, Brief, Edition, Story
from briefing.review.edits import Edit

__all__ = ["SCHEMAS", "schema_texts", "write_schemas"]

SCHEMAS: dict[str, type[BaseModel]] = {
    "article_extraction.schema.json": ArticleExtraction,
    "brief.schema.json": Brief,
    "edit.schema.json": Edit,
    "edition.schema.json": Edition,
    "story.schema.json": Story,
}


def schema_texts() -> dict[str, str]:
    """File name -> schema text, formatted exactly as checked in."""
    return {
        name: json.dumps(model.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, model in SCHEMAS.items()
    }


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(path)
