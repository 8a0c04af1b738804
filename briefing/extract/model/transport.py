"""Sending one request: bounded transport retries, deadlines, pacing and the circuit breaker.

Transport failures (429, 5xx, timeouts, dropped connections, unreadable bodies) are
retried here, per HTTP call, by a tenacity loop with exponential backoff and jitter that
honours Retry-After (capped): at most `max_transport_attempts` per call, never past the
article's deadline and never once its token budget is spent. The openai client's own
retries must be off (`briefing.extract.model.providers.make_client` does that; the
client a session opens is a copy with `max_retries=0`), so that attempts never multiply
behind each other's backs.

Refusals that no retry can fix (400, 401, 403, 404) are `FatalProviderError` at once; a
400 that says the context is too long is the article's failure alone. Every attempt's
outcome is reported to the run's circuit breaker (`briefing.extract.model.breaker`); once
it opens, no attempt starts, a request in flight is abandoned, and the article fails with
`EndpointDownError`. Every attempt is counted, and the tokens of every answer are added,
into the article's `Call`. Error messages never carry the key.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx2
import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from briefing.errors import EndpointDownError, FatalProviderError, ProviderError
from briefing.extract.model.answers import usage_of
from briefing.extract.model.breaker import CircuitBreaker
from briefing.extract.model.call import Call, ModelSession, describe, scrub
from briefing.extract.model.providers import display_host, display_url
from briefing.extract.model.rate_limit import RateLimiter
from briefing.extract.model.request import request_tokens

if TYPE_CHECKING:
    from briefing.extract.model.settings import ModelSettings

__all__ = ["Transport", "is_transient"]

_RETRYABLE_STATUS = frozenset({408, 409, 429})


class _StopAtDeadline(stop_base):
    """Stop when the next attempt could only start after the article's deadline."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline


class _Abandoned(Exception):
    """The circuit breaker opened while a request was in flight; its answer is no longer awaited."""


class _UnreadableResponse(Exception):
    """A 200 whose body is not a chat completion (a proxy page, a cut-off body)."""


