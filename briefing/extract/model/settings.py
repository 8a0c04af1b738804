"""The model backend's knobs, as one validated object instead of a long list of arguments.

`ModelSettings` says what to ask for and how hard to try: the model, the instructor
mode, the bounds on re-asks, transport attempts, time and tokens, the pacing under the
account's limits and the brief's language. Where to connect, with which key and
timeout, is the openai client's business (`briefing.extract.model.providers.make_client`),
and the clock, sleep and jitter a test replaces are arguments of `ModelBackend` itself:
settings are data, so the same settings give the same requests.

Settings never read the environment; the caller fills them (`briefing.pipeline` from the
build options). A value out of range, an unknown key or an unsupported mode is a
`UserError` with one line, never a Pydantic traceback.
"""

from __future__ import annotations

from typing import Any

import instructor
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from briefing.errors import UserError
from briefing.extract.model.budget import DEFAULT_MAX_INPUT_TOKENS
from briefing.extract.model.rate_limit import validate_limits
from briefing.extract.model.request import SUPPORTED_MODES, mode_from_name
from briefing.ingest.language import DEFAULT_LANGUAGE

__all__ = ["ModelSettings"]


class ModelSettings(BaseModel):
    """What the model backend asks for, and the bounds on every article's attempts.

    One article makes at most `max_transport_attempts * (max_reasks + 1)` HTTP calls,
    none after `deadline_s` and none once `token_budget` is spent.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(
        min_length=1, description="Model name sent with each request and recorded in every extraction."
    )
    mode: instructor.Mode | None = Field(
        default=None,
        description=(
            "How instructor asks for structured output (a `--mode` name or instructor's value). "
            "None chooses by endpoint: JSON_SCHEMA for OpenAI, JSON for local servers, which "
            "differ in what else they accept."
        ),
    )
    max_reasks: int = Field(
        default=2,
        ge=0,
        description="Answers re-asked after failing validation (0 = one answer only); bounds what a "
        "model that never answers in shape can cost.",
    )
    max_transport_attempts: int = Field(
        default=4,
        ge=1,
        description="HTTP attempts per model call, the first included: 429s, 5xx, timeouts and dropped "
        "connections are retried, at most this often.",
    )
    deadline_s: float = Field(
        default=120.0,
        gt=0,
        description="Wall-clock budget per article (per part of a split one); no attempt starts after "
        "it, so one slow article cannot hold the run.",
    )
    token_budget: int = Field(
        default=40_000,
        ge=1,
        description="Tokens (prompt and answer, every attempt counted) one article may spend; no "
        "attempt starts once they are spent.",
    )
    max_completion_tokens: int = Field(
        default=2048,
        ge=1,
        description="Token limit of each answer; also what a request counts against --tpm.",
    )
    max_claims: int = Field(
        default=12,
        ge=1,
        description="Claims asked for; halved (not below 3) for a re-ask after an answer was cut off.",
    )
    max_input_tokens: int = Field(
        default=DEFAULT_MAX_INPUT_TOKENS,
        ge=1,
        description="Estimated article tokens one request may carry; a longer article is split into "
        "parts (`briefing.extract.model.budget`), each one extraction with the bounds above.",
    )
    temperature: float | None = Field(
        default=0.0, description="Sampling temperature; None leaves it to the server."
    )
    constrain_json: bool = Field(
        default=True,
        description="In JSON mode, send the schema inside the response format too: llama.cpp's servers "
        "decode under a grammar made from it, so even a small model answers in the schema's shape; "
        "servers that do not know the key ignore it.",
    )
    requests_per_minute: int | None = Field(
        default=None,
        description="The account's request limit, kept by pacing (`briefing.extract.model.rate_limit`) "
        "instead of running into 429s; None leaves it to the provider.",
    )
    tokens_per_minute: int | None = Field(
        default=None, description="The account's token limit, kept by pacing likewise."
    )
    retry_after_cap_s: float = Field(
        default=30.0,
        ge=0,
        description="Longest Retry-After honoured; a server asking for longer is retried after this long.",
    )
    backoff_initial_s: float = Field(
        default=0.5,
        ge=0,
        description="First backoff when the server gives no Retry-After; doubles per attempt, with jitter.",
    )
    backoff_max_s: float = Field(default=8.0, ge=0, description="Longest backoff without Retry-After.")
    language: str = Field(
        default=DEFAULT_LANGUAGE,
        description="The brief's language (ISO 639-1): an article detected in another one is asked for "
        "in this one, its evidence kept in the original.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _one_line(cls, data: Any, handler: Any) -> Any:
        """Turn Pydantic's report into the one line a user error is shown as."""
        try:
            return handler(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "settings"
            raise UserError(f"model setting {where}: {first['msg']}") from None

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_by_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, instructor.Mode):
            return mode_from_name(value)
        return value

    @field_validator("mode")
    @classmethod
    def _supported(cls, mode: instructor.Mode | None) -> instructor.Mode | None:
        if mode is not None and mode not in SUPPORTED_MODES:
            raise UserError(
                f"mode {mode.value!r} is not supported; use one of {[m.value for m in SUPPORTED_MODES]}"
            )
        return mode

    @model_validator(mode="after")
    def _limits(self) -> ModelSettings:
        validate_limits(self.requests_per_minute, self.tokens_per_minute)
        return self
