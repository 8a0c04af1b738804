"""Pydantic contracts passed between pipeline stages.

Every stage takes and returns these models and nothing else, so a stage can be
replaced (a model backend for the extractive one, say) without the others
noticing. The models the language model fills (`ArticleExtraction` and the
models inside it) carry field descriptions written as instructions: instructor
sends them to the model as part of the JSON schema, so they are the prompt as
much as the documentation.

`SCHEMA_VERSION` must be bumped whenever a model the language model fills
changes shape or meaning; it is recorded in every extraction and brief, and it
is part of the extraction cache key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------
# ingest -> extract
# ---------------------------------------------------------------------------


class ArticleCopy(_Model):
    """Another site's copy of an article (the same wire story, lightly edited): listed, not extracted."""

    source: str
    title: str
    published: str | None = None
    url: str | None = None
    path: str | None = None
    similarity: float = Field(
        description="Jaccard similarity of the two texts' word 5-shingles (1: identical)."
    )


class Article(_Model):
    """One cleaned news article, as every later stage sees it."""

    id: str = Field(description="Stable id: the first 12 hex digits of the SHA-256 of the cleaned text.")
    source: str = Field(
        description="The outlet: from a 'Source:' line, the page, a byline or a dateline; else "
        "'unknown outlet'."
    )
    title: str = Field(
        description="The article's title: the page's, its first line if it looks like one, else its lead "
        "sentence, shortened."
    )
    path: str | None = Field(default=None, description="Where the article was read from ('-' for stdin).")
    text: str = Field(description="Cleaned text: paragraphs separated by a blank line.")
    author: str | None = Field(default=None, description="The byline, when the page names one.")
    published: str | None = Field(default=None, description="Publication date (YYYY-MM-DD) when known.")
    url: str | None = Field(default=None, description="The web address it was fetched from, when it was.")
    language: str | None = Field(
        default=None, description="ISO 639-1 code of the language detected in the text (None: unsure)."
    )
    credit: str | None = Field(
        default=None,
        description="The outlet the article says it republishes ('... under an agreement with Nordic Wire').",
    )
    copies: list[ArticleCopy] = Field(
        default_factory=list,
        description="Near-identical articles from other sites (syndicated copies), folded into this one.",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="What ingest changed (debris removed, duplicate paragraphs dropped, encoding guessed).",
    )

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


PART_LOST = ", the rest lost"
"""How an `InputProblem`'s action ends when only part of the input could be read (a feed cut off)."""


class InputProblem(_Model):
    """An input that could not be used, or was used with a caveat."""

    path: str
    reason: str
    action: str = Field(description="What was done about it: 'skipped', 'decoded as cp1252', ...")

    def line(self) -> str:
        return f"{self.path}: {self.reason}; {self.action}"

    def lost(self) -> bool:
        """Whether some of this input is missing from the brief: skipped whole, or cut off part-way.

        A run with such an input is degraded (exit 3), like one with a fallback.
        """
        return self.action == "skipped" or self.action.endswith(PART_LOST)


class IngestResult(_Model):
    articles: list[Article]
    problems: list[InputProblem] = Field(default_factory=list)
    cache_notes: list[str] = Field(
        default_factory=list,
        description="What went wrong with the page cache, one line each (see RunReport).",
    )


# ---------------------------------------------------------------------------
# stories: a day's articles grouped into events
# ---------------------------------------------------------------------------


class StoryCopy(_Model):
    """A syndicated copy folded into a member: where it was read, so every source can be cited."""

    source: str = Field(description="Short label for the copy's source (its outlet, or 'unknown outlet').")
    path: str | None = Field(default=None, description="Where the copy was read from, when a file.")
    url: str | None = Field(default=None, description="The web address of the copy, when fetched.")


class StoryMember(_Model):
    """One article of a story, with what ties it to the story's other members."""

    article_id: str = Field(description="The article's `Article.id`.")
    source: str = Field(description="Short label for the article's source (its outlet, or 'unknown outlet').")
    title: str = Field(description="The article's title.")
    path: str | None = Field(default=None, description="Where the article was read from ('-' for stdin).")
    url: str | None = Field(default=None, description="The web address it was fetched from, when it was.")
    published: str | None = Field(
        default=None,
        description="Publication date (YYYY-MM-DD): the article's, else one written at its top.",
    )
    language: str | None = Field(default=None, description="ISO 639-1 code of the article's language.")
    copies: list[StoryCopy] = Field(
        default_factory=list, description="Syndicated copies folded into this article (counted once)."
    )
    shared: list[str] = Field(
        default_factory=list,
        description="What this article shares with other members: names, places, organisations and "
        "figures, as the story's articles write them, most widely shared first (empty for a story of one).",
    )


