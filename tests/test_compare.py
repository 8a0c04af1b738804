"""Comparing an edition with the last one sent: new, updated (with the new items) and dropped stories.

Built from the two labelled days: the 13th's air-india-investigation continues the 12th's
air-india-crash, every other story of the 13th is new and every other story of the 12th is
gone (`tests/eval/days/*/labels.json`). The archive is a folder on disk, the commands run
through typer's runner.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from test_desk import browser, loaded, start, story_block, submit
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.app.common import stderr
from briefing.app.desk.command import last_sent
from briefing.app.desk.web import COOKIE
from briefing.contracts import Edition, EditionStory
from briefing.deliver.editions import Archive
from briefing.pipeline import BuildOptions, build_edition, gather
from briefing.render.edition import render_edition_json
from briefing.review.compare import compare
from briefing.stories.continuity import PastEdition, follow

ROOT = Path(__file__).resolve().parent.parent
DAYS = ROOT / "tests" / "eval" / "days"
DAY1, DAY2 = "2025-06-12", "2025-06-13"
__all__ = ["browser"]  # the headless chromium of the desk's tests, as a fixture here too
OFFLINE = {
    "OPENAI_API_KEY": None,
    "OPENAI_BASE_URL": None,
    "BRIEFING_CONFIG": None,
    "BRIEFING_EDITIONS": None,
}


def _build(day: str) -> Edition:
    return build_edition([str(DAYS / day / "articles")], BuildOptions(backend="extractive", date=day))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def day1() -> Edition:
    return _build(DAY1)


@pytest.fixture(scope="module")
def day2() -> Edition:
    return _build(DAY2)


def _labels(day: str) -> dict[str, str]:
    labels = json.loads((DAYS / day / "labels.json").read_text(encoding="utf-8"))
    return {name: label for label, story in labels["stories"].items() for name in story["articles"]}


def _label(edition: Edition, story_id: str, day: str) -> str:
    labels = _labels(day)
    found = [*edition.stories, *edition.also_reported]
    story = next(s for s in found if s.id == story_id)
    names = {Path(s.path).name for s in story.sources if s.path}
    return next(labels[n] for n in sorted(names) if n in labels)


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def test_the_continuing_story_is_updated_with_only_its_new_items(day1: Edition, day2: Edition) -> None:
    found = compare(day2, PastEdition(DAY1, day1))
    assert found.since == DAY1
    assert [_label(day2, s.id, DAY2) for s in found.updated] == ["air-india-investigation"]
    updated = found.updated[0]
    before = {_fold(c.statement) for s in day1.stories for c in s.brief.claims}
    assert len(updated.new_statements) >= 3
    assert not [t for t in updated.new_statements if _fold(t) in before], "no statement of the 12th is news"
    # The same judgement as the build's own following of the story across days.
    followed = next(s for s in follow(day2, [PastEdition(DAY1, day1)]).stories if s.status == "developing")
    story: EditionStory = next(s for s in day2.stories if s.id == updated.id)
    shown = [*story.brief.lede_claim_ids, *(i for s in story.brief.sections for i in s.claim_ids)]
    assert updated.new_claim_ids == [i for i in dict.fromkeys(shown) if i in followed.new_claim_ids]


def test_every_other_story_is_new_or_dropped_by_the_labels(day1: Edition, day2: Edition) -> None:
    found = compare(day2, PastEdition(DAY1, day1))
    new = {_label(day2, s.id, DAY2) for s in found.new}
    dropped = {_label(day1, s.id, DAY1) for s in found.dropped}
    labels2, labels1 = set(_labels(DAY2).values()), set(_labels(DAY1).values())
    assert new == labels2 - {"air-india-investigation"}
    assert dropped == labels1 - {"air-india-crash"}
    assert len(found.new) == len(new) and len(found.dropped) == len(dropped), "each story once"
    assert not found.unchanged


def test_the_same_stories_a_day_later_are_unchanged(day1: Edition) -> None:
    later = day1.model_copy(update={"date": DAY2})
    found = compare(later, PastEdition(DAY1, day1))
    assert not found.new and not found.updated and not found.dropped
    assert len(found.unchanged) == len(day1.stories) + len(day1.also_reported)


def _archive(root: Path, day1: Edition) -> None:
    """The 12th kept as `daily` keeps it, with a correction whose one change is a headline."""
    folder = root / DAY1
    folder.mkdir(parents=True)
    (folder / "brief.json").write_text(render_edition_json(day1), encoding="utf-8")
    (folder / "stories.json").write_text(day1.model_dump_json(indent=2), encoding="utf-8")
    corrected = day1.model_copy(deep=True)
    corrected.stories[1].headline = "A corrected headline"
    (folder / "correction-1").mkdir()
    (folder / "correction-1" / "brief.json").write_text(render_edition_json(corrected), encoding="utf-8")
    (folder / "correction-1" / "stories.json").write_text(corrected.model_dump_json(), encoding="utf-8")


def test_diff_compares_with_the_newest_version_sent_and_as_edited(
    tmp_path: Path, day1: Edition, day2: Edition
) -> None:
    _archive(tmp_path / "editions", day1)
    edition = tmp_path / "edition.json"
    edition.write_text(render_edition_json(day2), encoding="utf-8")
    args = ["diff", str(edition), "--editions", str(tmp_path / "editions")]
    result = CliRunner().invoke(app, args, env=OFFLINE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Since {DAY1}: 8 new, 1 updated, 0 unchanged, 9 dropped"
    assert f"dropped  {day1.stories[1].id} A corrected headline" in lines, "the correction is the last sent"
    assert sum(line.startswith("  + ") for line in lines) >= 3
    updated = next(line.split()[1] for line in lines if line.startswith("updated"))
    sources = ["--sources", str(DAYS / DAY2 / "articles")]
    dropped = CliRunner().invoke(
        app, ["edit", str(edition), "drop_story", "--story", updated, *sources], env=OFFLINE
    )
    assert dropped.exit_code == 0, dropped.output
    after = CliRunner().invoke(app, args, env=OFFLINE)
    assert after.stdout.splitlines()[0] == f"Since {DAY1}: 8 new, 0 updated, 0 unchanged, 10 dropped"


def test_diff_says_in_one_line_what_it_cannot_compare(tmp_path: Path, day1: Edition, day2: Edition) -> None:
    edition = tmp_path / "edition.json"
    edition.write_text(render_edition_json(day2), encoding="utf-8")
    root = tmp_path / "editions"
    args = ["diff", str(edition), "--editions", str(root)]
    nothing = CliRunner().invoke(app, args, env=OFFLINE)
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert nothing.stderr.strip() == f"briefing: nothing sent before {DAY2} in {root}: every story is new"
    (root / DAY1).mkdir(parents=True)
    (root / DAY1 / "brief.json").write_text("{not json", encoding="utf-8")
    damaged = CliRunner().invoke(app, args, env=OFFLINE)
    assert damaged.exit_code == 2 and "Traceback" not in damaged.output
    assert damaged.stderr.count("\n") == 1 and "brief.json: not an edition" in damaged.stderr
    undated = tmp_path / "undated.json"
    undated.write_text(render_edition_json(day2.model_copy(update={"date": None})), encoding="utf-8")
    result = CliRunner().invoke(app, ["diff", str(undated), "--editions", str(root)], env=OFFLINE)
    assert result.exit_code == 2 and "has no date" in result.stderr and result.stderr.count("\n") == 1


def test_the_desk_shows_since_the_last_edition_with_the_new_items_marked_and_records_a_correction(
    tmp_path: Path, day1: Edition, day2: Edition, browser: webdriver.Chrome
) -> None:
    path = tmp_path / "edition.json"
    path.write_text(render_edition_json(day2), encoding="utf-8")
    root = tmp_path / "editions"
    _archive(root, day1)
    running = start(path, gather([str(DAYS / DAY2 / "articles")]).articles)
    last = Archive(root).last_sent(DAY2)
    assert isinstance(last, PastEdition) and last.where.endswith("correction-1/stories.json")
    running.desk.since, running.desk.archive = last, root
    expected = compare(day2, PastEdition(DAY1, day1))
    try:
        browser.get(running.url)
        panel = browser.find_element(By.ID, "since")
        assert panel.find_element(By.TAG_NAME, "h2").text == f"Since {DAY1}"
        assert len(panel.find_elements(By.CSS_SELECTOR, ".since-new > li")) == len(expected.new) == 8
        assert len(panel.find_elements(By.CSS_SELECTOR, ".since-dropped > li")) == len(expected.dropped) == 9
        updated = expected.updated[0]
        marked = panel.find_elements(By.CSS_SELECTOR, ".since-updated mark.new-item")
        assert [m.text for m in marked] == updated.new_statements
        block = story_block(browser, updated.id)
        items = block.find_elements(By.CSS_SELECTOR, ".item.new-since")
        assert [i.get_attribute("data-claim") for i in items] == updated.new_claim_ids
        assert all(f"new since {DAY1}" in i.text for i in items)
        assert not browser.find_elements(By.CSS_SELECTOR, f"#story-{day2.stories[1].id} .item.new-since")
        submit(browser, block, "drop-story")
        panel = browser.find_element(By.ID, "since")
        assert not panel.find_elements(By.CSS_SELECTOR, ".since-updated")
        rows = panel.find_elements(By.CSS_SELECTOR, ".since-dropped > li")
        assert len(rows) == 10, "the story dropped here is no longer updated: nothing continues it"
        forged = httpx.post(
            running.base("/correct"), data={"text": "x"}, cookies={COOKIE: running.desk.token}
        )
        assert forged.status_code == 403
        panel.find_element(By.CSS_SELECTOR, "#correct > summary").click()
        Select(panel.find_element(By.NAME, "story_id")).select_by_visible_text("A corrected headline")
        panel.find_element(By.CSS_SELECTOR, "#correct input[name=text]").send_keys("The toll was <241>.")
        loaded(browser, panel.find_element(By.CSS_SELECTOR, "button.record-correction").click)
        assert (
            "recorded a correction of the 2025-06-12 edition" in browser.find_element(By.ID, "message").text
        )
    finally:
        running.stop()
    (kept,) = json.loads((root / DAY1 / "corrections.json").read_text(encoding="utf-8"))
    assert (kept["story_id"], kept["headline"]) == (day1.stories[1].id, "A corrected headline")
    assert (kept["text"], kept["editor"], kept["published_in"]) == ("The toll was <241>.", "ed", None)


def test_the_desk_command_finds_the_last_sent_edition_or_says_why_not(
    tmp_path: Path, day1: Edition, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "editions"
    assert last_sent(stderr(), DAY2, root) == (root, None)
    assert (
        capsys.readouterr().err
        == f"briefing: nothing sent before {DAY2} in {root}: nothing to compare with\n"
    )
    _archive(root, day1)
    found, last = last_sent(stderr(), DAY2, root)
    assert found == root and last is not None and last.edition.stories[1].headline == "A corrected headline"
    assert last_sent(stderr(), None, root) == (None, None), "an undated edition is compared with nothing"
