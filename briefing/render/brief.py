"""Render: `Brief` -> Markdown, JSON or an HTML email. Pure: the same brief always gives the same bytes.

Layout lives in `templates/` (Jinja2), not in string concatenation, so an editor
can change the format without touching the logic. Every statement is followed by
its citations; a statement only one source makes is marked so.

The HTML is the Markdown brief rendered by markdown-it (raw HTML off), so the email's
two parts say the same thing. Markdown renderers do not sanitize, so the result goes
through nh3's allow-list (tags, attributes and link schemes) before it is placed in the
email layout, and the layout's stylesheet is then inlined (css-inline), since mail
clients drop `<style>` blocks and never load external CSS.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import css_inline
import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from briefing.contracts import Brief, EditionSource, MergedClaim, RunReport, SourceRef
from briefing.ingest.language import is_foreign, language_name

__all__ = [
    "Anchor",
    "brief_context",
    "email_html",
    "environment",
    "md_escape",
    "render",
    "render_email_html",
    "render_json",
    "render_markdown",
    "report_lines",
    "tidy",
]

FORMATS = ("md", "json", "html")
_ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "code",
    "br",
    "hr",
    "blockquote",
}
_ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_ANCHOR_ATTRIBUTES = {"a": {"href", "name"}, "ol": {"start"}, "h2": {"id"}, "p": {"id"}}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_escape(text: str) -> str:
    """Escape Markdown syntax in text that came from an article or a model.

    Article text is data: a "[link](url)" or "**" inside a source must show as
    written, not become a link or bold text in the brief.
    """
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    text = re.sub(r"^([#>+-])(\s)", r"\\\1\2", text)
    return re.sub(r"^(\d+)\.(\s)", r"\1\\.\2", text)


@cache
def environment(*, html: bool = False) -> Environment:
    # Markdown output: autoescape would turn quotes into HTML entities. Text from articles
    # is escaped for Markdown by md_escape instead; the HTML email template autoescapes.
    return Environment(
        loader=PackageLoader("briefing.render", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        autoescape=html,
    )


@dataclass(frozen=True)
class _Spelling:
    name: str
    article_ids: list[str]


@dataclass(frozen=True)
class _SpellingLine:
    name: str
    others: list[_Spelling]


def made_by(brief: Brief) -> str:
    """One phrase saying which backend and model made the brief.

    Readers (and subscribers, who get this text by mail) see which backend wrote what, never
    why a model call failed: that belongs to the run report and the JSON brief.
    """
    if not brief.models:
        return "extractive backend, no model"
    models = ", ".join(brief.models)
    fallbacks = sum(1 for s in brief.sources if s.fallback_reason)
    if fallbacks == 0:
        return f"model {models}"
    if fallbacks == len(brief.sources):
        return "extractive backend"
    return f"model {models}; extractive backend for {fallbacks} of {len(brief.sources)} articles"


def link(title: str, url: str | None) -> str:
    """`title` as a Markdown link to `url` when it is an http(s) address, else the escaped title."""
    text = md_escape(title)
    if not url or not re.match(r"https?://[^\s<>]+$", url):
        return text
    return f"[{text}](<{url}>)"


def foreign(source: SourceRef | EditionSource, language: str) -> str | None:
    """The name of a source's language when it is not the brief's, else None."""
    if source.language is None or not is_foreign(source.language, language):
        return None
    return language_name(source.language)


def languages_line(brief: Brief) -> str | None:
    """Which sources are in another language than the brief's, and whether the model translated them."""
    translated: list[str] = []
    original: list[str] = []
    for source in brief.sources:
        name = foreign(source, brief.language)
        if name is not None:
            (translated if source.translated else original).append(f"[{source.number}] {name}")
    parts = []
    if translated:
        parts.append(f"translated by the model from {', '.join(translated)} (evidence kept in the original)")
    if original:
        parts.append(f"not translated: {', '.join(original)} (shown in the original language)")
    if not parts:
        return None
    return f"Sources in other languages than {language_name(brief.language)}: {'; '.join(parts)}."