class Transport:
    """Sends requests to one endpoint with the retries, bounds and pacing of `settings`.

    Attributes:
        endpoint: The endpoint as shown to users (no credentials); part of the cache key.
        host: The endpoint's host and port, as the circuit breaker names it.
        secret: The key, which every message is scrubbed of.
    """

    def __init__(
        self,
        client: openai.OpenAI | openai.AsyncOpenAI,
        settings: ModelSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        """Send through copies of `client` (where, with which key and timeout); nothing is sent yet.

        `sleep`, `clock` and `rng` are the waits between attempts, the clock deadlines are
        kept by and the source of jitter: tests pass their own.
        """
        base_url = str(client.base_url)
        self.settings = settings
        self.endpoint = display_url(base_url)
        self.host = display_host(base_url)
        self.secret: str | None = client.api_key
        self._given = client
        self._timeout_s = _timeout_seconds(client.timeout)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    @asynccontextmanager
    async def session(self, breaker: CircuitBreaker | None = None) -> AsyncIterator[ModelSession]:
        """Open the async client, rate limiter and circuit breaker one run's extractions share.

        `breaker` lets the caller read, after the run, whether and why it opened; by
        default the session has its own, with the default thresholds.
        """
        client = openai.AsyncOpenAI(**self._endpoint(), max_retries=0)
        limiter = RateLimiter(
            requests_per_minute=self.settings.requests_per_minute,
            tokens_per_minute=self.settings.tokens_per_minute,
            clock=self._clock,
            sleep=self._sleep,
        )
        try:
            yield ModelSession(client=client, limiter=limiter, breaker=breaker or CircuitBreaker(self.host))
        finally:
            await client.close()

    def sync_client(self) -> openai.OpenAI:
        """A plain client for the endpoint: the Batch API's uploads, submissions and polls.

        These are not model calls, so the SDK's own retries (with backoff) handle their
        transient failures.
        """
        return openai.OpenAI(**self._endpoint(), max_retries=3)

    def _endpoint(self) -> dict[str, Any]:
        """Where and how to connect, from the client the transport was given."""
        given = self._given
        return {
            "api_key": given.api_key,
            "organization": given.organization,
            "project": given.project,
            "base_url": given.base_url,
            "timeout": given.timeout,
        }

    def deadline(self) -> float:
        """When an article (or a part of one) started now must be done, by `clock`."""
        return self._clock() + self.settings.deadline_s

    async def send(self, call: Call, body: dict[str, Any]) -> ChatCompletion:
        """Send `body` for `call`'s article and return the completion, retrying transient failures.

        Raises:
            FatalProviderError: The endpoint refuses the key, the model or the request.
            EndpointDownError: The run's circuit breaker opened.
            ModelExtractionError: The attempts, the deadline or the token budget are spent.
        """
        at_most = stop_after_attempt(self.settings.max_transport_attempts)
        retrying = AsyncRetrying(
            stop=at_most | _StopAtDeadline(call.deadline, self._clock),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            reraise=True,
        )
        before = call.http_attempts
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._post(call, body)
        except openai.APIStatusError as exc:
            raise self._status_failure(call, exc, call.http_attempts - before) from None
        except (openai.APIConnectionError, _UnreadableResponse) as exc:
            if not is_transient(exc):
                raise  # not a network failure (e.g. a replay-only test refusing a request)
            spent = _gave_up(call.http_attempts - before, call.http_attempts)
            raise call.failure(f"{spent}: {describe(exc)}") from None
        return response

    async def _post(self, call: Call, body: dict[str, Any]) -> ChatCompletion:
        session = call.session
        if session is None:
            raise ValueError("a call without a session cannot send")
        budget = self.settings.token_budget
        spent = call.usage.prompt_tokens + call.usage.completion_tokens - call.spent_before
        if spent >= budget:
            raise call.failure(f"token budget of {budget} spent after {call.http_attempts} attempts")
        breaker = session.breaker
        if breaker.is_open:
            raise self.down(call)
        await session.limiter.acquire(request_tokens(body, self.settings.max_completion_tokens))
        if breaker.is_open:
            raise self.down(call)
        remaining = call.deadline - self._clock()
        if remaining <= 0:
            deadline_s = self.settings.deadline_s
            raise call.failure(f"deadline of {deadline_s:g}s passed after {call.http_attempts} attempts")
        call.http_attempts += 1
        answers_when_sent = breaker.answers
        request = session.client.chat.completions.create(**body, timeout=min(self._timeout_s, remaining))
        try:
            response = await _unless_opened(breaker, request)
        except _Abandoned:
            raise self.down(call) from None
        except (json.JSONDecodeError, ValidationError) as exc:
            # A 200 whose body does not parse. It must not escape as these types: instructor
            # would take it for a bad answer and re-ask, spending the re-ask budget on it.
            breaker.answered()
            raise _UnreadableResponse("the server's 200 response is not a chat completion") from exc
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            failure = self._endpoint_failure(exc)
            if isinstance(exc, openai.APITimeoutError) and failure is not None:
                breaker.timed_out(call.article_id, failure[1], answers_when_sent=answers_when_sent)
            elif failure is not None:
                breaker.failed(call.article_id, *failure)
            elif isinstance(exc, openai.APIStatusError):
                breaker.answered()
            raise
        breaker.answered()
        if not isinstance(response, ChatCompletion) or not response.choices:
            raise _UnreadableResponse("the server's 200 response is not a chat completion")
        call.usage += usage_of(response)
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = _retry_after(exc)
        if retry_after is not None:
            return min(retry_after, self.settings.retry_after_cap_s)
        initial = self.settings.backoff_initial_s
        backoff: float = initial * 2.0 ** (state.attempt_number - 1)
        return min(backoff + self._rng.uniform(0, initial), self.settings.backoff_max_s)

    def _endpoint_failure(self, exc: openai.APIError) -> tuple[str, str] | None:
        """What a failed attempt says of the endpoint, for the breaker: (state, failure), or None.

        None when the endpoint did answer (a 4xx, a 429), or when the error is not the
        network's (a test harness refusing a request).
        """
        if isinstance(exc, openai.APITimeoutError):
            return "not answering", f"no answer within {self._timeout_s:g} s"
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code >= 500:
                return "failing", f"HTTP {exc.status_code} {exc.response.reason_phrase}".strip()
            return None
        if not is_transient(exc):
            return None
        if type(exc.__cause__).__name__ == "ConnectError":  # httpx2's, or a legacy httpx client's
            return "unreachable", "connection refused" if _refused(exc) else "cannot connect"
        return "failing", "connection dropped"

    def down(self, call: Call) -> EndpointDownError:
        """The article's failure once the run's circuit breaker has opened."""
        breaker = call.session.breaker if call.session is not None else None
        return EndpointDownError(
            (breaker.reason if breaker is not None else None) or f"model endpoint {self.host} is down",
            article_id=call.article_id,
            attempts=call.http_attempts,
            usage=call.usage,
        )

    def _status_failure(self, call: Call, exc: openai.APIStatusError, in_call: int) -> ProviderError:
        status = exc.status_code
        label = f"HTTP {status} {exc.response.reason_phrase}".strip()
        detail = scrub(_server_message(exc), self.secret)
        model = self.settings.model
        if status in (401, 403):
            refused = "the key" if status == 401 else f"access to model {model!r}"
            return FatalProviderError(
                f"{self.endpoint} refused {refused} ({label}): check OPENAI_API_KEY",
                article_id=call.article_id,
                attempts=call.http_attempts,
            )
        if status == 404:
            return FatalProviderError(
                f"{self.endpoint} answered {label}: unknown model {model!r} or wrong base URL ({detail})",
                article_id=call.article_id,
                attempts=call.http_attempts,
            )
        if status == 400 and not _context_overflow(detail):
            return FatalProviderError(
                f"{self.endpoint} rejected the request ({label}): {detail}",
                article_id=call.article_id,
                attempts=call.http_attempts,
            )
        if is_transient(exc):
            return call.failure(f"{_gave_up(in_call, call.http_attempts)}: last {label}")
        return call.failure(f"{label}: {detail}")


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (httpx2.TransportError, OSError)
    legacy = sys.modules.get("httpx")  # a caller may hand openai a legacy httpx client
    if legacy is not None and hasattr(legacy, "TransportError"):
        errors += (legacy.TransportError,)
    return errors


def is_transient(exc: BaseException) -> bool:
    """Whether retrying might help: a timeout, a dropped connection, a 408/409/429 or a 5xx."""
    if isinstance(exc, openai.APITimeoutError | _UnreadableResponse):
        return True
    if isinstance(exc, openai.APIConnectionError):
        return isinstance(exc.__cause__, _transport_errors())
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRYABLE_STATUS or exc.status_code >= 500
    return False


async def _unless_opened(breaker: CircuitBreaker, request: Awaitable[ChatCompletion]) -> ChatCompletion:
    """`request`'s answer, or `_Abandoned` once the breaker opens before it comes.

    A request in flight when the endpoint is found down would otherwise hold its article
    (and the run) for up to a whole timeout more.
    """
    task = asyncio.ensure_future(request)
    opened = asyncio.ensure_future(breaker.wait_open())
    try:
        await asyncio.wait({task, opened}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        opened.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task.cancelled():
        raise _Abandoned
    return task.result()


def _refused(exc: BaseException) -> bool:
    """Whether a connection error was a refusal (nothing listens there), along its chain of causes."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(exc: BaseException | None) -> float | None:
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP date: rare from model APIs; fall back to backoff
        if seconds >= 0:
            return seconds
    return None


def _timeout_seconds(timeout: object) -> float:
    if isinstance(timeout, int | float):
        return float(timeout)
    read = getattr(timeout, "read", None)
    return float(read) if isinstance(read, int | float) else 600.0


def _gave_up(in_call: int, in_all: int) -> str:
    spent = f"gave up after {in_call} HTTP attempts"
    return spent if in_call == in_all else f"{spent} ({in_all} for this article)"


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message", body)
        return str(message)
    return str(body) if body else exc.response.reason_phrase


def _context_overflow(detail: str) -> bool:
    folded = detail.casefold()
    return "context length" in folded or "context_length" in folded or "maximum context" in folded
