"""Corrections of a sent edition, which the next edition opens with, and the editor's notes shown.

Real parts: `daily` through typer's runner, sending to the SMTP server on 127.0.0.1, the
archive and its `corrections.json` on disk, the edits log beside an edition file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from smtp_server import SmtpServer
from test_daily import Desk
from test_edition_delivery import part

from briefing.contracts import Edition

ROOT = Path(__file__).resolve().parent.parent
DAYS = ROOT / "tests" / "eval" / "days"
HOSTILE = '<img src=x onerror="alert(1)"> **241**, not [242](http://evil.example/)'


@pytest.fixture
def desk(smtp: SmtpServer, tmp_path: Path) -> Desk:
    return Desk.set_up(smtp, tmp_path, day="2025-06-12", subscribers=("ana@example.org",), cache=True)


def _day(desk: Desk, day: str) -> None:
    desk.day = day
    shutil.rmtree(desk.articles, ignore_errors=True)
    shutil.copytree(DAYS / day / "articles", desk.articles)


def _kept(desk: Desk, day: str) -> Edition:
    return Edition.model_validate_json((desk.editions / day / "stories.json").read_text(encoding="utf-8"))


def test_the_next_edition_opens_with_the_correction_and_the_sent_one_stays_as_it_was(desk: Desk) -> None:
    _day(desk, "2025-06-12")
    assert desk.daily().exit_code == 0
    sent = {p.name: p.read_bytes() for p in (desk.editions / "2025-06-12").iterdir() if p.is_file()}
    story = _kept(desk, "2025-06-12").stories[0]

    recorded = desk.run("correct", "2025-06-12", HOSTILE, "--story", story.id, "--editor", "Ana Ruiz")
    assert recorded.exit_code == 0, recorded.output
    assert recorded.stderr.startswith(f'briefing: recorded a correction of "{story.headline}" of 2025-06-12')
    _day(desk, "2025-06-13")
    first = desk.daily()
    again = desk.daily()

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    day1 = desk.editions / "2025-06-12"
    assert {p.name: p.read_bytes() for p in day1.iterdir() if p.is_file() and p.name in sent} == sent
    (kept,) = json.loads((day1 / "corrections.json").read_text(encoding="utf-8"))
    assert kept["text"] == HOSTILE and kept["editor"] == "Ana Ruiz" and kept["story_id"] == story.id
    assert kept["published_in"] == "2025-06-13"
    markdown = (desk.editions / "2025-06-13" / "brief.md").read_text(encoding="utf-8")
    first_line = markdown.splitlines()[0]
    assert first_line.startswith(f'**Correction:** in the 2025-06-12 edition, "{story.headline}": ')
    assert r"\*\*241\*\*" in first_line and r"\[242\]" in first_line, "escaped as every edited text"
    data = json.loads((desk.editions / "2025-06-13" / "brief.json").read_text(encoding="utf-8"))
    assert data["corrections"] == [
        {"date": "2025-06-12", "story_id": story.id, "headline": story.headline, "text": HOSTILE}
    ]
    mails = desk.received("ana@example.org")
    assert len(mails) == 2, "the re-run of the 13th sends nothing again"
    html, plain = part(mails[1], "html"), part(mails[1], "plain")
    assert "Correction:" in plain.split("In this edition")[0]
    assert "Correction:" in html.split("In this edition")[0]
    assert "<img" not in html and "evil.example" not in html.replace("[242](http://evil.example/)", "")
    assert "Correction" not in part(mails[0], "plain")

    _day(desk, "2025-06-12")
    desk.day = "2025-06-14"
    later = desk.daily()
    assert later.exit_code == 0, later.output
    assert "Correction" not in (desk.editions / "2025-06-14" / "brief.md").read_text(encoding="utf-8")


def test_a_correction_of_an_edition_never_sent_or_of_no_such_story_is_one_line(desk: Desk) -> None:
    none = desk.run("correct", "2025-06-11", "The toll was 241.")
    _day(desk, "2025-06-12")
    assert desk.daily().exit_code == 0
    story = desk.run("correct", "2025-06-12", "The toll was 241.", "--story", "s-0000000000")
    empty = desk.run("correct", "2025-06-12", "  ")

    editions = desk.editions
    assert none.exit_code == 2 and none.stderr == (
        f"briefing: error: no edition of 2025-06-11 was sent (none kept in {editions}); nothing recorded\n"
    )
    assert story.exit_code == 2 and story.stderr.count("\n") == 1 and "no story s-0000000000" in story.stderr
    assert empty.exit_code == 2 and "the correction is empty" in empty.stderr
    assert not (editions / "2025-06-12" / "corrections.json").exists()


def test_a_damaged_corrections_file_is_one_line_and_the_edition_still_goes(desk: Desk) -> None:
    _day(desk, "2025-06-12")
    assert desk.daily().exit_code == 0
    (desk.editions / "2025-06-12" / "corrections.json").write_text("[{", encoding="utf-8")
    _day(desk, "2025-06-13")
    result = desk.daily()
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "corrections.json: not a list of corrections" in result.stderr
    assert len(desk.received("ana@example.org")) == 2


def test_the_editors_notes_are_shown_under_their_story_and_at_the_top_escaped(desk: Desk) -> None:
    _day(desk, "2025-06-12")
    built = desk.run("build", str(desk.articles), "--date", "2025-06-12", "-f", "json", "-q")
    path = desk.root / "edition.json"
    path.write_text(built.stdout, encoding="utf-8")
    edition = Edition.model_validate_json(built.stdout)
    second = edition.stories[1]
    sources = ("--sources", str(desk.articles))
    on_story = desk.run(
        "edit", str(path), "note", *sources, "--story", second.id, "--text", "Toll <b>rising</b>"
    )
    on_edition = desk.run("edit", str(path), "note", *sources, "--text", "A **short** edition today")
    sent = desk.run("send", str(path), *sources)

    assert on_story.exit_code == 0 and on_edition.exit_code == 0 and sent.exit_code == 0, sent.output
    (mail,) = desk.received("ana@example.org")
    plain, html = part(mail, "plain"), part(mail, "html")
    section = plain.split(f"## 2. {second.headline}", 1)[1].split("\n## 3. ", 1)[0]
    assert "**Editor's note:** Toll" in section and "rising" in section, "under the story it is about"
    top = plain.split("## 1. ", 1)[0]
    assert r"**Editor's note:** A \*\*short\*\* edition today" in top, "at the top, escaped"
    assert "<b>rising</b>" not in html and "&lt;b&gt;rising&lt;/b&gt;" in html
    assert "<strong>short</strong>" not in html and "Editor's note:</strong> A **short** edition" in html
    kept = json.loads((path.with_name("edition.json")).read_text(encoding="utf-8"))
    assert "notes" not in kept, "the build output is never rewritten: the notes live in the edits log"