def render_markdown(brief: Brief) -> str:
    """The brief in the Highlights / Interpretation format, with citations and a Sources list."""
    return tidy(environment().get_template("brief.md.j2").render(**brief_context(brief)))


def brief_context(brief: Brief) -> dict[str, object]:
    """What a brief's Markdown templates need: its parts in order, and the helpers that cite and escape."""
    numbers = {s.article_id: s.number for s in brief.sources}
    claims = {c.id: c for c in brief.claims}
    untranslated = {
        s.article_id: name
        for s in brief.sources
        if not s.translated and (name := foreign(s, brief.language)) is not None
    }

    def cite(article_ids: list[str]) -> str:
        return "".join(f"[{n}]" for n in sorted(numbers[a] for a in article_ids if a in numbers))

    def statement(claim: MergedClaim) -> str:
        text = md_escape(claim.statement.strip())
        line = f"{text} {cite(claim.article_ids)}"
        if claim.disputed_by:
            line += f" (reported differently by {cite(claim.disputed_by)})"
        if claim.single_source:
            line += " *(one source)*"
        languages = {untranslated.get(a) for a in claim.article_ids}
        if len(languages) == 1 and (only := languages.pop()) is not None:
            line += f" *(in {only})*"
        return line

    spellings = []
    for entity in brief.entities:
        # "Varga" for "Helena Varga" is the name cut short, not spelled another way.
        words = set(entity.name.casefold().split())
        others = [
            _Spelling(
                name=md_escape(v),
                article_ids=sorted({m.article_id for m in entity.mentions if m.name == v}),
            )
            for v in entity.variants[1:]
            if not set(v.casefold().split()) <= words
        ]
        if others:
            spellings.append(_SpellingLine(name=md_escape(entity.name), others=others))

    return {
        "brief": brief,
        "made_by": made_by(brief),
        "lede": [claims[i] for i in brief.lede_claim_ids],
        "sections": [{"title": s.title, "claims": [claims[i] for i in s.claim_ids]} for s in brief.sections],
        "interpretation": brief.interpretation,
        "discrepancies": [d for d in brief.discrepancies if d.kind != "timeline"],
        "timelines": [d for d in brief.discrepancies if d.kind == "timeline"],
        "spellings": spellings,
        "statement": statement,
        "cite": cite,
        "e": md_escape,
        "link": link,
        "foreign": lambda s: foreign(s, brief.language),
        "languages": languages_line(brief),
    }


def tidy(text: str) -> str:
    """Collapse the blank lines template control flow leaves behind."""
    lines = text.splitlines()
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line.rstrip())
    return "\n".join(out).strip() + "\n"


def report_lines(report: RunReport) -> list[str]:
    """The run report as lines for a terminal or a log: the totals, then one line per event.

    Every article that was split, fell back or lost claims is named with the reason, so
    nothing is dropped without a line saying so; so is trouble with the cache file.
    """
    lines = [
        f"report: {report.articles_used} of {report.articles_in} inputs used; "
        f"{report.claims_extracted} claims extracted, {report.claims_dropped} dropped; "
        f"{report.fallbacks} fallback(s); {report.cached} from cache; "
        + (f"{report.batched} through the Batch API; " if report.batched else "")
        + f"{report.attempts} model call(s); "
        f"tokens {report.usage.prompt_tokens} in ({report.usage.cached_tokens} cached) / "
        f"{report.usage.completion_tokens} out"
        + (
            f"; estimated ${report.estimated_cost_usd:.4f} (prices of {report.prices_as_of}"
            + (", batch at half price)" if report.batched else ")")
            if report.estimated_cost_usd is not None
            else ""
        )
    ]
    # Articles the circuit breaker sent to the fallback share one line, not one each.
    reason = report.endpoint_down
    down = {a.article_id for a in report.articles if reason and a.fallback_reason == reason}
    if down:
        rest = "the remaining article uses" if len(down) == 1 else f"the remaining {len(down)} articles use"
        lines.append(f"{reason}; {rest} the extractive backend")
    for article in report.articles:
        if article.article_id in down:
            continue
        if article.parts > 1:
            lines.append(
                f"split: {article.source}: over the model's input budget; sent in {article.parts} parts, "
                "cut between paragraphs"
            )
        if article.fallback_reason:
            lines.append(f"fallback: {article.source}: {article.fallback_reason}")
        for reason in article.claims_dropped:
            lines.append(f"dropped: {article.source}: {reason}")
    lines.extend(report.cache_notes)
    return lines


