"""Reviewing an edition: edits checked and logged beside it, re-applied to a rebuild, and the approval gate.

Real parts throughout: the day's articles built by the extractive backend, the edits log on
disk, the commands through typer's runner, and a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from smtp_server import SmtpServer
from test_daily import Desk
from test_edition_delivery import header, part

from briefing.contracts import Edition, EditionStory
from briefing.deliver.editions import content_id
from briefing.pipeline import BuildOptions, build_edition, gather
from briefing.render.edition import render_edition_json
from briefing.review.edits import Edit, EditAction, apply_edits
from briefing.review.log import EditsLog, log_path
from briefing.review.session import EditRefused, Review
from briefing.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DAY = "2025-06-12"
ARTICLES = ROOT / "tests" / "eval" / "days" / DAY / "articles"
LATE = "harbour-ledger-markets-geneva.txt"  # a fourth report of the US-China tariff story
EXTRACTIVE = BuildOptions(backend="extractive", date=DAY)  # type: ignore[arg-type]
AT = datetime(2025, 6, 12, 6, 30, tzinfo=UTC)
MADE_UP = ", 4,321 officials said."


@pytest.fixture(scope="module")
def early_articles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The day's articles but one, which arrives later."""
    folder = tmp_path_factory.mktemp("early")
    for path in ARTICLES.iterdir():
        if path.name != LATE:
            shutil.copy(path, folder)
    return folder


@pytest.fixture(scope="module")
def early(early_articles: Path) -> Edition:
    return build_edition([str(early_articles)], EXTRACTIVE)


@pytest.fixture(scope="module")
def full() -> Edition:
    return build_edition([str(ARTICLES)], EXTRACTIVE)


def story(edition: Edition, story_id: str) -> EditionStory:
    return next(s for s in edition.stories if s.id == story_id)


def opened(folder: Path, edition: Edition, articles: Path) -> Review:
    path = folder / "edition.json"
    path.write_text(render_edition_json(edition), encoding="utf-8")
    return Review.open(path, gather([str(articles)]).articles)


def lede(s: EditionStory) -> tuple[str, str]:
    """The id and statement of a story's first lede claim."""
    claim = next(c for c in s.brief.claims if c.id == s.brief.lede_claim_ids[0])
    return claim.id, claim.statement


def test_edits_re_apply_to_a_rebuild_with_one_more_article_and_a_gone_target_is_reported(
    tmp_path: Path, early: Edition, full: Edition, early_articles: Path
) -> None:
    last = early.stories[-1]  # the tariff story: last of the early build, higher once its 4th report is in
    lost = [c for c in last.brief.claims if c.id not in {c.id for c in story(full, last.id).brief.claims}]
    placed = [c for c in lost if c.id in last.brief.lede_claim_ids]
    assert [s.id for s in full.stories].index(last.id) not in (0, len(full.stories) - 1)
    assert placed, "the late report changes a shown claim of the story"
    review = opened(tmp_path, early, early_articles)

    review.act(Edit(editor="ed", at=AT, action=EditAction.pin_story, story_id=last.id))
    review.act(Edit(editor="ed", at=AT, action=EditAction.drop_item, story_id=last.id, claim_id=placed[0].id))
    top = full.stories[0]
    review.act(
        Edit(
            editor="ed", at=AT, action=EditAction.edit_headline, story_id=top.id, after="The Ahmedabad crash"
        )
    )
    edits, notes = EditsLog(log_path(tmp_path / "edition.json")).read()
    rebuilt, report = apply_edits(full, edits)

    assert notes == [] and len(edits) == 3
    assert rebuilt.stories[0].id == last.id, "the pinned story stays pinned"
    assert story(rebuilt, top.id).headline == "The Ahmedabad crash" == story(rebuilt, top.id).brief.headline
    (gone,) = report.gone
    assert gone == (
        f"drop_item on claim {placed[0].id} of story {last.id} by ed at 2025-06-12 06:30 UTC: "
        "the claim is not in this story; not applied"
    )
    assert report.applied == 2
    assert full.stories[0].headline != "The Ahmedabad crash", "the build output itself is not changed"


def test_a_made_up_figure_in_an_edited_statement_is_refused_and_an_override_is_recorded(
    tmp_path: Path, early: Edition, early_articles: Path
) -> None:
    review = opened(tmp_path, early, early_articles)
    claim_id, statement = lede(early.stories[0])
    edit = Edit(
        editor="ed",
        at=AT,
        action=EditAction.edit_lede,
        story_id=early.stories[0].id,
        claim_id=claim_id,
        after=statement.rstrip(".") + MADE_UP,
    )

    with pytest.raises(EditRefused) as refused:
        review.act(edit)
    assert not review.log.path.exists(), "a refused edit is not recorded"
    review.act(edit.model_copy(update={"override": "confirmed by the ministry by phone"}))

    assert refused.value.reasons == ["figure 4,321 officials is in no cited source's evidence"]
    assert "not recorded (give an override to keep it)" in str(refused.value)
    (line,) = review.log.path.read_text(encoding="utf-8").splitlines()
    kept = json.loads(line)
    assert kept["override"] == "confirmed by the ministry by phone"
    assert kept["overridden"] == refused.value.reasons
    assert kept["before"] == statement and kept["after"] == statement.rstrip(".") + MADE_UP
    assert kept["editor"] == "ed" and kept["at"] == "2025-06-12T06:30:00Z"
    assert review.unsupported() == [], "the override accepts exactly the failure it named"
    review.approve("ed", AT)
    assert review.verdict().approved


