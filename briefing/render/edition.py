"""Render: `Edition` -> Markdown or JSON. Pure: the same edition always gives the same bytes.

The Markdown opens with "In this edition" (each story's headline, outlets and status),
then each story in the brief's Highlights / Interpretation format with its own citation
numbers and Sources, then "Also reported": one cited line per story given no brief. An
edition of one story and nothing else is rendered as that story's brief, exactly as
`briefing.render.brief` renders it, so a folder about one story reads as it always has.

In the HTML email, each line of "In this edition" links to its story (`#story-N`) and
the "Also reported" line to that list (`#also-reported`). A story's target is the block
that opens it, "## N. ..." or a one-line story "**N. ...", found in order
(`briefing.render.brief.Anchor`). The plain-text part has no such links: there they
would only be noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from briefing.contracts import Brief, Edition, EditionSource, EditionStory
from briefing.render.brief import (
    Anchor,
    brief_context,
    email_html,
    environment,
    link,
    made_by,
    md_escape,
    render,
    render_email_html,
    tidy,
)

__all__ = [
    "render_edition",
    "render_edition_email_html",
    "render_edition_json",
    "render_edition_markdown",
    "single_brief",
]


@dataclass(frozen=True)
class _Line:
    headline: str
    outlets: str
    status: str


@dataclass(frozen=True)
class _Also:
    headline: str
    statement: str | None
    cited: str


def single_brief(edition: Edition) -> Brief | None:
    """The brief an edition of one story and nothing else stands for, else None."""
    if len(edition.stories) == 1 and not edition.also_reported:
        return edition.stories[0].brief
    return None


def _outlets(story: EditionStory) -> str:
    text = "1 outlet" if story.outlets == 1 else f"{story.outlets} outlets"
    if story.independent_outlets < story.outlets:
        text += f" ({story.independent_outlets} independent)"
    return text


def _status(story: EditionStory) -> str:
    if story.status == "developing" and story.previous_date:
        return f"developing since {story.previous_date}"
    return story.status


def _cited(source: EditionSource) -> str:
    text = f"*{link(source.source, source.url)}*"
    return text + (f", {md_escape(source.published)}" if source.published else "")


def _counts(full: int, lines: int) -> str:
    """'4 stories, 6 more in brief'; with no full story, '2 stories in brief'."""
    if not full:
        return f"{lines} {'story' if lines == 1 else 'stories'} in brief"
    text = f"{full} {'story' if full == 1 else 'stories'}"
    return text + (f", {lines} more in brief" if lines else "")


def render_edition_markdown(edition: Edition) -> str:
    """The edition as Markdown (a single story's brief as `render_markdown` gives it)."""
    only = single_brief(edition)
    if only is not None:
        return render(only, "md")
    return _markdown(edition, anchors=False)


def _markdown(edition: Edition, *, anchors: bool) -> str:
    """The edition's Markdown; with `anchors`, "In this edition" links to each story."""
    makers = {made_by(s.brief) for s in edition.stories}
    shared = makers.pop() if len(makers) == 1 else None
    stories = []
    for number, story in enumerate(edition.stories, start=1):
        context = brief_context(story.brief)
        text = (
            environment()
            .get_template("story.md.j2")
            .render(
                **context,
                number=number,
                headline=story.headline,
                outlets=_outlets(story),
                status=_status(story),
                show_made_by=shared is None,
            )
        )
        stories.append(tidy(text).rstrip("\n"))
    counts = _counts(len(edition.stories), len(edition.also_reported))
    text = (
        environment()
        .get_template("edition.md.j2")
        .render(
            edition=edition,
            counts=counts,
            made_by=shared,
            contents=[_Line(s.headline, _outlets(s), _status(s)) for s in edition.stories],
            stories=stories,
            anchors=anchors,
            also=[
                _Also(a.headline, a.statement, "; ".join(_cited(s) for s in a.sources))
                for a in edition.also_reported
            ],
            e=md_escape,
        )
    )
    return tidy(text)


def render_edition_json(edition: Edition) -> str:
    """The `Edition` as JSON (a single story's `Brief` JSON, as `render_json` gives it)."""
    only = single_brief(edition)
    if only is not None:
        return render(only, "json")
    return edition.model_dump_json(indent=2) + "\n"


def render_edition_email_html(edition: Edition, *, recipient: str = "", unsubscribe_url: str = "") -> str:
    """The edition as a self-contained HTML email, the same sanitizing and layout as a brief's."""
    only = single_brief(edition)
    if only is not None:
        return render_email_html(only, recipient=recipient, unsubscribe_url=unsubscribe_url)
    title = edition.stories[0].headline if edition.stories else "In this edition"
    numbers = range(1, len(edition.stories) + 1)
    targets = [Anchor(f"story-{n}", (("h2", f"{n}. "), ("p", f"**{n}. "))) for n in numbers]
    if edition.also_reported:
        targets.append(Anchor("also-reported", (("h2", "Also reported"),)))
    return email_html(
        _markdown(edition, anchors=True),
        title=title,
        recipient=recipient,
        unsubscribe_url=unsubscribe_url,
        anchors=targets,
    )


def render_edition(edition: Edition, fmt: str) -> str:
    """`fmt` is one of `briefing.render.brief.FORMATS` ('html': the edition as an email body)."""
    only = single_brief(edition)
    if only is not None:
        return render(only, fmt)
    if fmt == "json":
        return render_edition_json(edition)
    if fmt == "md":
        return render_edition_markdown(edition)
    if fmt == "html":
        return render_edition_email_html(edition)
    raise ValueError(f"unknown format {fmt!r}")
