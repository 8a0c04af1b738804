"""briefing: turn several news articles about one story into a short, cited, checkable brief.

The public names load on first use (PEP 562), so `import briefing.contracts` or
`briefing --help` does not pay for the extraction, fetching and rendering libraries.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from briefing.contracts import (
        SCHEMA_VERSION,
        Article,
        ArticleExtraction,
        Brief,
        Claim,
        Edition,
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
    from briefing.pipeline import BackendChoice, BuildOptions, build, build_edition
    from briefing.render.brief import render, render_json, render_markdown
    from briefing.render.edition import render_edition

_HOMES = {
    "briefing.contracts": (
        "SCHEMA_VERSION",
        "Article",
        "ArticleExtraction",
        "Brief",
        "Claim",
        "Edition",
        "Entity",
        "ExtractedArticle",
        "ExtractionMeta",
        "Figure",
        "InterpretationPoint",
        "Quote",
    ),
    "briefing.errors": (
        "BriefingError",
        "FatalProviderError",
        "NoArticlesError",
        "ProviderError",
        "UserError",
    ),
    "briefing.ingest.read": ("ingest",),
    "briefing.merge.brief": ("MergeOptions", "merge"),
    "briefing.pipeline": ("BackendChoice", "BuildOptions", "build", "build_edition"),
    "briefing.render.brief": ("render", "render_json", "render_markdown"),
    "briefing.render.edition": ("render_edition",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "SCHEMA_VERSION",
    "Article",
    "ArticleExtraction",
    "BackendChoice",
    "Brief",
    "BriefingError",
    "BuildOptions",
    "Claim",
    "Edition",
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
    "build_edition",
    "ingest",
    "merge",
    "render",
    "render_edition",
    "render_json",
    "render_markdown",
]


# Three public functions share their names with the stage packages that hold them. Importing
# a submodule sets the package as an attribute here the first time only: so the packages
# (docstrings, nothing heavy) are imported now and their names left to `__getattr__`.
for _package in ("briefing.ingest", "briefing.merge", "briefing.render"):
    importlib.import_module(_package)
    globals().pop(_package.rpartition(".")[2], None)


def __getattr__(name: str) -> object:
    """Import a public name's module on first use and keep the name here."""
    home = _HOME_OF.get(name)
    if home is None:
        raise AttributeError(f"module 'briefing' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