def test_an_edit_after_the_approval_withdraws_it(
    tmp_path: Path, early: Edition, early_articles: Path
) -> None:
    review = opened(tmp_path, early, early_articles)
    approval = review.approve("ed", AT)
    approved = review.verdict()
    review.act(
        Edit(
            editor="bo", at=AT, action=EditAction.note, story_id=early.stories[0].id, after="Call the airline"
        )
    )

    assert approved.approved and approval.content_id == content_id(early) == approved.content_id
    after = review.verdict()
    assert not after.approved and "not approved" in after.reason
    assert review.current()[1].notes[0].text == "Call the airline"


def test_a_torn_last_line_of_the_log_is_left_out_with_one_note_and_the_next_edit_is_whole(
    tmp_path: Path,
) -> None:
    log = EditsLog(tmp_path / "edition.edits.jsonl")
    first = Edit(editor="ed", at=AT, action=EditAction.pin_story, story_id="s-1")
    second = Edit(editor="ed", at=AT, action=EditAction.drop_story, story_id="s-2")
    log.append(first)
    log.append(second)
    whole = log.path.read_bytes()
    log.path.write_bytes(whole[: len(whole) - 20])  # the second write cut off

    edits, notes = log.read()
    log.append(second)
    again, later = log.read()

    assert edits == [first]
    assert notes == [f"{log.path}: line 2: the last line was cut off while written (1 error(s)); left out"]
    assert again == [first, second]
    assert later == [f"{log.path}: line 2: not an edit (1 error(s)); left out"]


def test_require_approval_is_read_from_the_config_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "briefing.toml"
    config.write_text("require_approval = true\n", encoding="utf-8")

    assert load_settings(config, environ={}).require_approval is True
    assert load_settings(None, environ={"BRIEFING_REQUIRE_APPROVAL": "1"}).require_approval is True
    assert load_settings(None, environ={}).require_approval is False


@pytest.fixture
def desk(smtp: SmtpServer, tmp_path: Path, early_articles: Path) -> Iterator[Desk]:
    desk = Desk.set_up(smtp, tmp_path, day=DAY, cache=True)
    shutil.copytree(early_articles, desk.articles)
    yield desk


def test_send_refuses_an_unapproved_edition_sends_a_test_copy_and_sends_it_once_approved(
    desk: Desk, early: Edition
) -> None:
    path = desk.root / "edition.json"
    path.write_text(render_edition_json(early), encoding="utf-8")
    sources = ("--sources", str(desk.articles))
    top = early.stories[0].id

    refused = desk.run("send", str(path), *sources, "--require-approval")
    test_copy = desk.run("send", str(path), *sources, "--to", "editor@example.org", "--require-approval")
    edited = desk.run(
        "edit", str(path), "edit_headline", *sources, "--story", top, "--text", "The Ahmedabad crash"
    )
    approved = desk.run("approve", str(path), *sources, "--editor", "Ed Itor")
    sent = desk.run("send", str(path), *sources, "--require-approval")

    assert refused.exit_code == 1 and "Traceback" not in refused.output
    (line,) = refused.stderr.splitlines()
    why = "it has no edits log, so no approval (`briefing approve`)"
    assert line == f"briefing: not sent: {path} is not approved: {why}"
    assert test_copy.exit_code == 0 and "test copy to editor@example.org: sent" in test_copy.stderr
    assert edited.exit_code == 0 and "recorded: edit_headline on story" in edited.stderr, edited.output
    assert approved.exit_code == 0 and "by Ed Itor" in approved.stderr, approved.output
    assert sent.exit_code == 0, sent.output
    assert desk.smtp.inbox.per_recipient() == {
        "editor@example.org": 1,
        "ana@example.org": 1,
        "bo@example.org": 1,
    }
    (mail,) = desk.received("ana@example.org")
    assert header(mail.raw, b"Subject").startswith("The Ahmedabad crash + ")
    assert "The Ahmedabad crash" in part(mail, "plain")

    desk.run("edit", str(path), "drop_story", *sources, "--story", early.stories[-1].id)
    withdrawn = desk.run("send", str(path), *sources, "--correction", BRIEFING_REQUIRE_APPROVAL="1")
    assert withdrawn.exit_code == 1 and "is not approved" in withdrawn.stderr
    assert len(desk.received("ana@example.org")) == 1


