"""What is sent for one article: the prompt file, the article as data, and the response model.

The prompt is a versioned Jinja2 file (`prompts/extract.v2.jinja`, shipped inside the
wheel as `briefing/prompts/`), rendered in a sandbox with every value required. The
article goes in as data between two boundary lines the system message names; the
detailed instructions are the field descriptions of `ArticleExtraction`, which
instructor sends as the JSON schema.

`GroundedExtraction` is the model instructor validates answers against: the same fields
as `ArticleExtraction`, plus a check that most claims are supported by the article, so
that an answer built on invented evidence is re-asked rather than accepted. The check
reads the article from a `ContextVar` set by `grounded_in`, not from instructor's
`context=` argument: instructor 1.17 renders every message as a Jinja2 template when a
context is given, which would execute template syntax found in an article.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, Self

from instructor import OpenAISchema
from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ConfigDict, model_validator
from pydantic.json_schema import DEFAULT_REF_TEMPLATE, GenerateJsonSchema, JsonSchemaMode

from briefing.check.grounding import check_extraction
from briefing.contracts import ArticleExtraction
from briefing.text import strip_invisible

__all__ = [
    "PROMPT_VERSION",
    "GroundedExtraction",
    "article_boundary",
    "compact_schema_in",
    "decoding_schema",
    "grounded_in",
    "messages_for",
    "prepare_article_text",
    "render_prompt",
]

PROMPT_VERSION = "extract.v2"
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_ARTICLE_TEXT: ContextVar[tuple[str, str | None, bool] | None] = ContextVar(
    "briefing_article_text", default=None
)
_INDENT = re.compile(r"\n[ \t]+")
_BLANK_RUN = re.compile(r"\n{3,}")
_SCHEMAS: dict[tuple[Any, ...], str] = {}


def prepare_article_text(text: str) -> str:
    """The article as sent: HTML comments and zero-width characters removed.

    Both can hide text from a human reader while a model still reads it, which is the
    usual way instructions are smuggled into a page.
    """
    return strip_invisible(_HTML_COMMENT.sub("", text)).strip()


def article_boundary(text: str) -> str:
    """A boundary token the article cannot contain, derived from the article itself.

    It is a hash of the text, so the article's author cannot write the closing line in
    advance (it would change the hash), yet the same article always gives the same
    request, which recorded cassettes rely on.
    """
    salt = 0
    while True:
        token = hashlib.sha256(f"briefing-boundary:{salt}:{text}".encode()).hexdigest()[:16]
        if token not in text:
            return token
        salt += 1  # pragma: no cover - a 64-bit hash collision


def _prompt_source(name: str) -> str:
    packaged = importlib.resources.files("briefing") / "prompts" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    in_repo = Path(__file__).resolve().parents[3] / "prompts" / name  # editable installs
    if in_repo.is_file():
        return in_repo.read_text(encoding="utf-8")
    raise FileNotFoundError(f"prompt {name} is neither in the installed package nor in the source tree")


@functools.cache
def _template(version: str) -> Template:
    environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    return environment.from_string(_prompt_source(f"{version}.jinja"))


def render_prompt(
    block: Literal["system", "user", "truncated", "translate"], version: str = PROMPT_VERSION, **values: Any
) -> str:
    """Render one message of the prompt file `prompts/<version>.jinja`; a missing value is an error."""
    template = _template(version)
    return "".join(template.blocks[block](template.new_context(values))).strip()


def _compact(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without what costs tokens in every request and tells the model nothing.

    Nested models and enums are written in place instead of under `$defs` (each is used
    once). Dropped: every title but the top one (a field's title repeats its key), the
    docstrings of nested models, `"default": null` (the field description says "or
    null") and `additionalProperties`. Kept: every field description, which is the
    prompt, and the top-level title, which instructor uses as the tool's name. Extra
    keys are still refused when the answer is validated, and `decoding_schema` puts
    `additionalProperties: false` back for a grammar.
    """
    definitions = schema.get("$defs", {})

    def walk(node: Any, top: bool) -> Any:
        if isinstance(node, list):
            return [walk(item, False) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            inlined = {
                **definitions[ref.removeprefix("#/$defs/")],
                **{k: v for k, v in node.items() if k != "$ref"},
            }
            return walk(inlined, False)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$defs", "default", "additionalProperties") or (key == "title" and not top):
                continue
            if key == "description" and "properties" in node and not top:
                continue  # a nested model's docstring, written for developers
            if key == "properties":
                out[key] = {name: walk(sub, False) for name, sub in value.items()}
            else:
                out[key] = walk(value, False)
        return out

    compact: dict[str, Any] = walk(schema, True)
    compact.pop("description", None)
    return compact


class GroundedExtraction(ArticleExtraction, OpenAISchema):
    """Everything the brief needs from one article.

    It is instructor's `OpenAISchema` already, so instructor does not build a wrapper
    class (and its schema) around it for every request.
    """

    model_config = ConfigDict(extra="forbid", title="ArticleExtraction")

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool | None = None,
        ref_template: str = DEFAULT_REF_TEMPLATE,
        schema_generator: type[GenerateJsonSchema] = GenerateJsonSchema,
        mode: JsonSchemaMode = "validation",
        *,
        union_format: Literal["any_of", "primitive_type_array"] = "primitive_type_array",
    ) -> dict[str, Any]:
        # instructor asks for the schema on every request; generating it costs more than the rest.
        key = (cls, by_alias, ref_template, schema_generator, mode, union_format)
        if key not in _SCHEMAS:
            schema = super().model_json_schema(
                by_alias, ref_template, schema_generator, mode, union_format=union_format
            )
            _SCHEMAS[key] = json.dumps(_compact(schema))
        fresh: dict[str, Any] = json.loads(_SCHEMAS[key])  # a copy callers may change (instructor does)
        return fresh

    @model_validator(mode="after")
    def _mostly_grounded(self) -> Self:
        # Only re-ask when the answer is mostly unusable; a few bad items are dropped later.
        grounding = _ARTICLE_TEXT.get()
        if grounding is None:
            return self
        text, language, translated = grounding
        cleaned, reasons = check_extraction(self, text, language=language, translated=translated)
        if not self.claims:
            raise ValueError("no claims: give the article's factual statements, each with verbatim evidence")
        if not cleaned.claims or 2 * len(cleaned.claims) < len(self.claims):
            problems = "; ".join(r for r in reasons if r.startswith("claim"))[:600]
            raise ValueError(
                f"most claims are not supported by the article ({problems}). Copy each evidence span "
                "character for character from the text between the article markers."
            )
        return self


