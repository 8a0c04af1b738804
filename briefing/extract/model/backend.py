"""Model backend: one article -> `ArticleExtraction` through instructor over the openai client.

Three kinds of failure are handled in three separate, bounded places, so that attempts
never multiply behind each other's backs:

- Transport (429, 5xx, timeouts, dropped connections, unreadable bodies): retried here,
  per HTTP call, by a tenacity loop with exponential backoff and jitter that honours
  Retry-After (capped). At most `max_transport_attempts` per call, and never past the
  per-article deadline. The openai client's own retries must be off
  (`briefing.extract.model.providers.make_client` does that; a client passed in is copied with
  `max_retries=0`).
- Answers that do not validate (bad JSON, schema violations, too little evidence found
  in the article): re-asked by instructor with the errors, at most `max_reasks` times.
  instructor gets a tenacity `Retrying` that stops after the answers left and retries
  only parse and validation errors; exceptions from the HTTP layer end its loop at once.
  An answer cut off at the token limit (finish_reason "length", which instructor raises
  without re-asking) is spent the same way: it is asked again, shorter, while the
  re-ask budget lasts.
- Refusals that no retry can fix (400, 401, 403, 404): `FatalProviderError` at once.
- An endpoint that is down: every attempt's outcome is reported to the run's circuit
  breaker (`briefing.extract.model.breaker`); once it opens, no attempt starts, a request in
  flight is abandoned, and the article fails with `EndpointDownError`.

So one article makes at most `max_transport_attempts * (max_reasks + 1)` HTTP calls, none
after its deadline and none once its token budget is spent. Every call is counted, and
the tokens of every answer are summed, into `ExtractionMeta`.

The article is data: HTML comments and invisible characters are removed, and it is sent
alone between two boundary lines the prompt names (see `briefing.extract.model.prompt`, which
also explains why instructor's `context=` argument is never used). After a valid answer,
`briefing.check.grounding.check_extraction` removes whatever the article does not support and
the removals are recorded in `ExtractionMeta.dropped`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

import httpx2
import instructor
import openai
from instructor.core import IncompleteOutputException, InstructorRetryException, ResponseParsingError
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.stop import stop_base

from briefing.check.grounding import check_extraction
from briefing.contracts import Article, ArticleExtraction, Backend, Entity, ExtractionMeta, Quote, Usage
from briefing.errors import BriefingError, EndpointDownError, FatalProviderError, ProviderError, UserError
from briefing.extract.extractive.leads import headline
from briefing.extract.model.breaker import CircuitBreaker
from briefing.extract.model.budget import DEFAULT_MAX_INPUT_TOKENS, estimate_tokens, split_to_budget
from briefing.extract.model.prompt import (
    PROMPT_VERSION,
    GroundedExtraction,
    compact_schema_in,
    decoding_schema,
    grounded_in,
    messages_for,
    prepare_article_text,
)
from briefing.extract.model.providers import display_host, display_url, is_openai_endpoint
from briefing.extract.model.rate_limit import RateLimiter, validate_limits
from briefing.ingest.language import DEFAULT_LANGUAGE, is_foreign, language_name

__all__ = [
    "MODE_NAMES",
    "PROMPT_VERSION",
    "SUPPORTED_MODES",
    "ModelBackend",
    "ModelExtractionError",
    "ModelSession",
    "choose_mode",
    "mode_from_name",
    "usage_of",
]

SUPPORTED_MODES = (
    instructor.Mode.JSON_SCHEMA,
    instructor.Mode.TOOLS,
    instructor.Mode.JSON,
    instructor.Mode.MD_JSON,
)
_SCHEMA_MODES = (instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS)
_RETRYABLE_STATUS = frozenset({408, 409, 429})
_BAD_ANSWER = (ValidationError, json.JSONDecodeError, ResponseParsingError)
"""What instructor raises for an answer that does not parse or validate: re-asked, nothing else."""
_KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[\w*.\-]{4,}|\bBearer\s+\S+", re.IGNORECASE)


class ModelExtractionError(ProviderError):
    """The model path failed for good on one article; carries what the attempts cost."""

    def __init__(self, message: str, *, article_id: str | None, attempts: int, usage: Usage) -> None:
        super().__init__(message, article_id=article_id, attempts=attempts, usage=usage)


# ---------------------------------------------------------------------------
# what is sent
# ---------------------------------------------------------------------------


MODE_NAMES = {
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}


def mode_from_name(name: str) -> instructor.Mode:
    """The mode for a `--mode` value: a short name in `MODE_NAMES` or instructor's own value.

    Raises:
        UserError: Any other name, with the accepted ones.
    """
    key = name.strip().lower()
    if key in MODE_NAMES:
        return MODE_NAMES[key]
    for mode in SUPPORTED_MODES:
        if key == mode.value:
            return mode
    raise UserError(f"unknown mode {name!r}; choose one of {', '.join(MODE_NAMES)}")


def choose_mode(base_url: str | None) -> instructor.Mode:
    """The instructor mode for an endpoint: JSON_SCHEMA for OpenAI, JSON for anything else.

    OpenAI enforces a `json_schema` response format; local servers (llama.cpp, vLLM,
    Ollama) differ in what they accept -- llama-cpp-python answers a `json_schema`
    response format with HTTP 500 and several ignore forced tool choice -- but all accept
    `{"type": "json_object"}` with the schema in the system message. Every answer is
    validated with Pydantic and the grounding checks whatever the mode.
    """
    return instructor.Mode.JSON_SCHEMA if is_openai_endpoint(base_url) else instructor.Mode.JSON


def _joined(parts: list[ArticleExtraction]) -> ArticleExtraction:
    """One extraction from the extractions of an article's parts, in reading order.

    The headline and summary are the first part's (the top of the article); entities and
    quotes that repeat across parts are kept once.
    """
    if len(parts) == 1:
        return parts[0]
    entities: dict[tuple[str, str], Entity] = {}
    quotes: dict[tuple[str, str], Quote] = {}
    for part in parts:
        for entity in part.entities:
            entities.setdefault((entity.name.casefold(), entity.kind), entity)
        for quote in part.quotes:
            quotes.setdefault((quote.speaker.casefold(), quote.text), quote)
    return ArticleExtraction(
        headline=parts[0].headline,
        summary=parts[0].summary,
        entities=list(entities.values()),
        claims=[c for p in parts for c in p.claims],
        quotes=list(quotes.values()),
        interpretation=[i for p in parts for i in p.interpretation],
    )


# ---------------------------------------------------------------------------
# the backend
# ---------------------------------------------------------------------------


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
class _Call:
    """What one article's extraction has spent so far."""

    article_id: str
    deadline: float
    session: ModelSession
    http_attempts: int = 0
    answers: int = 0
    usage: Usage = field(default_factory=Usage)
    spent_before: int = 0
    """Tokens spent on earlier parts of a split article: each part has the whole budget."""
    max_claims: int = 12
    """Claims the current question asks for (fewer after an answer was cut off)."""
    translate: tuple[str, str] | None = None
    """The article's language and the brief's, by name, when they differ."""


