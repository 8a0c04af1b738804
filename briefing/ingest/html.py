"""HTML -> text: a web page's main text and what the page says about itself.

Text a reader cannot see (hidden elements, zero-size fonts, comments, scripts) is where
instructions for a model are usually planted, so it is removed before anything else
reads the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import lxml.etree
import lxml.html
import trafilatura

__all__ = ["MIN_MAIN_TEXT", "PageMeta", "drop_html_comments", "html_to_text", "visible_text"]


class _TextOnly(HTMLParser):
    """Keep visible text, one paragraph per block element.

    Dropped: scripts, styles and page furniture, and every element a reader cannot see
    (`hidden`, `aria-hidden="true"`, inline `display:none`, `visibility:hidden`, zero
    font size), which is where instructions for a model are usually planted.
    """

    _SKIP = frozenset({"script", "style", "noscript", "template", "nav", "footer", "aside", "head"})
    _FRAME = frozenset({"nav", "footer", "aside", "head"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "tr"}
    )
    _VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "base", "col"})
    _INVISIBLE_STYLE = re.compile(
        r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])", re.IGNORECASE
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # open elements, and whether each hides its content
        self._skipping = 0

    @classmethod
    def hides(cls, tag: str, attrs: list[tuple[str, str | None]], *, keep_frame: bool = False) -> bool:
        """Whether an element hides its content from a reader (or is page furniture).

        `keep_frame` leaves `head`, `nav`, `footer` and `aside` in place, for trafilatura,
        which reads metadata from the head and tells furniture from text itself.
        """
        values = {name.lower(): (value or "") for name, value in attrs}
        skip = cls._SKIP - cls._FRAME if keep_frame else cls._SKIP
        return (
            tag in skip
            or "hidden" in values
            or values.get("aria-hidden", "").lower() == "true"
            or bool(cls._INVISIBLE_STYLE.search(values.get("style", "")))
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n\n")
        if tag in self._VOID:
            return
        hides = self.hides(tag, attrs)
        self._open.append((tag, hides))
        self._skipping += hides

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n\n")
        if not any(name == tag for name, _ in self._open):
            return  # a stray end tag
        while self._open:  # close what was left open inside it, as browsers do
            name, hides = self._open.pop()
            self._skipping -= hides
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


@dataclass(frozen=True)
class PageMeta:
    """What a web page says about itself, when it says it."""

    title: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None


MIN_MAIN_TEXT = 200
"""Characters of main text below which trafilatura's answer is not trusted (a fragment, not a page)."""


def html_to_text(html: str) -> tuple[str, PageMeta]:
    """The main text of a web page, one paragraph per block, and its metadata.

    trafilatura finds the article and leaves out navigation, related links, comments,
    cookie banners and footers, and reads the title, site name, author and date from
    the page's metadata. It keeps text a reader cannot see, though, which is where
    instructions for a model are planted, so every hidden element is removed first
    (`_TextOnly`'s rules). A fragment too small for trafilatura to call an article is
    read block by block instead.
    """
    visible = _visible_html(html)
    document = trafilatura.bare_extraction(
        visible, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    found: dict[str, object] = {}
    if isinstance(document, dict):
        found = document
    elif document is not None:
        found = document.as_dict()
    text = str(found.get("text") or "").strip()
    meta = PageMeta(
        title=_meta(found.get("title")),
        site=_meta(found.get("sitename")),
        author=_meta(found.get("author")),
        published=_meta(found.get("date")),
    )
    if len(text) < MIN_MAIN_TEXT:
        return visible_text(visible), meta
    return re.sub(r"\n+", "\n\n", text), meta


def _meta(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text[:200] or None


def _visible_html(html: str) -> str:
    """`html` without comments, scripts and the elements a reader cannot see."""
    html = drop_html_comments(html)
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return html
    hidden = [
        element
        for element in root.iter()
        if isinstance(element.tag, str)
        and _TextOnly.hides(element.tag.lower(), list(element.attrib.items()), keep_frame=True)
    ]
    for element in hidden:
        if element.getparent() is not None:
            element.drop_tree()
    return str(lxml.html.tostring(root, encoding="unicode"))


def visible_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(drop_html_comments(html))
    parser.close()
    return re.sub(r"[ \t]*\n[ \t\n]*\n[ \t\n]*", "\n\n", "".join(parser.parts)).strip()


def drop_html_comments(text: str) -> str:
    """`text` without `<!-- ... -->` comments.

    The same as `re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)`, but in linear time: the
    regular expression rescans to the end from every `<!--` that is never closed.
    """
    parts: list[str] = []
    done = 0
    while (start := text.find("<!--", done)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[done:start])
        done = end + 3
    parts.append(text[done:])
    return "".join(parts)
