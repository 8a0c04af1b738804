"""Hand-labelled gold data for the bundled example: extractions and the expected merge.

The gold `ArticleExtraction`s in tests/gold/london-talks/ were written by hand from
the example articles; they stand in for a perfect extractor, so merge and render can
be tested on their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from briefing.contracts import ArticleExtraction, Backend, ExtractedArticle, ExtractionMeta
from briefing.pipeline import gather

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "london-talks"
GOLD = ROOT / "tests" / "gold" / "london-talks"


def gold_extracted(example: Path = EXAMPLE, gold: Path = GOLD) -> list[ExtractedArticle]:
    """The example articles, ingested for real, each paired with its gold extraction."""
    result = gather([str(example)])
    out = []
    for article in result.articles:
        stem = Path(article.path or "").stem
        data = json.loads((gold / f"{stem}.json").read_text(encoding="utf-8"))
        out.append(
            ExtractedArticle(
                article=article,
                extraction=ArticleExtraction.model_validate(data),
                meta=ExtractionMeta(backend=Backend.extractive),
            )
        )
    return out


def labels(gold: Path = GOLD) -> dict[str, Any]:
    return json.loads((gold / "labels.json").read_text(encoding="utf-8"))
