"""Model backend: one article -> `ArticleExtraction` through instructor over the openai client.

`ModelBackend` composes three parts, one job each, and keeps the attributes the rest of
briefing reads (`supports_json_schema`, `needs_key`, `prompt_version`, `endpoint`, ...):

- `request.Requests` shapes what is sent: messages, schema and mode, answer limit,
  parts of a long article, translation;
- `transport.Transport` sends it: per-HTTP-call retries with backoff and Retry-After,
  the article's deadline and token budget, pacing, the circuit breaker;
- `answers.Answers` reads what comes back: parsed and validated by instructor, re-asked
  when it does not validate, then checked against the article. The batch path reads its
  answers through the same `Answers`.

Three kinds of failure are handled in three separate, bounded places, so that attempts
never multiply behind each other's backs: transport failures in `Transport` (at most
`max_transport_attempts` per call), answers that do not validate in `Answers` (at most
`max_reasks` re-asks), and an answer cut off at the token limit here, asked again shorter
while the re-ask budget lasts. So one article makes at most
`max_transport_attempts * (max_reasks + 1)` HTTP calls, none after its deadline and none
once its token budget is spent; every call and every answer's tokens are counted into
`ExtractionMeta`.

The article is data: HTML comments and invisible characters are removed, and it is sent
alone between two boundary lines the prompt names (see `briefing.extract.model.prompt`,
which also explains why instructor's `context=` argument is never used).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from briefing.contracts import Article, ArticleExtraction, ExtractionMeta
from briefing.extract.model.answers import AnswerCutOff, Answers
from briefing.extract.model.breaker import CircuitBreaker
from briefing.extract.model.call import Call, ModelExtractionError, ModelSession
from briefing.extract.model.prompt import PROMPT_VERSION, prepare_article_text
from briefing.extract.model.providers import is_openai_endpoint
from briefing.extract.model.request import SCHEMA_MODES, Requests, choose_mode
from briefing.extract.model.settings import ModelSettings
from briefing.extract.model.transport import Transport

__all__ = ["ModelBackend"]


class ModelBackend:
    """Extracts one article per model call, validated against the schema and the article.

    Attributes:
        settings: What is asked for, and the bounds on each article's attempts.
        mode: The instructor mode: `settings.mode`, else chosen for the endpoint.
        supports_json_schema: The mode sends the schema for the server to enforce
            (JSON_SCHEMA, TOOLS); otherwise it is only described in the prompt.
        needs_key: The endpoint is OpenAI's API, which needs a real key.
        endpoint: The endpoint as shown to users (no credentials); part of the cache key.
        host: The endpoint's host and port, as the circuit breaker names it.
        requests: Shapes each request.
        transport: Sends them.
        answers: Reads and checks what comes back.
    """

    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        client: openai.OpenAI | openai.AsyncOpenAI,
        settings: ModelSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        """Configure the backend; nothing is sent until `extract`.

        Args:
            client: The openai client (see `briefing.extract.model.providers.make_client`): where to
                send requests, with which key and timeout. Requests go through an
                `openai.AsyncOpenAI` made from it per run (`session`), with the SDK's
                retries off, so retries stay in one layer.
            settings: The model, mode and bounds (validated when they were made).
            sleep: Async wait between attempts (tests pass a recorder).
            clock: Monotonic clock for the deadline and the pacing.
            rng: Source of jitter.
        """
        base_url = str(client.base_url)
        self.settings = settings
        self.mode = settings.mode if settings.mode is not None else choose_mode(base_url)
        self.supports_json_schema = self.mode in SCHEMA_MODES
        self.needs_key = is_openai_endpoint(base_url)
        self.requests = Requests(settings, mode=self.mode, needs_key=self.needs_key)
        self.transport = Transport(client, settings, sleep=sleep, clock=clock, rng=rng)
        self.answers = Answers(self.requests, secret=self.transport.secret)
        self.endpoint = self.transport.endpoint
        self.host = self.transport.host

    @property
    def model(self) -> str:
        """Model name sent with each request, recorded in every extraction and the cache key."""
        return self.settings.model

    @property
    def language(self) -> str:
        """The brief's language, which every article is asked for in."""
        return self.settings.language

    @property
    def max_completion_tokens(self) -> int:
        """Token limit of each answer."""
        return self.settings.max_completion_tokens

    @property
    def max_input_tokens(self) -> int:
        """Estimated article tokens one request may carry."""
        return self.settings.max_input_tokens

    @property
    def max_http_attempts(self) -> int:
        """The most HTTP calls one article (or one part of a split article) can cost."""
        return self.settings.max_transport_attempts * (self.settings.max_reasks + 1)

    def session(self, breaker: CircuitBreaker | None = None) -> AbstractAsyncContextManager[ModelSession]:
        """Open the async client, rate limiter and circuit breaker one run's extractions share.

        `breaker` lets the caller read, after the run, whether and why it opened; by
        default the session has its own, with the default thresholds.
        """
        return self.transport.session(breaker)

    def request_for(
        self,
        text: str,
        *,
        max_claims: int | None = None,
        cut_off: bool = False,
        translate: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The request body sent for `text` (already prepared); the batch mode sends exactly this."""
        return self.requests.body_for(text, max_claims=max_claims, cut_off=cut_off, translate=translate)

    def overhead_tokens(self) -> int:
        """Estimated tokens every request costs besides the article: instructions and schema."""
        return self.requests.overhead_tokens()

    def translation_for(self, article: Article) -> tuple[str, str] | None:
        """The article's language and the brief's, by name, when the article is in another language."""
        return self.requests.translation_for(article)

    def extract(self, article: Article) -> tuple[ArticleExtraction, ExtractionMeta]:
        """`extract_async` for one article, in a session and event loop of its own."""

        async def one() -> tuple[ArticleExtraction, ExtractionMeta]:
            async with self.transport.session() as session:
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
        call = Call(
            article_id=article.id,
            deadline=self.transport.deadline(),
            session=session,
            secret=self.transport.secret,
            translate=self.requests.translation_for(article),
        )
        if not text:
            raise call.failure("article is empty once hidden text is removed")
        parts = self.requests.parts(text)
        answers: list[ArticleExtraction] = []
        for number, part in enumerate(parts, start=1):
            # Each part has its own deadline and bounds; attempts and usage add up.
            call.deadline = self.transport.deadline()
            call.spent_before = call.usage.prompt_tokens + call.usage.completion_tokens
            call.answers = 0
            try:
                answers.append(await self._ask(call, part, article.language))
            except ModelExtractionError as exc:
                if len(parts) == 1:
                    raise
                raise call.failure(f"part {number} of {len(parts)}: {exc}") from None
        return self.answers.checked(article, answers, attempts=call.http_attempts, usage=call.usage)

    async def _ask(self, call: Call, text: str, language: str | None) -> ArticleExtraction:
        """One part's answer; an answer cut off at the token limit is asked again, for fewer claims."""

        async def send(request: dict[str, Any]) -> ChatCompletion:
            return await self.transport.send(call, self.requests.finish(request, call.max_claims))

        max_claims = self.settings.max_claims
        cut_off = False
        while True:
            messages = self.requests.messages(
                text, max_claims=max_claims, cut_off=cut_off, translate=call.translate
            )
            call.max_claims = max_claims
            try:
                return await self.answers.read(
                    call,
                    send,
                    messages,
                    text=text,
                    language=language,
                    translated=call.translate is not None,
                    answers_left=self.settings.max_reasks + 1 - call.answers,
                )
            except AnswerCutOff:
                if call.answers > self.settings.max_reasks:
                    limit = self.settings.max_completion_tokens
                    reason = (
                        f"no valid answer in {call.answers} tries; last cut off at the {limit}-token limit"
                    )
                    raise call.failure(reason) from None
                cut_off, max_claims = True, max(3, max_claims // 2)
