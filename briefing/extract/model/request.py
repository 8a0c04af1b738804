"""What is sent for one article: the instructor mode, the request body, its parts and its language.

A request is exactly what instructor shapes for the mode (messages, the schema as a
tool, a response format or a system message), plus two changes of briefing's own: the
schema is compacted, and in JSON mode it is also put in the response format so that
llama.cpp's servers decode under a grammar made from it (`constrain_json`). The online
path and the batch path both send `Requests.finish`'s output, so a batch line is the
request the online path would have sent.

An article longer than the input budget is sent in parts (`briefing.extract.model.budget`);
one in another language than the brief's is asked for in the brief's language.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, NoReturn

import instructor
from instructor.core import InstructorRetryException
from tenacity import Retrying, stop_after_attempt

from briefing.contracts import Article
from briefing.errors import UserError
from briefing.extract.model.budget import estimate_tokens, split_to_budget
from briefing.extract.model.prompt import (
    GroundedExtraction,
    compact_schema_in,
    decoding_schema,
    messages_for,
)
from briefing.extract.model.providers import is_openai_endpoint
from briefing.ingest.language import is_foreign, language_name

if TYPE_CHECKING:
    from briefing.extract.model.settings import ModelSettings

__all__ = [
    "MODE_NAMES",
    "SCHEMA_MODES",
    "SUPPORTED_MODES",
    "Requests",
    "choose_mode",
    "mode_from_name",
    "request_tokens",
]

SUPPORTED_MODES = (
    instructor.Mode.JSON_SCHEMA,
    instructor.Mode.TOOLS,
    instructor.Mode.JSON,
    instructor.Mode.MD_JSON,
)
SCHEMA_MODES = (instructor.Mode.JSON_SCHEMA, instructor.Mode.TOOLS)
"""Modes in which the server is sent the schema to enforce; the others only describe it in the prompt."""

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


def request_tokens(body: dict[str, Any], max_completion_tokens: int) -> int:
    """What a request counts against a tokens-per-minute limit: its prompt and its answer's limit."""
    return estimate_tokens(json.dumps(body.get("messages", []), ensure_ascii=False)) + max_completion_tokens


class _Captured(Exception):
    """Raised by `Requests.body_for`'s stand-in for the API, once it has the request."""


class Requests:
    """Shapes the requests for one model, mode and endpoint.

    Attributes:
        mode: The instructor mode every request is shaped for.
        needs_key: The endpoint is OpenAI's API, which takes `max_completion_tokens`
            (local servers know only `max_tokens`).
        constrain_json: The schema also goes in a JSON-mode response format.
    """

    def __init__(self, settings: ModelSettings, *, mode: instructor.Mode, needs_key: bool) -> None:
        self.settings = settings
        self.mode = mode
        self.needs_key = needs_key
        self.constrain_json = settings.constrain_json and mode is instructor.Mode.JSON

    def options(self) -> dict[str, Any]:
        """The request's settings besides the messages: model, answer limit, temperature."""
        options: dict[str, Any] = {"model": self.settings.model}
        # OpenAI's newer models refuse `max_tokens`; local servers do not know the newer name.
        limit = self.settings.max_completion_tokens
        options["max_completion_tokens" if self.needs_key else "max_tokens"] = limit
        if self.settings.temperature is not None:
            options["temperature"] = self.settings.temperature
        return options

    def messages(
        self, text: str, *, max_claims: int, cut_off: bool = False, translate: tuple[str, str] | None = None
    ) -> list[dict[str, str]]:
        """The chat messages for `text` (already prepared): `briefing.extract.model.prompt.messages_for`."""
        return messages_for(text, max_claims=max_claims, cut_off=cut_off, translate=translate)

    def finish(self, kwargs: dict[str, Any], max_claims: int) -> dict[str, Any]:
        """The request as instructor shaped it, its schema compacted and, in JSON mode, enforced."""
        body = dict(kwargs)
        body["messages"] = [compact_schema_in(m) for m in body.get("messages", [])]
        if self.constrain_json and body.get("response_format") == {"type": "json_object"}:
            body["response_format"] = {"type": "json_object", "schema": decoding_schema(max_claims)}
        return body

    def body_for(
        self,
        text: str,
        *,
        max_claims: int | None = None,
        cut_off: bool = False,
        translate: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """The first request body sent for `text` (already prepared), as instructor shapes it.

        The batch mode sends exactly this, and `overhead_tokens` measures it.
        """
        captured: dict[str, Any] = {}

        def capture(*args: Any, **kwargs: Any) -> NoReturn:
            captured.update(kwargs)
            raise _Captured

        n = max_claims or self.settings.max_claims
        create = instructor.patch(create=capture, mode=self.mode)
        quiet = logging.getLogger("instructor")  # it logs the stand-in's "failure" as an error
        level = quiet.level
        quiet.setLevel(logging.CRITICAL + 1)
        try:
            create(
                response_model=GroundedExtraction,
                messages=self.messages(text, max_claims=n, cut_off=cut_off, translate=translate),
                max_retries=Retrying(stop=stop_after_attempt(1), reraise=True),
                **self.options(),
            )
        except (_Captured, InstructorRetryException):
            pass
        finally:
            quiet.setLevel(level)
        return self.finish(captured, n)

    def overhead_tokens(self) -> int:
        """Estimated tokens every request costs besides the article: instructions and schema.

        Counted as the model reads them: the messages, plus the schema when the mode
        sends it as a tool or response format (which the provider puts in front of the
        model). In JSON mode the schema is in the system message; the copy in the
        response format only shapes decoding.
        """
        body = self.body_for("")
        read = [str(message.get("content", "")) for message in body["messages"]]
        if self.mode is instructor.Mode.TOOLS:
            read.append(json.dumps(body.get("tools"), ensure_ascii=False, separators=(",", ":")))
        elif self.mode is instructor.Mode.JSON_SCHEMA:
            read.append(json.dumps(body.get("response_format"), ensure_ascii=False, separators=(",", ":")))
        return sum(estimate_tokens(text) for text in read)

    def parts(self, text: str) -> list[str]:
        """`text` (already prepared) in the parts sent one request each; none for an empty text."""
        return split_to_budget(text, self.settings.max_input_tokens) if text else []

    def translation_for(self, article: Article) -> tuple[str, str] | None:
        """The article's language and the brief's, by name, when the article is in another language."""
        language = self.settings.language
        if article.language is None or not is_foreign(article.language, language):
            return None
        return language_name(article.language), language_name(language)