class Story(_Model):
    """One real-world event, as the day's articles report it."""

    id: str = Field(
        description="Stable id derived from the earliest member (by publication date, then article id), "
        "so a later day's reports of the same event can be matched to it."
    )
    headline: str = Field(
        description="The title of the member most tied to the others, among those in the language most "
        "of its members use."
    )
    independent_outlets: int = Field(
        description="Distinct sources that wrote their own report of it: a syndicated copy counts once, "
        "with the article it copies."
    )
    outlets: int = Field(
        description="Distinct sources publishing it, syndicated copies included but each outlet once."
    )
    members: list[StoryMember] = Field(
        description="The articles of the story, earliest first (by publication date, then article id)."
    )


# ---------------------------------------------------------------------------
# extract: what the model (or the extractive backend) fills
# ---------------------------------------------------------------------------


class EntityKind(StrEnum):
    person = "person"
    organization = "organization"
    place = "place"
    other = "other"


class ClaimCategory(StrEnum):
    event = "event"
    figure = "figure"
    quote = "quote"
    background = "background"
    reaction = "reaction"
    analysis = "analysis"
    outlook = "outlook"


class Figure(_Model):
    """A number stated in the article."""

    value: str = Field(description="As written, e.g. '$28.8 billion'.")
    unit: str = Field(description="e.g. percent, USD, people.")
    period: str | None = Field(default=None, description="When, or compared with what; or null.")


class Entity(_Model):
    """A person, organisation or place named in the article."""

    name: str = Field(description="As written, without titles such as 'Mr.'.")
    kind: EntityKind
    role: str | None = Field(default=None, description="As written, or null.")


class Claim(_Model):
    """One self-contained factual statement made by the article."""

    statement: str = Field(
        description="One sentence clear without the article, with only its evidence's names and numbers."
    )
    category: ClaimCategory
    figures: list[Figure] = Field(default_factory=list, description="The numbers the statement states.")
    evidence: str = Field(description="Copied exactly from the article; usually one sentence.")


class Quote(_Model):
    """Words the article attributes to someone, inside quotation marks."""

    speaker: str = Field(description="As named.")
    text: str = Field(description="Copied exactly from inside the quotation marks.")


class InterpretationPoint(_Model):
    """The article's own reading of events: why it matters, what it may lead to."""

    lead: str = Field(description="Two to six words.")
    text: str = Field(description="One or two attributed sentences.")
    evidence: str = Field(description="Copied exactly from the article.")


class ArticleExtraction(_Model):
    """Everything the brief needs from one article."""

    headline: str = Field(description="At most 14 words.")
    summary: str = Field(description="One sentence.")
    entities: list[Entity] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    interpretation: list[InterpretationPoint] = Field(
        default_factory=list, description="The article's own analysis, if any."
    )


# ---------------------------------------------------------------------------
# extract -> merge: one extraction with how it was made
# ---------------------------------------------------------------------------


class Backend(StrEnum):
    model = "model"
    extractive = "extractive"


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


class ExtractionMeta(_Model):
    """How one extraction was produced; carried into the brief's sources list and JSON."""

    backend: Backend
    model: str | None = Field(default=None, description="Model name when the model backend made it.")
    prompt_version: str | None = None
    schema_version: str = SCHEMA_VERSION
    attempts: int = Field(default=0, description="HTTP calls made for this article (0 for extractive).")
    usage: Usage = Field(default_factory=Usage)
    fallback_reason: str | None = Field(
        default=None, description="Why the model path failed for good and the extractive backend was used."
    )
    dropped: list[str] = Field(
        default_factory=list, description="Items removed by validation, each with the reason."
    )
    parts: int = Field(
        default=1,
        description="Requests the article was split into to fit the model's input budget (1: not split).",
    )
    cached: bool = Field(
        default=False, description="Taken from the extraction cache; no model call was made."
    )
    batch: bool = Field(
        default=False, description="Answered through the provider's Batch API (billed at the batch price)."
    )
    translated_to: str | None = Field(
        default=None,
        description="Language the model wrote the claims in, when not the article's own "
        "(the evidence stays in the original).",
    )


class ExtractedArticle(_Model):
    article: Article
    extraction: ArticleExtraction
    meta: ExtractionMeta


# ---------------------------------------------------------------------------
# merge -> render: the brief
# ---------------------------------------------------------------------------


class SourceRef(_Model):
    """One numbered entry of the brief's Sources list."""

    number: int = Field(description="1-based citation number used as [n] in the brief.")
    article_id: str
    source: str
    title: str
    published: str | None = None
    url: str | None = None
    language: str | None = Field(
        default=None, description="The article's language (ISO 639-1) when detected."
    )
    translated: bool = Field(
        default=False, description="The model wrote this source's claims in the brief's language."
    )
    copies: list[ArticleCopy] = Field(
        default_factory=list, description="Other sites' copies of this article, counted as this one source."
    )
    backend: Backend
    model: str | None = None
    fallback_reason: str | None = None