def render_email_html(brief: Brief, *, recipient: str = "", unsubscribe_url: str = "") -> str:
    """The brief as a self-contained HTML email: sanitized body, inline styles, a footer.

    `recipient` and `unsubscribe_url` are per subscriber; they are escaped like everything
    else, and a URL that is not http(s) or mailto is left out.
    """
    return email_html(
        render_markdown(brief), title=brief.headline, recipient=recipient, unsubscribe_url=unsubscribe_url
    )


def email_html(
    markdown_text: str,
    *,
    title: str,
    recipient: str = "",
    unsubscribe_url: str = "",
    anchors: Sequence[Anchor] = (),
) -> str:
    """Markdown (a brief's or an edition's) as a self-contained, sanitized HTML email with its footer.

    Each of `anchors` makes one block a link target (see `Anchor`). Article text cannot
    make one: raw HTML in the Markdown is never parsed, and only these targets are made.
    """
    markdown = MarkdownIt("commonmark", {"html": False})
    tokens = markdown.parse(markdown_text)
    if anchors:
        _add_anchors(tokens, anchors)
    body = nh3.clean(
        markdown.renderer.render(tokens, markdown.options, {}),
        tags=_ALLOWED_TAGS,
        attributes=_ANCHOR_ATTRIBUTES if anchors else _ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    if not re.match(r"(?:https?|mailto):", unsubscribe_url):
        unsubscribe_url = ""
    page = (
        environment(html=True)
        .get_template("email.html.j2")
        .render(title=title, body=Markup(body), recipient=recipient, unsubscribe_url=unsubscribe_url)
    )
    return str(css_inline.inline(page))


@dataclass(frozen=True)
class Anchor:
    """A link target in the HTML email: the first block, after the previous anchor's, that starts so.

    A block is a level-2 heading or a paragraph outside any list; `starts` pairs its tag
    ("h2" or "p") with how its Markdown text begins (a story's heading "2. ", or a line
    "**2. "). The block gets the `id` `name` and an `<a name>` inside it: browsers and
    webmail follow the id, older clients that drop ids the name.
    """

    name: str
    starts: tuple[tuple[str, str], ...]


def _add_anchors(tokens: list[Token], anchors: Sequence[Anchor]) -> None:
    """Mark each anchor's block (see `Anchor`), searching in order; one not found is left out."""
    position = 0
    for anchor in anchors:
        for index in range(position, len(tokens) - 1):
            token, inline = tokens[index], tokens[index + 1]
            block = token.type in ("heading_open", "paragraph_open") and token.level == 0
            if block and any(token.tag == t and inline.content.startswith(p) for t, p in anchor.starts):
                token.attrSet("id", anchor.name)
                target = Token("html_inline", "", 0, content=f'<a name="{anchor.name}"></a>')
                inline.children = [target, *(inline.children or [])]
                position = index + 1
                break


def render_json(brief: Brief) -> str:
    """The merged `Brief` model as JSON (the input of `verify` and `send`)."""
    return brief.model_dump_json(indent=2) + "\n"


def render(brief: Brief, fmt: str) -> str:
    if fmt == "json":
        return render_json(brief)
    if fmt == "md":
        return render_markdown(brief)
    if fmt == "html":
        return render_email_html(brief)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
