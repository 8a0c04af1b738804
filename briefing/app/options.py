"""Every command-line option, declared once and used by each command it applies to.

`build` and `daily` take the same input, model, cost and speed options from here, so the
scheduled run has every knob the manual run has. An option that is also a setting has
no default of its own (None means "not given"): the value then comes from the
environment, the config file or the default in `briefing.settings`, and the help names
that default. This module imports nothing heavy, so `briefing --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from briefing.extract.choice import BackendChoice

__all__ = [
    "AllowEmptyOption",
    "ArticlesOption",
    "BackendOption",
    "BaseUrlOption",
    "BatchOption",
    "BriefFile",
    "BuildOnlyOption",
    "ConcurrencyOption",
    "ConfigOption",
    "CorrectionOption",
    "DbOption",
    "DryRunOption",
    "EditionsOption",
    "EditorOption",
    "EmbeddingsModelOption",
    "FeedOption",
    "LanguageOption",
    "MaxCostOption",
    "MaxEntriesOption",
    "MaxInputTokensOption",
    "MaxStoriesOption",
    "MinSourcesOption",
    "ModeOption",
    "ModelOption",
    "NoCacheOption",
    "PrivateNetworkOption",
    "QuietOption",
    "RequireApprovalOption",
    "RpmOption",
    "SendApprovedOption",
    "SinceOption",
    "SourcesOption",
    "TimeoutOption",
    "ToOption",
    "TopicOption",
    "TpmOption",
]

# Inputs.
FeedOption = Annotated[
    list[str] | None,
    typer.Option(
        "--feed",
        help="An RSS or Atom feed whose entries' pages are read as articles (repeatable); "
        "adds to the config file's feeds.",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        help="Only feed entries published in this window: 24h, 90m, 2d, 1w, or a date (default: all).",
        show_default=False,
    ),
]
TopicOption = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        help="Only feed entries whose title, summary or categories mention this word or phrase "
        "(repeatable: any of them).",
        show_default=False,
    ),
]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        help="The brief's language (en, fr, de, ...): a model writes sources in other languages in it, "
        "evidence kept verbatim (default: en).",
        show_default=False,
    ),
]
MaxEntriesOption = Annotated[
    int | None,
    typer.Option(
        "--max-entries",
        help="Read at most this many entries of each feed, the newest (default: 200).",
        min=1,
        show_default=False,
    ),
]
PrivateNetworkOption = Annotated[
    bool,
    typer.Option(
        "--allow-private-network",
        help="Let feed entries and redirects reach loopback and private addresses on hosts you did not "
        "give (by default only the hosts of the URLs and feeds you give may be private).",
        show_default=False,
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file of settings: feeds, since, topic, language, model, max_cost, smtp_host, ... "
        "(default: $BRIEFING_CONFIG; see the README). Flags and the environment win over it.",
        show_default=False,
    ),
]

# The model.
BackendOption = Annotated[
    BackendChoice | None,
    typer.Option(
        help="auto: use the model when an endpoint is configured (OPENAI_API_KEY or a base URL), "
        "else the offline extractive backend; model: require the model (no brief if its endpoint is "
        "down); extractive: never call a model (default: auto).",
        show_default=False,
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        help="Model name for the endpoint (default: $BRIEFING_MODEL or gpt-4o-mini).", show_default=False
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 for llama.cpp's server "
        "(default: $OPENAI_BASE_URL, else OpenAI). The key comes from $OPENAI_API_KEY only.",
        show_default=False,
    ),
]
EmbeddingsModelOption = Annotated[
    str | None,
    typer.Option(
        "--embeddings-model",
        help="Group stories with this model of the endpoint's /v1/embeddings (vectors cached), "
        "when an endpoint is configured; if it fails, the bundled model (default: "
        "$BRIEFING_EMBEDDINGS_MODEL, else the bundled offline model).",
        show_default=False,
    ),
]
ModeOption = Annotated[
    str | None,
    typer.Option(
        help="instructor mode (tools, json_schema, json, md_json); chosen per endpoint if unset.",
        show_default=False,
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(help="Seconds to wait for one model response (default: 60).", min=1, show_default=False),
]
BatchOption = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="Send the extractions as one job through the provider's Batch API (half price, slower); "
        "waits for it, and a re-run resumes a job already submitted instead of paying again.",
    ),
]

# Cost and speed.
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        help="Model requests in flight at once (articles extracted in parallel; default: 8).",
        min=1,
        show_default=False,
    ),
]
MaxCostOption = Annotated[
    float | None,
    typer.Option(
        help="Stop calling the model once the run's estimated cost reaches this many USD; "
        "the remaining articles use the extractive backend (needs a model with a known price).",
        show_default=False,
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Neither read nor write the extraction cache ($BRIEFING_CACHE_DIR, else the user cache "
        "directory); see `briefing cache`.",
    ),
]
RpmOption = Annotated[
    int | None,
    typer.Option(
        "--rpm",
        help="The account's requests-per-minute limit: requests are paced to stay under it.",
        min=1,
        show_default=False,
    ),
]
TpmOption = Annotated[
    int | None,
    typer.Option(
        "--tpm",
        help="The account's tokens-per-minute limit (prompt estimate plus answer limit per request).",
        min=1,
        show_default=False,
    ),
]
MaxInputTokensOption = Annotated[
    int | None,
    typer.Option(
        help="Estimated article tokens per model request; a longer article is sent in parts, "
        "cut between paragraphs (never mid-sentence unless one sentence is over; default: 4000).",
        min=200,
        show_default=False,
    ),
]
MaxStoriesOption = Annotated[
    int | None,
    typer.Option(
        "--max-stories",
        help="Full stories in an edition, ranked by independent outlets then recency; the rest, and "
        "stories from one outlet, get one line each under 'Also reported' (default: 10).",
        min=1,
        show_default=False,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the run report.")]

# Delivery.
BriefFile = Annotated[Path, typer.Argument(help="A brief written with --format json.", show_default=False)]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Send one test copy to this address only (no ledger).")
]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Delivery database (default: $BRIEFING_DB, else the user data directory)."),
]
DryRunOption = Annotated[
    Path | None,
    typer.Option(
        "--dry-run",
        help="Write the messages as .eml files here instead (the daily run also keeps the version under "
        "DRY_RUN/editions/; the archive and the database are left as they were).",
    ),
]
CorrectionOption = Annotated[
    bool,
    typer.Option(
        "--correction",
        help="When the date's edition was already sent and this brief differs, send it as a correction "
        "(subject 'Correction: ...', a line at the top); without it such a brief is refused.",
    ),
]
RequireApprovalOption = Annotated[
    bool,
    typer.Option(
        "--require-approval",
        help="Send only an edition an editor approved (`briefing approve`); a test copy (--to) still goes "
        "(default: $BRIEFING_REQUIRE_APPROVAL or require_approval in the config, else off).",
        show_default=False,
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option("--allow-empty", help="Go on with no active subscriber instead of refusing."),
]

# The daily run.
ArticlesOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder of today's articles (default: $BRIEFING_ARTICLES; or use feeds: --feed, "
        "or feeds in --config).",
        show_default=False,
    ),
]
EditionsOption = Annotated[
    Path | None,
    typer.Option(
        help="Where each edition is kept, by date (default: $BRIEFING_EDITIONS, else ./editions).",
        show_default=False,
    ),
]
MinSourcesOption = Annotated[
    int | None,
    typer.Option(
        help="Fewest usable articles worth a brief (default: $BRIEFING_MIN_SOURCES, else 2).",
        min=1,
        show_default=False,
    ),
]
BuildOnlyOption = Annotated[
    bool,
    typer.Option(
        "--build-only",
        help="Build and check the edition and keep it for review in EDITIONS/DATE/review/ "
        "(approve it with `briefing approve`); send nothing.",
    ),
]
SendApprovedOption = Annotated[
    bool,
    typer.Option(
        "--send-approved",
        help="Send the edition kept by --build-only, with its edits, once an editor approved it "
        "(nothing is rebuilt).",
    ),
]

# Review.
EditorOption = Annotated[
    str | None,
    typer.Option(
        "--editor", help="Who is editing, for the edits log (default: the OS user).", show_default=False
    ),
]
SourcesOption = Annotated[
    list[str],
    typer.Option(
        "--sources",
        help="The edition's articles (files, folders, URLs; repeatable): every edit is checked against them.",
        show_default=False,
    ),
]
