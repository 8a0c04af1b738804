"""Render: `Edition` -> Markdown or JSON. Pure: the same edition always gives the same bytes.

The Markdown opens with "In this edition" (each story's headline, outlets and status),
then each story in the brief's Highlights / Interpretation format with its own citation
numbers and Sources, then "Also reported": one cited line per story given no brief. An
edition of one new story and nothing else is rendered as that story's brief, exactly as
`briefing.render.brief` renders it, so a folder about one story reads as it always has.

A developing story (one followed from a recent edition) opens with "New since DATE:", the
new claims its brief shows, then its brief without them (each item is read once: what is
left of the highlights is what the last edition said already); one with nothing new is a
single line, "No new developments: HEADLINE" with its sources cited, instead of the same
brief again. Neither fits a bare brief, so an edition of one developing story is rendered
as an edition.

In the HTML email, each line of "In this edition" links to its story (`#story-N`) and
the "Also reported" line to that list (`#also-reported`). A story's target is the block
that opens it, "## N. ..." or a one-line story "**N. ...", found in order
(`briefing.render.brief.Anchor`). The plain-text part has no such links: there they
would only be noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from briefing.contracts import AlsoReported, Brief, Edition, EditionSource, EditionStory, MergedClaim
from briefing.render.brief import (
    Anchor,
    brief_context,
    email_html,
    environment,
    foreign,
    link,
    made_by,
    md_escape,
    render,
    render_email_html,
    tidy,
)

__all__ = [
    "new_items",
    "no_news",
    "render_edition",
    "render_edition_email_html",
    "render_edition_json",
    "render_edition_markdown",
    "single_brief",
]

MAX_NEW_ITEMS = 5
"""New claims listed when the brief shows none of a developing story's new claims."""


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
    note: str = ""
    language: str | None = None
    """The name of the line's language when all its sources write in another than the edition's."""


def _foreign_language(line: AlsoReported, language: str) -> str | None:
    """The language of an "Also reported" line when it is not the edition's, as a brief's items are marked."""
    spoken = {foreign(s, language) for s in line.sources}
    return spoken.pop() if len(spoken) == 1 else None


def single_brief(edition: Edition) -> Brief | None:
    """The brief an edition of one new story and nothing else stands for, else None.

    A developing story is never rendered as a bare brief: a brief has no place for what is
    new since the last edition, so a lone developing story is rendered as an edition.
    An edition that carries a correction or an editor's note is never one either: a brief has
    no place for them.
    """
    if edition.corrections or edition.notes:
        return None
    if len(edition.stories) == 1 and not edition.also_reported and edition.stories[0].status == "new":
        return edition.stories[0].brief
    return None


def no_news(story: EditionStory) -> bool:
    """A developing story none of whose claims is new: one line, not the brief again."""
    return story.status == "developing" and not story.new_claim_ids


def new_items(story: EditionStory) -> list[MergedClaim]:
    """What a developing story lists under "New since": its new claims the brief shows, in the brief's order.

    When the brief shows none of them, the `MAX_NEW_ITEMS` best-ranked new claims instead, so
    that what is new is never hidden.
    """
    if story.status != "developing":
        return []
    brief = story.brief
    fresh = set(story.new_claim_ids)
    claims = {c.id: c for c in brief.claims}
    shown = [*brief.lede_claim_ids, *(i for s in brief.sections for i in s.claim_ids)]
    items = [claims[i] for i in dict.fromkeys(shown) if i in fresh and i in claims]
    if items:
        return items
    ranked = sorted((c for c in brief.claims if c.id in fresh), key=lambda c: (-c.score, c.id))
    return ranked[:MAX_NEW_ITEMS]


def _outlets(story: EditionStory) -> str:
    text = "1 outlet" if story.outlets == 1 else f"{story.outlets} outlets"
    if story.independent_outlets < story.outlets:
        text += f" ({story.independent_outlets} independent)"
    return text


def _without(brief: Brief, listed: set[str]) -> Brief:
    """The brief less the claims already listed under "New since": each item is read once."""
    if not listed:
        return brief
    sections = [
        s.model_copy(update={"claim_ids": [i for i in s.claim_ids if i not in listed]})
        for s in brief.sections
    ]
    return brief.model_copy(
        update={
            "lede_claim_ids": [i for i in brief.lede_claim_ids if i not in listed],
            "sections": [s for s in sections if s.claim_ids],
        }
    )


def _status(story: EditionStory) -> str:
    if no_news(story):
        return f"no new developments since {story.previous_date}"
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
        if no_news(story):
            cited = "; ".join(_cited(s) for s in story.sources)
            stories.append(f"**{number}. No new developments:** {md_escape(story.headline)} ({cited})")
            continue
        listed = new_items(story)
        context = brief_context(_without(story.brief, {c.id for c in listed}))
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
                new_items=listed,
                previous_date=story.previous_date,
                notes=[n.text for n in edition.notes if n.story_id == story.id],
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
            edition_notes=[n.text for n in edition.notes if n.story_id is None],
            made_by=shared,
            contents=[_Line(s.headline, _outlets(s), _status(s)) for s in edition.stories],
            stories=stories,
            anchors=anchors,
            also=[
                _Also(
                    a.headline,
                    a.statement,
                    "; ".join(_cited(s) for s in a.sources),
                    " ".join(n.text for n in edition.notes if n.story_id == a.id),
                    _foreign_language(a, edition.language),
                )
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
