"""What one article's extraction shares and spends: the run's session, its tally, its failure.

The transport (`briefing.extract.model.transport`) counts every HTTP attempt and token
into a `Call`; the answer reader (`briefing.extract.model.answers`) counts the answers.
Either may end the article with `ModelExtractionError`, which carries the tally so the
run report shows what a failed article cost. Every message is scrubbed of the key first:
providers echo keys back in error bodies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import openai
from pydantic import ValidationError

from briefing.contracts import Usage
from briefing.errors import ProviderError

if TYPE_CHECKING:
    from briefing.extract.model.breaker import CircuitBreaker
    from briefing.extract.model.rate_limit import RateLimiter

__all__ = ["Call", "ModelExtractionError", "ModelSession", "describe", "scrub"]

_KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[\w*.\-]{4,}|\bBearer\s+\S+", re.IGNORECASE)


class ModelExtractionError(ProviderError):
    """The model path failed for good on one article; carries what the attempts cost."""

    def __init__(self, message: str, *, article_id: str | None, attempts: int, usage: Usage) -> None:
        super().__init__(message, article_id=article_id, attempts=attempts, usage=usage)


@dataclass
class ModelSession:
    """What the extractions of one run share: the async client, the rate limiter and the breaker.

    All three belong to the event loop that made them (connections and locks cannot move
    between loops), so a session is opened per run with `ModelBackend.session()`.
    """

    client: openai.AsyncOpenAI
    limiter: RateLimiter
    breaker: CircuitBreaker


@dataclass
class Call:
    """What one article's extraction has spent so far."""

    article_id: str
    deadline: float
    session: ModelSession | None
    """None when the answer came another way (a batch): nothing is sent."""
    secret: str | None = field(default=None, repr=False)
    """The key, removed from every failure message."""
    http_attempts: int = 0
    answers: int = 0
    usage: Usage = field(default_factory=Usage)
    spent_before: int = 0
    """Tokens spent on earlier parts of a split article: each part has the whole budget."""
    max_claims: int = 12
    """Claims the current question asks for (fewer after an answer was cut off)."""
    translate: tuple[str, str] | None = None
    """The article's language and the brief's, by name, when they differ."""

    def failure(self, message: str) -> ModelExtractionError:
        """The article's failure for good, with what it cost and `message` scrubbed of keys."""
        return ModelExtractionError(
            scrub(message, self.secret),
            article_id=self.article_id,
            attempts=self.http_attempts,
            usage=self.usage,
        )


def scrub(text: str, secret: str | None) -> str:
    """`text` on one line of at most 300 characters, without the key or anything shaped like one."""
    if secret:
        text = text.replace(secret, "***")
    text = _KEY_LIKE.sub("***", text)
    return " ".join(text.split())[:300]


def describe(exc: BaseException) -> str:
    """A short reason for a failed attempt: what was wrong with an answer, or with the connection."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        return f"{exc.error_count()} validation error(s), first {where}: {first['msg']}"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg})"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError) and exc.__cause__ is not None:
        return f"connection failed ({type(exc.__cause__).__name__})"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