class _StopAtDeadline(stop_base):
    """Stop when the next attempt could only start after the article's deadline."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline


class _Captured(Exception):
    """Raised by `ModelBackend.request_for`'s stand-in for the API, once it has the request."""


class _Abandoned(Exception):
    """The circuit breaker opened while a request was in flight; its answer is no longer awaited."""


class _UnreadableResponse(Exception):
    """A 200 whose body is not a chat completion (a proxy page, a cut-off body)."""


class ModelBackend:
    """Extracts one article per model call, validated against the schema and the article.

    Attributes:
        supports_json_schema: The mode sends the schema for the server to enforce
            (JSON_SCHEMA, TOOLS); otherwise it is only described in the prompt.
        needs_key: The endpoint is OpenAI's API, which needs a real key.
    """

    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        client: openai.OpenAI | openai.AsyncOpenAI,
        model: str,
        *,
        mode: instructor.Mode | None = None,
        max_reasks: int = 2,
        max_transport_attempts: int = 4,
        deadline_s: float = 120.0,
        token_budget: int = 40_000,
        max_completion_tokens: int = 2048,
        max_claims: int = 12,
        max_input_tokens: int = DEFAULT_MAX_INPUT_TOKENS,
        temperature: float | None = 0.0,
        constrain_json: bool = True,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        retry_after_cap_s: float = 30.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        """Configure the backend; nothing is sent until `extract`.

        Args:
            client: The openai client (see `briefing.extract.model.providers.make_client`): where to
                send requests, with which key and timeout. Requests go through an
                `openai.AsyncOpenAI` made from it per run (`session`), with the SDK's
                retries off, so retries stay in this one layer.
            model: Model name sent with each request and recorded in every extraction.
            mode: instructor mode; `choose_mode(client.base_url)` when None.
            max_reasks: Answers re-asked after failing validation (0 = one answer only).
            max_transport_attempts: HTTP attempts per model call, the first included.
            deadline_s: Wall-clock budget per article; no attempt starts after it.
            token_budget: Tokens (prompt and answer, every attempt counted) one article may
                spend; no attempt starts once they are spent.
            max_completion_tokens: Token limit of each answer.
            max_claims: Claims asked for; halved for a re-ask after a cut-off answer.
            max_input_tokens: Estimated article tokens one request may carry; a longer
                article is split into parts by the rule in `briefing.extract.model.budget`, each
                part one extraction with the bounds above.
            temperature: Sampling temperature; None leaves it to the server.
            constrain_json: In JSON mode, send the schema inside the response format as well
                (`{"type": "json_object", "schema": ...}`, see `decoding_schema`). llama.cpp's
                servers decode under a grammar made from it, so the answer has the schema's
                shape; servers that do not know the key ignore it, and the schema is in the
                prompt either way.
            requests_per_minute: The account's request limit, kept by pacing (see
                `briefing.extract.model.rate_limit`); None leaves it to the provider's 429s.
            tokens_per_minute: The account's token limit, likewise.
            retry_after_cap_s: Longest Retry-After honoured; longer values wait this long.
            backoff_initial_s: First backoff without Retry-After; doubles per attempt.
            backoff_max_s: Longest backoff without Retry-After.
            sleep: Async wait between attempts (tests pass a recorder).
            clock: Monotonic clock for the deadline.
            rng: Source of jitter.
            language: The brief's language (ISO 639-1): an article detected in another
                one is asked for in this one, its evidence kept in the original.

        Raises:
            UserError: An unsupported mode or a bound below its minimum.
        """
        if (
            max_reasks < 0
            or max_transport_attempts < 1
            or deadline_s <= 0
            or max_completion_tokens < 1
            or max_input_tokens < 1
            or token_budget < 1
        ):
            raise UserError("max_reasks >= 0, max_transport_attempts >= 1, deadline and token limits > 0")
        base_url = str(client.base_url)
        self.mode = mode if mode is not None else choose_mode(base_url)
        if self.mode not in SUPPORTED_MODES:
            raise UserError(
                f"mode {self.mode.value!r} is not supported; use one of {[m.value for m in SUPPORTED_MODES]}"
            )
        self.model = model
        self.language = language
        self.supports_json_schema = self.mode in _SCHEMA_MODES
        self.needs_key = is_openai_endpoint(base_url)
        self.max_reasks = max_reasks
        self.max_transport_attempts = max_transport_attempts
        self.deadline_s = deadline_s
        self.token_budget = token_budget
        self.max_completion_tokens = max_completion_tokens
        self.max_claims = max_claims
        self.max_input_tokens = max_input_tokens
        self.temperature = temperature
        self.constrain_json = constrain_json and self.mode is instructor.Mode.JSON
        self.retry_after_cap_s = retry_after_cap_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        validate_limits(requests_per_minute, tokens_per_minute)
        self._settings = client
        self._timeout_s = _timeout_seconds(client.timeout)
        self._secret = client.api_key
        self.endpoint = display_url(base_url)
        """The endpoint as shown to users (no credentials); part of the cache key."""
        self.host = display_host(base_url)
        """The endpoint's host and port, as the circuit breaker names it."""
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    @property
    def max_http_attempts(self) -> int:
        """The most HTTP calls one article (or one part of a split article) can cost."""
        return self.max_transport_attempts * (self.max_reasks + 1)

    @asynccontextmanager
    async def session(self, breaker: CircuitBreaker | None = None) -> AsyncIterator[ModelSession]:
        """Open the async client, rate limiter and circuit breaker one run's extractions share.

        `breaker` lets the caller read, after the run, whether and why it opened; by
        default the session has its own, with the default thresholds.
        """
        client = openai.AsyncOpenAI(**self._endpoint(), max_retries=0)
        limiter = RateLimiter(
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
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
        """Where and how to connect, from the client the backend was given."""
        given = self._settings
        return {
            "api_key": given.api_key,
            "organization": given.organization,
            "project": given.project,
            "base_url": given.base_url,
            "timeout": given.timeout,
        }

    def answer_from(
        self, completion: ChatCompletion, text: str, article: Article | None = None
    ) -> ArticleExtraction:
        """Parse and check an answer that came another way (a batch) as `extract` checks its own.

        `article` (whose part `text` is) gives the language the answer is checked in.

        Raises:
            ModelExtractionError: The answer does not parse, validate or rest on `text`.
        """
        create = instructor.patch(create=lambda *args, **kwargs: completion, mode=self.mode)
        call = _Call(article_id="", deadline=0.0, session=cast(ModelSession, None), answers=1)
        try:
            language = article.language if article is not None else None
            translated = article is not None and self.translation_for(article) is not None
            with grounded_in(text, language, translated):
                answer = create(
                    response_model=GroundedExtraction,
                    messages=messages_for(text, max_claims=self.max_claims),
                    max_retries=Retrying(
                        stop=stop_after_attempt(1), retry=retry_if_exception_type(_BAD_ANSWER), reraise=True
                    ),
                    **self._options(),
                )
        except IncompleteOutputException:
            raise self._failure(
                call, f"answer cut off at the {self.max_completion_tokens}-token limit"
            ) from None
        except InstructorRetryException as exc:
            self._raise_from_instructor(call, exc)
        return ArticleExtraction.model_validate(answer.model_dump())

    def checked(
        self, article: Article, answers: list[ArticleExtraction], *, attempts: int, usage: Usage
    ) -> tuple[ArticleExtraction, ExtractionMeta]:
        """The article's extraction from its parts' answers, checked against the whole article."""
        return self._finished(
            article, prepare_article_text(article.text), answers, attempts=attempts, usage=usage
        )

    def extract(self, article: Article) -> tuple[ArticleExtraction, ExtractionMeta]:
        """`extract_async` for one article, in a session and event loop of its own."""

        async def one() -> tuple[ArticleExtraction, ExtractionMeta]:
            async with self.session() as session:
                return await self.extract_async(article, session)

        return asyncio.run(one())

    async def extract_async(
        self, article: Article, session: ModelSession
    ) -> tuple[ArticleExtraction, ExtractionMeta]:
        """Extract one article, or raise once the bounded retries are spent.

        Returns:
            The extraction with unsupported items removed, and how it was made
            (attempts, summed usage, removed items with reasons).

        Raises:
            FatalProviderError: The endpoint refuses requests (bad key, unknown model);
                every article would fail the same way.
            ModelExtractionError: This article failed for good; fall back.
        """
        text = prepare_article_text(article.text)
        call = _Call(
            article_id=article.id,
            deadline=self._clock() + self.deadline_s,
            session=session,
            translate=self.translation_for(article),
        )
        if not text:
            raise self._failure(call, "article is empty once hidden text is removed")
        parts = split_to_budget(text, self.max_input_tokens)
        answers: list[ArticleExtraction] = []
        for number, part in enumerate(parts, start=1):
            # Each part has its own deadline and bounds; attempts and usage add up.
            call.deadline = self._clock() + self.deadline_s
            call.spent_before = call.usage.prompt_tokens + call.usage.completion_tokens
            call.answers = 0
            with grounded_in(part, article.language, call.translate is not None):
                try:
                    answer = await self._ask(call, part)
                except ModelExtractionError as exc:
                    if len(parts) == 1:
                        raise
                    raise self._failure(call, f"part {number} of {len(parts)}: {exc}") from None
            answers.append(ArticleExtraction.model_validate(answer.model_dump()))
        return self._finished(article, text, answers, attempts=call.http_attempts, usage=call.usage)

    def _finished(
        self, article: Article, text: str, answers: list[ArticleExtraction], *, attempts: int, usage: Usage
    ) -> tuple[ArticleExtraction, ExtractionMeta]:
        """The checked extraction of an article from its parts' answers, and how it was made."""
        translated = self.translation_for(article) is not None
        cleaned, dropped = check_extraction(
            _joined(answers), text, language=article.language, translated=translated
        )
        # The model's headline has no evidence to check it by (and is where planted text
        # asks to be put): the brief shows the outlet's own title, or the lead evidence.
        lead = cleaned.claims[0].evidence if cleaned.claims else ""
        cleaned = cleaned.model_copy(update={"headline": headline(article.title, lead)})
        meta = ExtractionMeta(
            backend=Backend.model,
            model=self.model,
            prompt_version=PROMPT_VERSION,
            attempts=attempts,
            usage=usage,
            dropped=dropped,
            parts=len(answers),
            translated_to=self.language if translated else None,
        )
        return cleaned, meta

    def translation_for(self, article: Article) -> tuple[str, str] | None:
        """The article's language and the brief's, by name, when the article is in another language."""
        if article.language is None or not is_foreign(article.language, self.language):
            return None
        return language_name(article.language), language_name(self.language)

    # -- what is sent ------------------------------------------------------------

    def request_for(
        self,
        text: str,
        *,
        max_claims: int | None = None,
        cut_off: bool = False,
        translate: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The request body sent for `text` (already prepared), as instructor shapes it for the mode.

        The batch mode sends exactly this, and `overhead_tokens` measures it.
        """
        captured: dict[str, Any] = {}

        def capture(*args: Any, **kwargs: Any) -> NoReturn:
            captured.update(kwargs)
            raise _Captured

        n = max_claims or self.max_claims
        create = instructor.patch(create=capture, mode=self.mode)
        quiet = logging.getLogger("instructor")  # it logs the stand-in's "failure" as an error
        level = quiet.level
        quiet.setLevel(logging.CRITICAL + 1)
        try:
            create(
                response_model=GroundedExtraction,
                messages=messages_for(text, max_claims=n, cut_off=cut_off, translate=translate),
                max_retries=Retrying(stop=stop_after_attempt(1), reraise=True),
                **self._options(),
            )
        except (_Captured, InstructorRetryException):
            pass
        finally:
            quiet.setLevel(level)
        return self._finish_request(captured, n)

    def overhead_tokens(self) -> int:
        """Estimated tokens every request costs besides the article: instructions and schema.

        Counted as the model reads them: the messages, plus the schema when the mode
        sends it as a tool or response format (which the provider puts in front of the
        model). In JSON mode the schema is in the system message; the copy in the
        response format only shapes decoding.
        """
        body = self.request_for("")
        read = [str(message.get("content", "")) for message in body["messages"]]
        if self.mode is instructor.Mode.TOOLS:
            read.append(json.dumps(body.get("tools"), ensure_ascii=False, separators=(",", ":")))
        elif self.mode is instructor.Mode.JSON_SCHEMA:
            read.append(json.dumps(body.get("response_format"), ensure_ascii=False, separators=(",", ":")))
        return sum(estimate_tokens(text) for text in read)

    def _finish_request(self, kwargs: dict[str, Any], max_claims: int) -> dict[str, Any]:
        """The request as instructor shaped it, its schema compacted and, in JSON mode, enforced."""
        body = dict(kwargs)
        body["messages"] = [compact_schema_in(m) for m in body.get("messages", [])]
        if self.constrain_json and body.get("response_format") == {"type": "json_object"}:
            body["response_format"] = {"type": "json_object", "schema": decoding_schema(max_claims)}
        return body

    # -- one article: answers and re-asks -----------------------------------

    async def _ask(self, call: _Call, text: str) -> GroundedExtraction:
        max_claims = self.max_claims
        cut_off = False
        while True:
            messages = messages_for(text, max_claims=max_claims, cut_off=cut_off, translate=call.translate)
            call.max_claims = max_claims
            # instructor returns an async create for an async function; its stubs only know the sync one.
            create: Callable[..., Awaitable[GroundedExtraction]] = cast(
                Any, instructor.patch(create=functools.partial(self._send, call), mode=self.mode)
            )
            # Our own AsyncRetrying rather than an int: instructor has counted an int both as total
            # attempts and (1.17) as retries after the first; this way the bound is exact either way.
            reasks = AsyncRetrying(
                stop=stop_after_attempt(self.max_reasks + 1 - call.answers),
                retry=retry_if_exception_type(_BAD_ANSWER),
                reraise=True,
            )
            try:
                answer: GroundedExtraction = await create(
                    response_model=GroundedExtraction,
                    messages=messages,
                    max_retries=reasks,
                    **self._options(),
                )
                return answer
            except IncompleteOutputException:
                if call.answers > self.max_reasks:
                    limit = self.max_completion_tokens
                    reason = (
                        f"no valid answer in {call.answers} tries; last cut off at the {limit}-token limit"
                    )
                    raise self._failure(call, reason) from None
                cut_off, max_claims = True, max(3, max_claims // 2)
            except InstructorRetryException as exc:
                self._raise_from_instructor(call, exc)

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"model": self.model}
        # OpenAI's newer models refuse `max_tokens`; local servers do not know the newer name.
        options["max_completion_tokens" if self.needs_key else "max_tokens"] = self.max_completion_tokens
        if self.temperature is not None:
            options["temperature"] = self.temperature
        return options

    def _raise_from_instructor(self, call: _Call, exc: InstructorRetryException) -> NoReturn:
        # instructor wraps whatever ended its loop; raise the real reason.
        cause = exc.__cause__
        if isinstance(cause, BriefingError):
            raise cause
        if isinstance(cause, _BAD_ANSWER):
            reason = f"no valid answer in {call.answers} tries; last: {_describe(cause)}"
            raise self._failure(call, reason) from None
        if isinstance(cause, Exception):
            raise cause  # a bug or a test harness refusing a request, not a model failure: let it show
        raise exc

    # -- one model call: transport attempts ------------------------------------

    async def _send(self, call: _Call, *args: Any, **kwargs: Any) -> ChatCompletion:
        at_most = stop_after_attempt(self.max_transport_attempts)
        retrying = AsyncRetrying(
            stop=at_most | _StopAtDeadline(call.deadline, self._clock),
            wait=self._wait,
            retry=retry_if_exception(_is_transient),
            sleep=self._sleep,
            reraise=True,
        )
        body = self._finish_request(kwargs, call.max_claims)
        before = call.http_attempts
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._post(call, body)
        except openai.APIStatusError as exc:
            raise self._status_failure(call, exc, call.http_attempts - before) from None
        except (openai.APIConnectionError, _UnreadableResponse) as exc:
            if not _is_transient(exc):
                raise  # not a network failure (e.g. a replay-only test refusing a request)
            spent = _gave_up(call.http_attempts - before, call.http_attempts)
            raise self._failure(call, f"{spent}: {_describe(exc)}") from None
        call.answers += 1
        return response

    async def _post(self, call: _Call, body: dict[str, Any]) -> ChatCompletion:
        spent = call.usage.prompt_tokens + call.usage.completion_tokens - call.spent_before
        if spent >= self.token_budget:
            raise self._failure(
                call, f"token budget of {self.token_budget} spent after {call.http_attempts} attempts"
            )
        breaker = call.session.breaker
        if breaker.is_open:
            raise self._down(call)
        await call.session.limiter.acquire(_request_tokens(body, self.max_completion_tokens))
        if breaker.is_open:
            raise self._down(call)
        remaining = call.deadline - self._clock()
        if remaining <= 0:
            raise self._failure(
                call, f"deadline of {self.deadline_s:g}s passed after {call.http_attempts} attempts"
            )
        call.http_attempts += 1
        answers_when_sent = breaker.answers
        request = call.session.client.chat.completions.create(**body, timeout=min(self._timeout_s, remaining))
        try:
            response = await _unless_opened(breaker, request)
        except _Abandoned:
            raise self._down(call) from None
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
            return min(retry_after, self.retry_after_cap_s)
        backoff: float = self.backoff_initial_s * 2.0 ** (state.attempt_number - 1)
        return min(backoff + self._rng.uniform(0, self.backoff_initial_s), self.backoff_max_s)

    # -- errors ------------------------------------------------------------------

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
        if not _is_transient(exc):
            return None
        if type(exc.__cause__).__name__ == "ConnectError":  # httpx2's, or a legacy httpx client's
            return "unreachable", "connection refused" if _refused(exc) else "cannot connect"
        return "failing", "connection dropped"

    def _down(self, call: _Call) -> EndpointDownError:
        return EndpointDownError(
            call.session.breaker.reason or f"model endpoint {self.host} is down",
            article_id=call.article_id,
            attempts=call.http_attempts,
            usage=call.usage,
        )

    def _failure(self, call: _Call, message: str) -> ModelExtractionError:
        return ModelExtractionError(
            self._scrub(message), article_id=call.article_id, attempts=call.http_attempts, usage=call.usage
        )

    def _status_failure(self, call: _Call, exc: openai.APIStatusError, in_call: int) -> ProviderError:
        status = exc.status_code
        label = f"HTTP {status} {exc.response.reason_phrase}".strip()
        detail = self._scrub(_server_message(exc))
        if status in (401, 403):
            refused = "the key" if status == 401 else f"access to model {self.model!r}"
            return FatalProviderError(
                f"{self.endpoint} refused {refused} ({label}): check OPENAI_API_KEY",
                article_id=call.article_id,
                attempts=call.http_attempts,
            )
        if status == 404:
            return FatalProviderError(
                f"{self.endpoint} answered {label}: unknown model {self.model!r} "
                f"or wrong base URL ({detail})",
                article_id=call.article_id,
                attempts=call.http_attempts,
            )
        if status == 400 and not _context_overflow(detail):
            return FatalProviderError(
                f"{self.endpoint} rejected the request ({label}): {detail}",
                article_id=call.article_id,
                attempts=call.http_attempts,
            )
        if _is_transient(exc):
            return self._failure(call, f"{_gave_up(in_call, call.http_attempts)}: last {label}")
        return self._failure(call, f"{label}: {detail}")

    def _scrub(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "***")
        text = _KEY_LIKE.sub("***", text)
        return " ".join(text.split())[:300]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _transport_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (httpx2.TransportError, OSError)
    legacy = sys.modules.get("httpx")  # a caller may hand openai a legacy httpx client
    if legacy is not None and hasattr(legacy, "TransportError"):
        errors += (legacy.TransportError,)
    return errors


def _is_transient(exc: BaseException) -> bool:
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


def _request_tokens(body: dict[str, Any], max_completion_tokens: int) -> int:
    """What a request counts against a tokens-per-minute limit: its prompt and its answer's limit."""
    return estimate_tokens(json.dumps(body.get("messages", []), ensure_ascii=False)) + max_completion_tokens


def _timeout_seconds(timeout: object) -> float:
    if isinstance(timeout, int | float):
        return float(timeout)
    read = getattr(timeout, "read", None)
    return float(read) if isinstance(read, int | float) else 600.0


def usage_of(response: ChatCompletion) -> Usage:
    """The tokens a completion reports, cached prompt tokens included."""
    usage = response.usage
    if usage is None:
        return Usage()
    details = usage.prompt_tokens_details
    cached = details.cached_tokens if details is not None and details.cached_tokens else 0
    return Usage(
        prompt_tokens=usage.prompt_tokens or 0,
        completion_tokens=usage.completion_tokens or 0,
        cached_tokens=cached,
    )


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


def _describe(exc: BaseException) -> str:
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
