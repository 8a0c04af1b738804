"""An edited text checked at once, by the rules `briefing.check.verify` holds every statement to.

Pure: no I/O. The checker is `verify`'s own (`check_shown`, `verify_edition`), so an edit
that passes here passes `verify` and `send`; an edit that fails is refused unless the
editor overrides it, and an override accepts exactly the failures it names.
"""

from __future__ import annotations

from collections.abc import Sequence

from briefing.check.verify import Finding, Shown, check_shown, verify_edition
from briefing.contracts import AlsoReported, Article, Edition, EditionStory, Evidence
from briefing.review.edits import TEXT_ACTIONS, Edit, EditAction, Override, find_story

__all__ = ["check_edit", "unaccepted"]


def check_edit(edition: Edition, edit: Edit, articles: Sequence[Article]) -> list[str]:
    """Why the text `edit` puts before readers is not supported by its cited sources ([]: it is).

    A statement keeps its claim's citations and evidence; a headline is held to the full
    text of the story's sources. An edit that is not a text edit, or whose target `edition`
    does not hold, has nothing to check here (`apply_edits` reports the latter).
    """
    if edit.action not in TEXT_ACTIONS or edit.after is None:
        return []
    story = find_story(edition, edit.story_id)
    if isinstance(story, AlsoReported):
        line = story.model_copy(update={"statement": edit.after})
        alone = edition.model_copy(update={"stories": [], "also_reported": [line]})
        return [f.reason for f in verify_edition(alone, articles).unsupported]
    if not isinstance(story, EditionStory):
        return []
    if edit.action == EditAction.edit_headline:
        cited = [s.article_id for s in story.sources]
        texts = [Evidence(article_id=a.id, text=a.text) for a in articles if a.id in cited]
        item = Shown("headline", edit.after, cited, texts, [])
        return check_shown(item, story.brief, articles)
    claim = next((c for c in story.brief.claims if c.id == edit.claim_id), None)
    if claim is None:
        return []
    item = Shown("statement", edit.after, claim.article_ids, claim.evidence, [claim.id])
    return check_shown(item, story.brief, articles)


def unaccepted(findings: Sequence[Finding], overrides: Sequence[Override]) -> list[Finding]:
    """The findings no override accepts: an override covers its own text and the reasons it named."""
    accepted = {(o.text, reason) for o in overrides for reason in o.reasons}
    return [f for f in findings if (f.statement, f.reason) not in accepted]
