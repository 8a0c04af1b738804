"""Building an `Article`: decoded, cleaned text plus what is known of its page -> one article.

Every input that cannot be used becomes an `InputProblem` (one line for the user),
never an exception, so one bad file does not stop the others.
"""

from __future__ import annotations

import hashlib
import re

from briefing.contracts import Article, InputProblem
from briefing.ingest.clean import clean_text
from briefing.ingest.decode import read_text
from briefing.ingest.html import PageMeta, html_to_text

__all__ = ["UNKNOWN_OUTLET", "article_from_bytes", "article_from_text"]

UNKNOWN_OUTLET = "unknown outlet"
"""An article's `source` when nothing names its outlet: a file's name is not an outlet's."""
_TITLE_WORDS = 12
"""Words of a lead sentence kept when it stands for a missing title."""
_SENTENCE_END = re.compile(r"(?<=[^\s.][^\s.][.!?])[\"'”’)]*(?=\s|$)")

_HTML_HINT = re.compile(r"<\s*(?:!doctype|html|body|p|div|article|br|span|head)\b", re.IGNORECASE)
_HTML_NOTE = "HTML given as text; converted to plain text"
_WEB_PAGE_NOTE = "web page: main text and metadata read with trafilatura"


def article_from_bytes(
    data: bytes, label: str, known: PageMeta | None = None
) -> tuple[Article | None, InputProblem | None]:
    """Decode and clean one input's bytes; the line to show says why nothing is left, or how it was read."""
    text, note = read_text(data)
    if text is None:
        return None, InputProblem(path=label, reason=note or "not text", action="skipped")
    if not text.strip():
        reason = "empty file" if not text else "file has only whitespace"
        return None, InputProblem(path=label, reason=reason, action="skipped")
    notes = [note] if note else []
    article = article_from_text(text, label=label, notes=notes, known=known)
    if article is None:
        return None, InputProblem(path=label, reason="no article text left after cleaning", action="skipped")
    # How the file was read is worth a line (a wrong guess garbles names); routine cleaning
    # is kept in `Article.notes` for the JSON brief.
    read_as = [n for n in article.notes if n in (note, _HTML_NOTE)]
    problem = InputProblem(path=label, reason="; ".join(read_as), action="used") if read_as else None
    return article, problem


def article_from_text(
    text: str, *, label: str, notes: list[str] | None = None, known: PageMeta | None = None
) -> Article | None:
    """Clean raw text into an `Article`; None when nothing usable remains.

    The article's language is left unknown: detecting it is a step of the pipeline
    (`briefing.ingest.language.with_languages`), run after syndicated copies are folded.

    `known` is what the caller already knows of the page (a URL's address and host, a
    feed entry's title, outlet and date); what the page says of itself comes first.

    The outlet is a "Source:" line, the page's site, a byline or a dateline, else the
    web address's host, else `UNKNOWN_OUTLET`; the title is the page's, or a first line
    that reads as one, else the lead sentence, shortened. A file's name is neither: a
    reader cannot tell "001_e603" from an outlet.
    """
    notes = list(notes or [])
    if nuls := text.count("\x00"):
        text = text.replace("\x00", "")
        notes.append(f"removed {nuls} NUL character(s)")
    known = known or PageMeta()
    page = PageMeta()
    if _HTML_HINT.search(text):
        text, page = html_to_text(text)
        web_page = known.url is not None or label.lower().endswith((".html", ".htm"))
        notes.append(_WEB_PAGE_NOTE if web_page else _HTML_NOTE)
    page = PageMeta(
        title=page.title or known.title,
        site=page.site or known.site,
        author=page.author or known.author,
        published=page.published or known.published,
        url=known.url,
    )
    cleaned = clean_text(text)
    notes.extend(cleaned.notes)
    kept = cleaned.paragraphs
    if not kept:
        return None
    body = "\n\n".join(kept)
    outlet = (page.site or label) if page.url else UNKNOWN_OUTLET
    first_line = _title(kept)
    title = (page.title or first_line) if page.url else (first_line or page.title)
    return Article(
        id=hashlib.sha256(body.encode("utf-8")).hexdigest()[:12],
        source=cleaned.source or page.site or cleaned.byline_source or outlet,
        title=title or _lead_title(kept),
        path=label,
        text=body,
        notes=notes,
        author=page.author or cleaned.author,
        published=page.published or cleaned.published,
        url=page.url,
        credit=cleaned.credit,
    )


def _title(paragraphs: list[str]) -> str | None:
    """The first short line that reads as a headline (a one-word section label is skipped)."""
    for paragraph in paragraphs[:3]:
        words = paragraph.split()
        if len(words) <= 1:
            continue
        if len(words) <= 25 and not paragraph.endswith((".", ",", ";")):
            return paragraph
        return None
    return None


def _lead_title(paragraphs: list[str]) -> str:
    """The lead sentence as a title: whole when short, else its first words and an ellipsis."""
    lead = next((p for p in paragraphs if len(p.split()) > 1), paragraphs[0])
    end = _SENTENCE_END.search(lead)
    sentence = lead[: end.start()].rstrip(".!?") if end else lead
    words = sentence.split()
    if len(words) <= _TITLE_WORDS:
        return " ".join(words)
    return " ".join(words[:_TITLE_WORDS]).rstrip(",;:—–-") + "…"
