"""Continuity across days: a story of a recent edition is followed (developing, only what is new).

Built through the CLI, as a subscriber's edition is, from the two labelled days: the 13th's
air-india-investigation continues the 12th's air-india-crash (`tests/eval/days/*/labels.json`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Edition
from briefing.deliver.editions import Archive
from briefing.render.edition import render_edition_markdown, single_brief
from briefing.stories.continuity import PastEdition, follow, repeated

ROOT = Path(__file__).resolve().parent.parent
DAYS = ROOT / "tests" / "eval" / "days"
DAY1, DAY2 = DAYS / "2025-06-12", DAYS / "2025-06-13"
EXAMPLE = ROOT / "examples" / "london-talks"
OFFLINE = {
    "OPENAI_API_KEY": None,
    "OPENAI_BASE_URL": None,
    "BRIEFING_MODEL": None,
    "BRIEFING_CONFIG": None,
    "BRIEFING_EDITIONS": None,
}


def _labels(day: Path) -> dict[str, str]:
    labels = json.loads((day / "labels.json").read_text(encoding="utf-8"))
    return {name: label for label, story in labels["stories"].items() for name in story["articles"]}


def _build(*args: str, date: str) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["build", *args, "--date", date, "-q"], env=OFFLINE)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout, result.stderr


def _label_of(story: dict, labels: dict[str, str]) -> set[str]:
    names = {Path(s["path"]).name for s in story["sources"]}
    return {labels[n] for n in names if n in labels}


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


@pytest.fixture(scope="module")
def day1() -> dict:
    return json.loads(_build(str(DAY1 / "articles"), "--format", "json", date="2025-06-12")[0])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, day1: dict) -> Path:
    """An archive as `daily` keeps it: the 12th's edition in full as stories.json."""
    root = tmp_path_factory.mktemp("editions")
    (root / "2025-06-12").mkdir()
    (root / "2025-06-12" / "stories.json").write_text(json.dumps(day1, indent=2), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def day2(archive: Path) -> tuple[dict, str]:
    articles = str(DAY2 / "articles")
    data = json.loads(_build(articles, "--editions", str(archive), "-f", "json", date="2025-06-13")[0])
    markdown = _build(articles, "--editions", str(archive), date="2025-06-13")[0]
    return data, markdown


def test_the_continuing_story_keeps_its_id_and_is_developing(day1: dict, day2: tuple[dict, str]) -> None:
    edition, _ = day2
    crash = [s for s in day1["stories"] if _label_of(s, _labels(DAY1)) == {"air-india-crash"}]
    followed = [s for s in edition["stories"] if _label_of(s, _labels(DAY2)) == {"air-india-investigation"}]
    assert len(crash) == 1 and len(followed) == 1
    story = followed[0]
    assert story["status"] == "developing" and story["previous_date"] == "2025-06-12"
    assert story["id"] == crash[0]["id"], "the story keeps yesterday's id"
    assert 0 < len(story["new_claim_ids"]) < len(story["brief"]["claims"])
    others = [s for s in edition["stories"] if s is not story]
    assert others and all(s["status"] == "new" and s["previous_date"] is None for s in others)


def test_new_since_lists_only_what_the_day_before_did_not_say(day1: dict, day2: tuple[dict, str]) -> None:
    edition, markdown = day2
    assert "developing since 2025-06-12" in markdown.split("\n## ")[0], "the contents say developing"
    block = markdown.split("**New since 2025-06-12:**\n\n", 1)[1].split("\n\n", 1)[0]
    items = [line[2:] for line in block.splitlines()]
    assert len(items) >= 3 and all(line.startswith("- ") for line in block.splitlines())
    story = next(s for s in edition["stories"] if s["status"] == "developing")
    new = {c["statement"].strip() for c in story["brief"]["claims"] if c["id"] in story["new_claim_ids"]}
    before = {_fold(c["statement"]) for s in day1["stories"] for c in s["brief"]["claims"]}
    for item in items:
        assert re.search(r"\[\d+\]", item), f"cited as in the brief: {item}"
        statement = re.split(r" \[\d+\]", item)[0].replace("\\", "")
        assert statement in new, statement
        assert _fold(statement) not in before, statement
    # Each item is read once: what New since lists is not repeated in the highlights below it.
    section = markdown.split("## 1. ", 1)[1].split("\n## 2. ", 1)[0]
    assert all(section.count(item) == 1 for item in items)
    assert markdown.count("New since") == 1, "only the continuing story has news since an edition"


def test_a_restated_fact_is_old_and_a_new_fact_on_the_same_names_is_new(day2: tuple[dict, str]) -> None:
    from briefing.contracts import MergedClaim

    def claim(statement: str) -> MergedClaim:
        return MergedClaim(
            id="c-" + statement, statement=statement, category="event", evidence=[], article_ids=["a"],
            source_count=1, single_source=True, score=1.0,
        )  # fmt: skip

    past = [
        claim(
            "Flight AI171 had 242 people aboard, 230 passengers and 12 crew, as it left Ahmedabad for London"
        ),
        claim("Police said one passenger, Vishwash Kumar Ramesh, survived."),
    ]
    assert repeated(claim("Of the 242 people aboard the flight to London, only one survived."), past)
    assert repeated(claim("flight ai171 had 242 people aboard 230 passengers and 12 crew as it left "
                          "ahmedabad for london!"), past)  # fmt: skip
    assert not repeated(
        claim("Investigators recovered the flight data recorder of AI171 in Ahmedabad."), past
    )
    assert not repeated(claim("Flight AI171 had 265 dead by Friday, officials in Ahmedabad said."), past)


def test_the_same_day_twice_is_one_line_per_story(archive: Path, day1: dict) -> None:
    markdown, _ = _build(str(DAY1 / "articles"), "--editions", str(archive), date="2025-06-13")
    full = day1["stories"]
    assert "## 1. " not in markdown and "New since" not in markdown
    for number, story in enumerate(full, start=1):
        line = next(
            li for li in markdown.splitlines() if li.startswith(f"**{number}. No new developments:**")
        )
        assert story["headline"] in line
        assert all(f"*{s['source']}*" in line for s in story["sources"]), "its sources are cited"
    contents = markdown.split("## Also reported")[0]
    assert contents.count("no new developments since 2025-06-12") == len(full)


def test_the_order_of_inputs_does_not_change_the_bytes(archive: Path, day2: tuple[dict, str]) -> None:
    files = sorted(str(p) for p in (DAY2 / "articles").glob("*.txt"))
    shuffled = files[1::2][::-1] + files[::2]
    assert _build(*shuffled, "--editions", str(archive), date="2025-06-13")[0] == day2[1]


def test_a_damaged_or_undated_kept_edition_is_one_note_each(tmp_path: Path, archive: Path) -> None:
    shutil.copytree(archive, tmp_path, dirs_exist_ok=True)
    (tmp_path / "2025-06-11").mkdir()
    (tmp_path / "2025-06-11" / "stories.json").write_text('{"stories": [', encoding="utf-8")
    brief, _ = _build(str(EXAMPLE), "--format", "json", date="2025-06-10")
    undated = json.loads(brief) | {"date": None}
    (tmp_path / "2025-06-10").mkdir()
    (tmp_path / "2025-06-10" / "brief.json").write_text(json.dumps(undated), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["build", str(DAY2 / "articles"), "--editions", str(tmp_path), "--date", "2025-06-13", "-q"],
        env=OFFLINE,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    notes = [line for line in result.stderr.splitlines() if "not followed" in line]
    assert len(notes) == 2, result.stderr
    assert sum("2025-06-11/stories.json: not an edition" in n for n in notes) == 1
    assert sum("2025-06-10/brief.json: dated nothing" in n for n in notes) == 1
    assert "New since 2025-06-12:" in result.stdout, "the readable edition is still followed"


def test_an_edition_more_than_three_days_old_is_not_followed(archive: Path) -> None:
    articles = str(DAY2 / "articles")
    assert "developing since 2025-06-12" in _build(articles, "--editions", str(archive), date="2025-06-15")[0]
    late = _build(articles, "--editions", str(archive), date="2025-06-16")[0]
    assert "developing" not in late and "New since" not in late


def test_build_follows_only_an_archive_it_is_given(tmp_path: Path, archive: Path, monkeypatch) -> None:
    shutil.copytree(archive, tmp_path / "editions")
    monkeypatch.chdir(tmp_path)  # daily's default archive, ./editions, is here
    markdown = _build(str(DAY2 / "articles"), date="2025-06-13")[0]
    assert "developing" not in markdown
    env = OFFLINE | {"BRIEFING_EDITIONS": str(tmp_path / "editions")}
    result = CliRunner().invoke(app, ["build", str(DAY2 / "articles"), "--date", "2025-06-13", "-q"], env=env)
    assert "developing since 2025-06-12" in result.stdout


def test_a_kept_brief_is_matched_by_content(tmp_path: Path) -> None:
    """A one-story edition kept as its Brief alone has no story id: the story keeps its own."""
    brief, _ = _build(str(EXAMPLE), "--format", "json", date="2025-06-11")
    (tmp_path / "2025-06-11").mkdir()
    (tmp_path / "2025-06-11" / "brief.json").write_text(brief, encoding="utf-8")
    own = json.loads(_build(str(DAY1 / "articles"), "-f", "json", date="2025-06-12")[0])
    data = json.loads(_build(str(DAY1 / "articles"), "--editions", str(tmp_path), "-f", "json",
                             date="2025-06-12")[0])  # fmt: skip
    developing = [s for s in data["stories"] if s["status"] == "developing"]
    assert [_label_of(s, _labels(DAY1)) for s in developing] == [{"london-talks"}]
    assert developing[0]["previous_date"] == "2025-06-11"
    assert developing[0]["id"] in {s["id"] for s in own["stories"]}


def test_the_newest_correction_of_a_day_is_the_one_followed(tmp_path: Path, day1: dict) -> None:
    day = tmp_path / "2025-06-12"
    (day / "correction-2").mkdir(parents=True)
    (day / "correction-10").mkdir()
    (day / "stories.json").write_text("{}", encoding="utf-8")
    (day / "correction-2" / "stories.json").write_text("[]", encoding="utf-8")
    (day / "correction-10" / "stories.json").write_text(json.dumps(day1), encoding="utf-8")
    (tmp_path / "2025-06-13").mkdir()
    (tmp_path / "2025-06-13" / "stories.json").write_text(json.dumps(day1), encoding="utf-8")
    recent = Archive(tmp_path).recent("2025-06-13")
    assert recent.notes == []
    assert [(p.date, Path(p.where).parent.name) for p in recent.editions] == [("2025-06-12", "correction-10")]
    assert Archive(tmp_path / "missing").recent("2025-06-13").editions == []
    (tmp_path / "2025-06-11").mkdir()
    os.mkfifo(tmp_path / "2025-06-11" / "stories.json")  # nobody writes to it: read, it would hang
    [note] = Archive(tmp_path).recent("2025-06-13").notes
    assert note.line().endswith(
        "2025-06-11/stories.json: not a regular file (a named pipe), left unopened; not followed"
    )


def test_a_lone_developing_story_is_an_edition_with_its_news(day1: dict, day2: tuple[dict, str]) -> None:
    edition = Edition.model_validate(day2[0])
    story = next(s for s in edition.stories if s.status == "developing")
    alone = edition.model_copy(update={"stories": [story], "also_reported": []})
    assert single_brief(alone) is None
    markdown = render_edition_markdown(alone)
    assert markdown.startswith("# 📰 In this edition") and "**New since 2025-06-12:**" in markdown
    fresh = alone.model_copy(update={"stories": [story.model_copy(update={"status": "new"})]})
    assert single_brief(fresh) is story.brief


def test_following_is_pure_and_an_undated_edition_follows_nothing(day1: dict, day2: tuple[dict, str]) -> None:
    past = [PastEdition(date="2025-06-12", edition=Edition.model_validate(day1))]
    today = Edition.model_validate(day2[0])
    unfollowed = today.model_copy(
        update={"stories": [s.model_copy(update={"status": "new", "previous_date": None, "new_claim_ids": []})
                            for s in today.stories]}
    )  # fmt: skip
    assert follow(unfollowed, past) == follow(unfollowed, list(reversed(past)))
    again = follow(unfollowed, past)
    assert [s.status for s in again.stories] == [s.status for s in today.stories]
    undated = unfollowed.model_copy(update={"date": None})
    assert follow(undated, past) == undated


def test_an_archive_without_a_date_is_one_note(archive: Path) -> None:
    result = CliRunner().invoke(
        app, ["build", str(DAY2 / "articles"), "--editions", str(archive), "-q"], env=OFFLINE
    )
    assert result.exit_code == 0, result.output
    assert "note: --editions needs --date (whose days to follow); nothing followed" in result.stderr
    assert "developing" not in result.stdout


def test_the_run_report_says_why_a_story_was_followed(archive: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["build", str(DAY2 / "articles"), "--editions", str(archive), "--date", "2025-06-13"],
        env=OFFLINE,
    )
    assert result.exit_code == 0, result.output
    [line] = [li for li in result.stderr.splitlines() if "followed:" in li]
    assert (
        "Investigators recover flight recorder from Air India crash site as toll rises: "
        "the story of 2025-06-12 (shared: " in line
    )
    assert all(name in line for name in ("Ahmedabad", "787", "242")), line