@functools.cache
def _schema_texts() -> tuple[str, str]:
    schema = GroundedExtraction.model_json_schema()
    pretty = json.dumps(schema, indent=2, ensure_ascii=False)
    return pretty, json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def compact_schema_in(message: dict[str, Any]) -> dict[str, Any]:
    """`message` with the schema instructor wrote into it indented written compactly instead.

    In the JSON modes instructor appends the schema to the system message with an
    indent of two, inside a paragraph indented by twelve spaces, which a tokenizer
    charges for line by line; without that whitespace it says the same in fewer tokens.
    Any other message is returned as it is.
    """
    content = message.get("content")
    if message.get("role") != "system" or not isinstance(content, str):
        return message
    pretty, compact = _schema_texts()
    if pretty not in content:
        return message
    content = content.replace(pretty, compact)
    content = _BLANK_RUN.sub("\n\n", _INDENT.sub("\n", content)).strip()
    return {**message, "content": content}


@functools.cache
def decoding_schema(max_claims: int) -> dict[str, Any]:
    """The schema a server may enforce while it decodes: `GroundedExtraction`'s, tightened.

    llama.cpp's servers turn a schema into a grammar, and a small model under a grammar
    takes every optional field as leave to stop early: asked for the plain schema it
    answers with no claims at all. So here every property is required (nullable ones
    still take null), no other property is allowed, and `claims` holds 1 to
    `max_claims` items, which also keeps a looping model from filling the token limit.
    What the answer says is still checked against the article afterwards; the grammar
    only shapes it.

    Cached per `max_claims` and shared: read it, do not change it.
    """
    schema = GroundedExtraction.model_json_schema()

    def require_all(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for child in node.values():
                require_all(child)
        elif isinstance(node, list):
            for child in node:
                require_all(child)

    require_all(schema)
    schema["properties"]["claims"].update(minItems=1, maxItems=max_claims)
    return schema


@contextmanager
def grounded_in(text: str, language: str | None = None, translated: bool = False) -> Iterator[None]:
    """Validate `GroundedExtraction` answers against `text` inside this block (per thread/task).

    `language` and `translated` are `check_extraction`'s: the article's language, and
    whether the statements are asked for in another one.
    """
    token = _ARTICLE_TEXT.set((text, language, translated))
    try:
        yield
    finally:
        _ARTICLE_TEXT.reset(token)


def messages_for(
    text: str, *, max_claims: int, cut_off: bool = False, translate: tuple[str, str] | None = None
) -> list[dict[str, str]]:
    """The chat messages for one article (already `prepare_article_text`-ed).

    With `cut_off`, a note asks for a shorter answer than the one that hit the token limit.
    With `translate` (the article's language, the brief's, by name), a second system
    message asks for the brief's language everywhere but in evidence and quotes.
    """
    boundary = article_boundary(text)
    messages = [
        {"role": "system", "content": render_prompt("system", boundary=boundary, max_claims=max_claims)},
        {"role": "user", "content": render_prompt("user", boundary=boundary, article_text=text)},
    ]
    if translate is not None:
        source, target = translate
        note = render_prompt("translate", source_language=source, target_language=target)
        messages.insert(1, {"role": "system", "content": note})
    if cut_off:
        messages.append({"role": "user", "content": render_prompt("truncated", max_claims=max_claims)})
    return messages
