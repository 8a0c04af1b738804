"""Reading and checking an answer: parse it, validate it, and keep only what the article supports.

One reader for both ways an answer arrives. The online path (`ModelBackend`) hands
`Answers.read` a function that sends the request and re-asks within the article's
budget; the batch path (`briefing.extract.model.batch`) hands `Answers.read_completion`
an answer that has already come, which goes through the same `read`. Either way:

- the answer is parsed by instructor for the mode and validated as `GroundedExtraction`
  (the schema, plus enough claims whose evidence is in the article: `grounded_in`);
- an answer that does not parse or validate is re-asked while answers are left (the
  batch has one); an answer cut off at the token limit raises `AnswerCutOff`, and the
  caller decides whether to ask again, shorter;
- instructor's wrapper exception is unwrapped, so a transport failure or a refusal
  reaches the caller as itself, not as a bad answer;
- once an article's parts are answered, `Answers.checked` joins them and removes
  whatever the whole article does not support (`briefing.check.grounding.check_extraction`),
  recording the removals in `ExtractionMeta.dropped`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, cast

import instructor
from instructor.core import IncompleteOutputException, InstructorRetryException, ResponseParsingError
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from briefing.check.grounding import check_extraction
from briefing.contracts import Article, ArticleExtraction, Backend, Entity, ExtractionMeta, Quote, Usage
from briefing.errors import BriefingError
from briefing.extract.extractive.leads import headline
from briefing.extract.model.call import Call, describe
from briefing.extract.model.prompt import (
    PROMPT_VERSION,
    GroundedExtraction,
    grounded_in,
    prepare_article_text,
)
from briefing.extract.model.request import Requests

__all__ = ["BAD_ANSWER", "AnswerCutOff", "Answers", "Send", "joined", "usage_of"]

BAD_ANSWER = (ValidationError, json.JSONDecodeError, ResponseParsingError)
"""What instructor raises for an answer that does not parse or validate: re-asked, nothing else."""

Send = Callable[[dict[str, Any]], Awaitable[ChatCompletion]]
"""Sends a request as instructor shaped it and returns the completion (or raises why there is none)."""


class AnswerCutOff(Exception):
    """The answer stopped at the token limit (finish_reason "length"): asking again may fit."""


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


def joined(parts: list[ArticleExtraction]) -> ArticleExtraction:
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


class Answers:
    """Reads the answers to the requests `requests` shapes, and checks them against their article."""

    def __init__(self, requests: Requests, *, secret: str | None = None) -> None:
        """Read answers for `requests`' model and mode; `secret` is kept out of failure messages."""
        self.requests = requests
        self.secret = secret

    async def read(
        self,
        call: Call,
        send: Send,
        messages: list[dict[str, str]],
        *,
        text: str,
        language: str | None,
        translated: bool,
        answers_left: int,
    ) -> ArticleExtraction:
        """Ask with `messages` through `send` and read the answer, re-asking a bad one.

        At most `answers_left` answers are read; each one `send` returns is counted in
        `call.answers`. `text` is what the answer is validated against (the article, or
        the part of it asked about), in `language`; `translated` when the answer is asked
        for in another language than the article's.

        Raises:
            AnswerCutOff: The answer stopped at the token limit.
            ModelExtractionError: No answer parsed and validated.
            BriefingError: Whatever `send` raised (a refusal, a spent budget, a failure).
        """

        async def create(*args: Any, **kwargs: Any) -> ChatCompletion:
            response = await send(kwargs)
            call.answers += 1
            return response

        # instructor returns an async create for an async function; its stubs only know the sync one.
        patched: Callable[..., Awaitable[GroundedExtraction]] = cast(
            Any, instructor.patch(create=create, mode=self.requests.mode)
        )
        # Our own AsyncRetrying rather than an int: instructor has counted an int both as total
        # attempts and (1.17) as retries after the first; this way the bound is exact either way.
        reasks = AsyncRetrying(
            stop=stop_after_attempt(answers_left), retry=retry_if_exception_type(BAD_ANSWER), reraise=True
        )
        try:
            with grounded_in(text, language, translated):
                answer = await patched(
                    response_model=GroundedExtraction,
                    messages=messages,
                    max_retries=reasks,
                    **self.requests.options(),
                )
        except IncompleteOutputException:
            raise AnswerCutOff from None
        except InstructorRetryException as exc:
            _raise_from_instructor(call, exc)
        return ArticleExtraction.model_validate(answer.model_dump())

    def read_completion(
        self, completion: ChatCompletion, text: str, article: Article | None = None
    ) -> ArticleExtraction:
        """Read an answer that came another way (a batch) exactly as `read` reads one it asked for.

        `article` (whose part `text` is) gives the language the answer is checked in. Runs
        its own event loop, so it is called from synchronous code.

        Raises:
            ModelExtractionError: The answer is cut off, or does not parse, validate or rest on `text`.
        """
        call = Call(article_id="", deadline=0.0, session=None, secret=self.secret)

        async def given(_request: dict[str, Any]) -> ChatCompletion:
            return completion

        language = article.language if article is not None else None
        translated = article is not None and self.requests.translation_for(article) is not None
        messages = self.requests.messages(text, max_claims=self.requests.settings.max_claims)
        read = self.read(
            call, given, messages, text=text, language=language, translated=translated, answers_left=1
        )
        try:
            return asyncio.run(read)
        except AnswerCutOff:
            limit = self.requests.settings.max_completion_tokens
            raise call.failure(f"answer cut off at the {limit}-token limit") from None

    def checked(
        self, article: Article, answers: list[ArticleExtraction], *, attempts: int, usage: Usage
    ) -> tuple[ArticleExtraction, ExtractionMeta]:
        """The article's extraction from its parts' answers, checked against the whole article.

        `attempts` and `usage` are what the answers cost, for the run report.
        """
        translated = self.requests.translation_for(article) is not None
        text = prepare_article_text(article.text)
        cleaned, dropped = check_extraction(
            joined(answers), text, language=article.language, translated=translated
        )
        # The model's headline has no evidence to check it by (and is where planted text
        # asks to be put): the brief shows the outlet's own title, or the lead evidence.
        lead = cleaned.claims[0].evidence if cleaned.claims else ""
        cleaned = cleaned.model_copy(update={"headline": headline(article.title, lead)})
        settings = self.requests.settings
        meta = ExtractionMeta(
            backend=Backend.model,
            model=settings.model,
            prompt_version=PROMPT_VERSION,
            attempts=attempts,
            usage=usage,
            dropped=dropped,
            parts=len(answers),
            translated_to=settings.language if translated else None,
        )
        return cleaned, meta


def _raise_from_instructor(call: Call, exc: InstructorRetryException) -> NoReturn:
    """Raise the real reason instructor's loop ended, which it wraps."""
    cause = exc.__cause__
    if isinstance(cause, BriefingError):
        raise cause
    if isinstance(cause, BAD_ANSWER):
        raise call.failure(f"no valid answer in {call.answers} tries; last: {describe(cause)}") from None
    if isinstance(cause, Exception):
        raise cause  # a bug or a test harness refusing a request, not a model failure: let it show
    raise exc