def test_send_accepts_an_overridden_figure_but_refuses_the_same_text_hand_written_into_the_file(
    desk: Desk, early: Edition
) -> None:
    path = desk.root / "edition.json"
    path.write_text(render_edition_json(early), encoding="utf-8")
    sources = ("--sources", str(desk.articles))
    claim_id, statement = lede(early.stories[0])
    text = statement.rstrip(".") + MADE_UP
    where = ("--story", early.stories[0].id, "--claim", claim_id, "--text", text)

    refused = desk.run("edit", str(path), "edit_lede", *sources, *where)
    kept = desk.run("edit", str(path), "edit_lede", *sources, *where, "--override", "phoned the ministry")
    sent = desk.run("send", str(path), *sources)

    assert (
        refused.exit_code == 1 and "figure 4,321 officials is in no cited source's evidence" in refused.stderr
    )
    assert kept.exit_code == 0 and "(override: figure 4,321 officials" in kept.stderr
    assert sent.exit_code == 0, sent.output
    (mail,) = desk.received("ana@example.org")
    assert "4,321 officials said" in part(mail, "plain")


def test_daily_builds_early_for_review_and_sends_the_approved_edition_later(desk: Desk) -> None:
    gated = desk.daily("--require-approval")
    test_copy = desk.daily("--require-approval", "--to", "editor@example.org")
    built = desk.daily("--build-only")
    kept = desk.editions / DAY / "review" / "stories.json"
    unapproved = desk.daily("--send-approved")
    edition = Edition.model_validate_json(kept.read_text(encoding="utf-8"))
    pinned = edition.stories[-1].id
    desk.run("edit", str(kept), "pin_story", "--sources", str(desk.articles), "--story", pinned)
    approved = desk.run("approve", str(kept), "--sources", str(desk.articles))
    sent = desk.daily("--send-approved", "--require-approval")

    assert gated.exit_code == 1 and "Traceback" not in gated.output
    assert gated.stderr.splitlines()[-1] == (
        "briefing: not sent: --require-approval asks for an approved edition: build it with --build-only, "
        "approve it with `briefing approve`, then send it with --send-approved"
    )
    assert test_copy.exit_code == 0 and "test copy to editor@example.org: sent" in test_copy.stderr
    assert built.exit_code == 0 and f"kept for review: {kept}" in built.stderr, built.output
    assert unapproved.exit_code == 1 and "is not approved" in unapproved.stderr
    assert approved.exit_code == 0, approved.output
    assert sent.exit_code == 0, sent.output
    assert desk.smtp.inbox.per_recipient() == {
        "editor@example.org": 1,
        "ana@example.org": 1,
        "bo@example.org": 1,
    }
    archived = Edition.model_validate_json((desk.editions / DAY / "stories.json").read_text(encoding="utf-8"))
    edits, _ = EditsLog(log_path(kept)).read()
    assert archived.model_dump(exclude={"report"}) == apply_edits(edition, edits)[0].model_dump(
        exclude={"report"}
    )
    assert archived.stories[0].id == pinned, "what went out is the build output plus the edits"
    (mail,) = desk.received("bo@example.org")
    assert header(mail.raw, b"Subject").startswith(edition.stories[-1].headline + " + ")


def test_building_again_with_a_late_article_re_applies_the_edits_and_withdraws_the_approval(
    desk: Desk,
) -> None:
    assert desk.daily("--build-only").exit_code == 0
    kept = desk.editions / DAY / "review" / "stories.json"
    first = Edition.model_validate_json(kept.read_text(encoding="utf-8"))
    pinned = first.stories[-1].id
    sources = ("--sources", str(desk.articles))
    assert desk.run("edit", str(kept), "pin_story", *sources, "--story", pinned).exit_code == 0
    assert desk.run("approve", str(kept), *sources).exit_code == 0
    shutil.copy(ARTICLES / LATE, desk.articles)

    again = desk.daily("--build-only")
    refused = desk.daily("--send-approved")

    assert again.exit_code == 0, again.output
    assert (
        "its edits re-applied by story and claim ids; not approved: the approved edition was " in again.stderr
    )
    rebuilt = Edition.model_validate_json(kept.read_text(encoding="utf-8"))
    assert LATE.split("-")[0] in {s.source.lower().split()[0] for s in story(rebuilt, pinned).sources}
    edits, _ = EditsLog(log_path(kept)).read()
    assert rebuilt.stories[0].id != pinned and apply_edits(rebuilt, edits)[0].stories[0].id == pinned
    assert refused.exit_code == 1 and "is not approved: the approved edition was" in refused.stderr
    assert desk.smtp.inbox.per_recipient() == {}