class EntityMention(_Model):
    name: str
    role: str | None
    article_id: str


class MergedEntity(_Model):
    id: str
    name: str = Field(description="Canonical spelling: the one most sources use.")
    kind: EntityKind
    variants: list[str] = Field(description="Every spelling seen, canonical first.")
    roles: list[str] = Field(default_factory=list, description="Distinct roles or titles given.")
    mentions: list[EntityMention]
    article_ids: list[str]
    source_count: int


class Evidence(_Model):
    article_id: str
    text: str


class MergedClaim(_Model):
    """Claims from several articles that state the same thing."""

    id: str = Field(description="Stable id derived from the claim's content.")
    statement: str
    category: ClaimCategory
    figures: list[Figure] = Field(default_factory=list)
    evidence: list[Evidence]
    article_ids: list[str] = Field(
        description="Articles that support the statement as worded (its citations)."
    )
    disputed_by: list[str] = Field(
        default_factory=list,
        description="Articles that report the same thing with a different figure (see discrepancy_ids).",
    )
    discrepancy_ids: list[str] = Field(default_factory=list)
    source_count: int = Field(description="How many independent sources support the statement as worded.")
    single_source: bool
    score: float = Field(description="Ranking score: supporting sources first, then centrality and position.")


class DiscrepancyValue(_Model):
    value: str
    article_ids: list[str]
    evidence: list[Evidence]
    when: str | None = Field(default=None, description="The day a timeline's value was given for.")


class Discrepancy(_Model):
    """The same quantity or role reported differently by different sources.

    A `timeline` is not a disagreement: one count (a death toll) given for different days,
    its values in the order they rose, each with the day it was given for.
    """

    id: str
    kind: Literal["figure", "role", "timeline"]
    subject: str = Field(
        description='What the sources disagree about, e.g. "China\'s exports to the US, May".'
    )
    values: list[DiscrepancyValue]
    claim_ids: list[str] = Field(default_factory=list)


class Section(_Model):
    title: str
    claim_ids: list[str]


class BriefInterpretation(_Model):
    lead: str
    text: str
    claim_ids: list[str] = Field(description="Claims the point rests on.")
    article_ids: list[str]


class ArticleReport(_Model):
    article_id: str
    source: str
    backend: Backend
    attempts: int
    usage: Usage
    claims_extracted: int
    claims_dropped: list[str]
    fallback_reason: str | None = None
    parts: int = Field(default=1, description="Parts the article was split into for the model (1: whole).")
    cached: bool = False
    batch: bool = False


class RunReport(_Model):
    """What happened during the run; rendered to stderr and stored in the JSON brief."""

    articles_in: int = 0
    articles_used: int = 0
    inputs_skipped: list[InputProblem] = Field(default_factory=list)
    claims_extracted: int = 0
    claims_dropped: int = 0
    fallbacks: int = 0
    cached: int = Field(default=0, description="Articles whose model extraction came from the cache.")
    batched: int = Field(default=0, description="Articles answered through the provider's Batch API.")
    estimated_cost_usd: float | None = Field(
        default=None, description="Estimated cost of the model calls (None: no call, or no known price)."
    )
    prices_as_of: str | None = Field(default=None, description="Date of the price table behind the estimate.")
    attempts: int = 0
    usage: Usage = Field(default_factory=Usage)
    articles: list[ArticleReport] = Field(default_factory=list)
    cache_notes: list[str] = Field(
        default_factory=list,
        description="What went wrong with the cache file and what was done instead (moved aside and "
        "started afresh, or run without it), one line each; the brief itself is not affected.",
    )
    endpoint_down: str | None = Field(
        default=None,
        description="Why the run stopped calling the model endpoint (its circuit breaker opened); "
        "the articles that fell back for it carry this same reason.",
    )


class Brief(_Model):
    """The merged brief: the single input of every renderer."""

    headline: str
    date: str | None = Field(default=None, description="Edition date, YYYY-MM-DD, given by the caller.")
    correction: int = Field(
        default=0,
        ge=0,
        description="0 for the day's edition; n when this brief is the n-th correction of it, "
        "marked in the subject and at the top.",
    )
    language: str = Field(default="en", description="The brief's language (ISO 639-1).")
    lede_claim_ids: list[str]
    backend: str = Field(
        description="'extractive', 'model', or 'model+extractive' when some articles fell back."
    )
    models: list[str] = Field(default_factory=list)
    prompt_version: str | None = None
    schema_version: str = SCHEMA_VERSION
    sources: list[SourceRef]
    entities: list[MergedEntity]
    claims: list[MergedClaim]
    sections: list[Section]
    interpretation: list[BriefInterpretation]
    discrepancies: list[Discrepancy]
    report: RunReport = Field(default_factory=RunReport)


