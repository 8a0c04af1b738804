"""The shape of a labelled cluster's `labels.json` (documented in `tests/eval/README.md`).

Kept apart from the scoring so that the metrics (`briefing.check.metrics`) and the loader
(`briefing.check.evaluate`) read one definition. Every field added after the first labels
has a default, so older labels stay valid; unknown keys are an error, so a typo in a label
is caught instead of silently scoring nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CanonicalName", "KeyFact", "LabelledDiscrepancy", "Labels"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyFact(_Model):
    fact: str
    keywords: list[str] = Field(description="Words that all occur in the brief when it gives the fact.")
    phrasings: list[list[str]] = Field(
        default_factory=list,
        description="Other wordings of the fact, each a list of words that all occur in one shown item. "
        "They also decide which item states the fact (for redundancy); without them the keywords do.",
    )
    sources: list[str] = Field(default_factory=list)
    time_dependent: bool = False
    note: str | None = None


class LabelledDiscrepancy(_Model):
    kind: Literal["figure", "role"]
    subject: str = Field(description="The one quantity (subject, measure, period) or the person, in words.")
    values: list[str]
    sources: dict[str, list[str]] = Field(default_factory=dict)
    time_dependent: bool = Field(
        default=False, description="A count that changed between reports: a timeline, not a disagreement."
    )
    note: str | None = None


class CanonicalName(_Model):
    name: str = Field(description="The spelling a brief should use: the one most sources use.")
    variants: list[str] = Field(default_factory=list, description="Other spellings seen in the articles.")
    note: str | None = None


class Labels(_Model):
    """The contents of a cluster's `labels.json` (see `tests/eval/README.md`)."""

    articles_dir: str = "articles"
    story: str = ""
    entity_groups: list[list[str]] = Field(default_factory=list)
    distinct_entities: list[list[str]] = Field(default_factory=list)
    canonical_names: list[CanonicalName] = Field(default_factory=list)
    discrepancies: list[LabelledDiscrepancy] = Field(default_factory=list)
    not_discrepancies: list[str] = Field(default_factory=list)
    not_discrepancy_values: list[str] = Field(default_factory=list)
    not_discrepancy_pairs: list[tuple[str, str]] = Field(
        default_factory=list, description="Two values that must never be shown as one disagreement."
    )
    key_facts: list[KeyFact] = Field(default_factory=list)
    quotes: list[dict[str, Any]] = Field(default_factory=list)
    ingest: dict[str, dict[str, Any]] = Field(default_factory=dict)
