"""briefing: turn several news articles about one story into a short, cited, checkable brief."""

from briefing.contracts import (
    SCHEMA_VERSION,
    Article,
    ArticleExtraction,
    Brief,
    Claim,
    Entity,
    ExtractedArticle,
    ExtractionMeta,
    Figure,
    InterpretationPoint,
    Quote,
)
from briefing.errors import BriefingError, FatalProviderError, NoArticlesError, ProviderError, UserError
from briefing.ingest.read import ingest
from briefing.merge.brief import MergeOptions, merge
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render.brief import render, render_json, render_markdown

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "ArticleExtraction",
    "BackendChoice",
    "Brief",
    "BriefingError",
    "BuildOptions",
    "Claim",
    "Entity",
    "ExtractedArticle",
    "ExtractionMeta",
    "FatalProviderError",
    "Figure",
    "InterpretationPoint",
    "MergeOptions",
    "NoArticlesError",
    "ProviderError",
    "Quote",
    "UserError",
    "build",
    "ingest",
    "merge",
    "render",
    "render_json",
    "render_markdown",
]