# ---------------------------------------------------------------------------
# merge -> render: a day's edition, many stories
# ---------------------------------------------------------------------------


class EditionSource(_Model):
    """One report of a story, with where it was read, so a reader can go back to it."""

    article_id: str = Field(description="The article's `Article.id`.")
    source: str = Field(description="Short label for the source (its outlet, or 'unknown outlet').")
    title: str = Field(description="The article's title.")
    path: str | None = Field(default=None, description="Where the article was read from ('-' for stdin).")
    url: str | None = Field(default=None, description="The web address it was fetched from, when it was.")
    published: str | None = Field(default=None, description="Publication date (YYYY-MM-DD) when known.")
    language: str | None = Field(default=None, description="ISO 639-1 code of the article's language.")
    copies: list[StoryCopy] = Field(
        default_factory=list,
        description="Syndicated copies folded into this report, each with its path or url (counted once).",
    )


class EditionStory(_Model):
    """One story of the edition: the grouping's data and the story's own brief."""

    id: str = Field(description="The story's id (`Story.id`): stable across days, from its earliest report.")
    headline: str = Field(
        description="The story's headline (`Story.headline`): the title of the report most tied to the rest."
    )
    independent_outlets: int = Field(
        description="Distinct sources that wrote their own report (a syndicated copy counts once)."
    )
    outlets: int = Field(description="Distinct sources publishing it, syndicated copies included.")
    latest: str | None = Field(
        default=None, description="Publication date (YYYY-MM-DD) of its latest report: its recency."
    )
    sources: list[EditionSource] = Field(description="The story's reports, earliest first.")
    status: Literal["new", "developing"] = Field(
        default="new",
        description="'new': not in a recent edition; 'developing': a story of a recent edition, with news.",
    )
    previous_date: str | None = Field(
        default=None, description="For a developing story: the date of the edition it was last in."
    )
    new_claim_ids: list[str] = Field(
        default_factory=list,
        description="For a developing story: its brief's claims that were not in the previous edition.",
    )
    brief: Brief = Field(description="The story merged on its own: only its reports are cited.")


class AlsoReported(_Model):
    """A story given one line: a single source's report, or one past the edition's cap."""

    id: str = Field(description="The story's id (`Story.id`).")
    headline: str = Field(description="The story's headline.")
    statement: str | None = Field(
        default=None, description="The story's lead statement, from its brief (None: none was found)."
    )
    independent_outlets: int = Field(description="Distinct sources that wrote their own report.")
    sources: list[EditionSource] = Field(description="The story's reports, cited on its line.")


def _empty(value: list[Any]) -> bool:
    return not value


class EditorNote(_Model):
    """An editor's note shown with the edition: under its story, or at the top (`story_id` None)."""

    story_id: str | None = Field(default=None, description="The story it is about; None: the edition.")
    text: str = Field(description="The note as the editor wrote it (escaped when rendered).")


class Correction(_Model):
    """A correction of an edition already sent, which the next edition opens with."""

    date: str = Field(description="The date (YYYY-MM-DD) of the edition corrected.")
    story_id: str | None = Field(default=None, description="The story corrected; None: the edition.")
    headline: str | None = Field(default=None, description="That story's headline as it was sent.")
    text: str = Field(description="The correction as the editor wrote it (escaped when rendered).")


class Edition(_Model):
    """A day's articles as ranked stories: the input of the edition's renderers."""

    date: str | None = Field(default=None, description="Edition date, YYYY-MM-DD, given by the caller.")
    correction: int = Field(
        default=0,
        ge=0,
        description="0 for the day's edition; n when this edition is the n-th correction of it, "
        "marked in the subject and at the top.",
    )
    language: str = Field(default="en", description="The edition's language (ISO 639-1).")
    stories: list[EditionStory] = Field(
        description="Full stories, ranked: most independent outlets, then latest report, then id."
    )
    also_reported: list[AlsoReported] = Field(
        default_factory=list,
        description="Stories with one independent source, then those past the cap on full stories, "
        "ranked the same way, one cited line each.",
    )
    corrections: list[Correction] = Field(
        default_factory=list,
        exclude_if=_empty,
        description="Corrections of earlier editions, shown first (left out of the JSON when none).",
    )
    notes: list[EditorNote] = Field(
        default_factory=list,
        exclude_if=_empty,
        description="The editor's notes, under their story or at the top (left out of the JSON when none).",
    )
    report: RunReport = Field(default_factory=RunReport, description="What happened during the whole run.")
