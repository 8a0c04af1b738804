"""The email as subscribers will see it, with each citation `[n]` made to show its evidence: pure.

The email's HTML (`render_edition_email_html`, sanitised as sent) is taken as it is; only
its citations change, each into a link to the source view and, beside it, a tooltip that
holds the evidence passage (`role="tooltip"`, named by the link's `aria-describedby`), so
the page needs no request to show it and a screen reader reaches it. A citation belongs
to the text just before it: a statement, a "reported differently by" of that statement, an
interpretation point, or a value the sources disagree on; one that fits none still links
to its source, with the source's name and title in the tooltip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import lxml.html
from lxml.etree import _Element

from briefing.contracts import Edition, EditionStory, Evidence

__all__ = ["annotated_email"]

_CITE = re.compile(r"\[(\d+)\]")
_TRAILING = re.compile(r"(?:\s*\[\d+\])*\s*$")


@dataclass(frozen=True)
class _Said:
    """A text a citation may follow, and what the citation then points at."""

    text: str
    param: str
    value: str
    evidence: list[Evidence]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _sayings(story: EditionStory) -> list[_Said]:
    brief = story.brief
    claims = {c.id: c for c in brief.claims}
    said = [_Said(_flat(c.statement), "claim", c.id, c.evidence) for c in brief.claims]
    for point in brief.interpretation:
        evidence = [e for i in point.claim_ids if i in claims for e in claims[i].evidence]
        said.append(
            _Said(_flat(point.text), "claim", point.claim_ids[0] if point.claim_ids else "", evidence)
        )
    for d in brief.discrepancies:
        said += [_Said(_flat(v.value), "disagreement", d.id, v.evidence) for v in d.values]
    return sorted(said, key=lambda s: -len(s.text))


def _text_nodes(element: _Element) -> Iterator[tuple[_Element, str]]:
    """Each piece of text inside `element`, in reading order, as (element, 'text' or 'tail')."""
    if element.text:
        yield element, "text"
    for child in element:
        yield from _text_nodes(child)
        if child.tail:
            yield child, "tail"


def annotated_email(edition: Edition, html: str) -> str:
    """The body of the email `html` of `edition`, its citations made to show their evidence."""
    root = lxml.html.document_fromstring(html)
    body = root.find("body")
    if body is None:
        return html
    story: EditionStory | None = edition.stories[0] if len(edition.stories) == 1 else None
    key = 0
    for block in body.iter("h2", "p", "li"):
        anchor = block.get("id") or ""
        if anchor.startswith("story-") and anchor[6:].isdigit():
            place = int(anchor[6:])
            story = edition.stories[place - 1] if place <= len(edition.stories) else None
        elif anchor == "also-reported":
            story = None
        if story is None or block.tag == "h2":
            continue
        key = _annotate(block, story, key)
    return "".join(lxml.html.tostring(child, encoding="unicode") for child in body)


def _annotate(block: _Element, story: EditionStory, key: int) -> int:
    """Turn the citations of one paragraph or list item into links with tooltips; the next key."""
    numbers = {s.number: s for s in story.brief.sources}
    sayings = _sayings(story)
    pieces = list(_text_nodes(block))
    # The text before each piece, so a citation can be matched to what it follows.
    read = ""
    last: _Said | None = None
    for element, where in pieces:
        text = getattr(element, where) or ""
        parts = _CITE.split(text)
        if len(parts) == 1:
            read += text
            continue
        new: list[_Element | str] = [parts[0]]
        read += parts[0]
        for index in range(1, len(parts), 2):
            number, after = int(parts[index]), parts[index + 1]
            before = _flat(_TRAILING.sub("", read))
            said = next((s for s in sayings if s.text and before.endswith(s.text)), None)
            if said is None and before.endswith("reported differently by"):
                said = last
            last = said or last
            source = numbers.get(number)
            if source is None:
                new.append(f"[{number}]")
            else:
                key += 1
                found = said.evidence if said else []
                passage = next((e.text for e in found if e.article_id == source.article_id), "")
                passage = passage or f"{source.title} (no passage: the citation names its source)"
                query = {"story": story.id, **({said.param: said.value} if said else {})}
                new.append(_cite(number, source.article_id, source.source, passage, query, key))
            new.append(after)
            read += f"[{number}]{after}"
        _replace(element, where, new)
    return key


def _cite(
    number: int, article_id: str, source: str, passage: str, query: dict[str, str], key: int
) -> _Element:
    span = lxml.html.Element("span", {"class": "cite"})
    link = lxml.html.Element(
        "a", {"href": f"/source/{article_id}?{urlencode(query)}", "aria-describedby": f"em-{key}"}
    )
    link.text = f"[{number}]"
    tip = lxml.html.Element("span", {"class": "evidence", "role": "tooltip", "id": f"em-{key}"})
    name = lxml.html.Element("strong")
    name.text = f"{source}:"
    name.tail = " " + passage
    tip.append(name)
    span.append(link)
    span.append(tip)
    return span


def _replace(element: _Element, where: str, new: list[_Element | str]) -> None:
    """Put `new` (text, then elements each followed by text) where `element`'s text or tail was."""
    head, rest = str(new[0]), new[1:]
    if where == "text":
        element.text = head
        parent, position = element, 0
    else:
        element.tail = head
        parent, position = element.getparent(), element.getparent().index(element) + 1
    previous: _Element | None = None
    for piece in rest:
        if isinstance(piece, str):
            if previous is not None:
                previous.tail = (previous.tail or "") + piece
            continue
        parent.insert(position, piece)
        position += 1
        previous = piece
