"""Merge a day's stories into an `Edition`: each story's brief, ranked. Pure, like `merge`.

Each story is merged on its own, from its own reports only, so one story's figures
never meet another's (an earthquake's toll is not a disagreement about tariffs) and
each brief numbers its own citations. Stories rank by independent outlets (a syndicated
copy counts once), then by their latest report, then by id, so the same stories in any
order give the same edition. A story only one outlet reported, or one past the cap on
full stories, gets one cited line under "Also reported" instead of a brief.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from briefing.contracts import (
    AlsoReported,
    Brief,
    Edition,
    EditionSource,
    EditionStory,
    ExtractedArticle,
    InputProblem,
    Story,
)
from briefing.ingest.language import DEFAULT_LANGUAGE
from briefing.merge.brief import MergeOptions, merge
from briefing.merge.report import run_report

__all__ = ["DEFAULT_MAX_STORIES", "merge_edition", "rank_key"]

DEFAULT_MAX_STORIES = 10
"""Full stories in an edition; the others get one line each."""


def _latest(story: Story) -> str | None:
    dates = [m.published[:10] for m in story.members if m.published]
    return max(dates) if dates else None


def rank_key(story: Story) -> tuple[int, int, str]:
    """Most independent outlets first, then the latest report (undated last), then the id."""
    latest = _latest(story)
    try:
        day = dt.date.fromisoformat(latest).toordinal() if latest else 0
    except ValueError:
        day = 0
    return (-story.independent_outlets, -day, story.id)


def _sources(story: Story) -> list[EditionSource]:
    """The story's members as the edition lists them: everything but what ties each to the others."""
    return [EditionSource.model_validate(m.model_dump(exclude={"shared"})) for m in story.members]


def _lead_statement(brief: Brief) -> str | None:
    claims = {c.id: c for c in brief.claims}
    for claim_id in brief.lede_claim_ids:
        if claim_id in claims:
            return claims[claim_id].statement.strip()
    return brief.claims[0].statement.strip() if brief.claims else None


def merge_edition(
    stories: Sequence[Story],
    extracted: Sequence[ExtractedArticle],
    *,
    date: str | None = None,
    problems: Sequence[InputProblem] = (),
    language: str = DEFAULT_LANGUAGE,
    max_stories: int = DEFAULT_MAX_STORIES,
    options: MergeOptions | None = None,
) -> Edition:
    """The edition of `stories`, whose members are the articles of `extracted`.

    One story alone is a full story whatever its outlets, merged from every extraction
    with the run's problems, so it is the brief `merge` gives today. An extraction that no
    story names is left out of the stories but counted in the run report.
    """
    ordered = sorted(extracted, key=lambda e: (e.article.source.casefold(), e.article.title, e.article.id))
    report = run_report(ordered, problems)
    if len(stories) == 1:
        story = stories[0]
        brief = merge(extracted, date=date, problems=problems, options=options, language=language)
        only = _story(story, brief)
        return Edition(date=date, language=language, stories=[only], report=report)
    by_id = {e.article.id: e for e in extracted}
    full: list[EditionStory] = []
    lines: list[AlsoReported] = []
    for story in sorted(stories, key=rank_key):
        members = [by_id[m.article_id] for m in story.members if m.article_id in by_id]
        if not members:
            continue
        brief = merge(members, date=date, options=options, language=language)
        if story.independent_outlets > 1 and len(full) < max_stories:
            full.append(_story(story, brief))
        else:
            lines.append(
                AlsoReported(
                    id=story.id,
                    headline=story.headline,
                    statement=_lead_statement(brief),
                    independent_outlets=story.independent_outlets,
                    sources=_sources(story),
                )
            )
    return Edition(date=date, language=language, stories=full, also_reported=lines, report=report)


def _story(story: Story, brief: Brief) -> EditionStory:
    return EditionStory(
        id=story.id,
        headline=story.headline if story.headline.strip() else brief.headline,
        independent_outlets=story.independent_outlets,
        outlets=story.outlets,
        latest=_latest(story),
        sources=_sources(story),
        brief=brief,
    )
