"""The editor's desk in a real headless browser (Debian's chromium, driven by Selenium and chromedriver).

The desk runs in-process on a free port of 127.0.0.1 (uvicorn in a thread), over a real
edition of the labelled day built by the extractive backend, with its edits log on disk;
a restart is a new desk reading that log again.
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.app.desk.web import Desk, listen, serve
from briefing.contracts import Article, Edition
from briefing.pipeline import BuildOptions, build, build_edition, gather
from briefing.render.brief import render_json
from briefing.render.edition import render_edition_json
from briefing.review.log import EditsLog, log_path
from briefing.review.session import Review

ROOT = Path(__file__).resolve().parent.parent
DAY = "2025-06-12"
ARTICLES = ROOT / "tests" / "eval" / "days" / DAY / "articles"
EXTRACTIVE = BuildOptions(backend="extractive", date=DAY)  # type: ignore[arg-type]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
MADE_UP = ", 4,321 officials said."


@pytest.fixture(scope="module")
def edition() -> Edition:
    return build_edition([str(ARTICLES)], EXTRACTIVE)


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return gather([str(ARTICLES)]).articles


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    assert Path(CHROMEDRIVER).exists(), (
        "these tests need Debian's chromium and chromedriver; .ci/run installs them "
        "(apt-get install chromium chromium-driver)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@dataclass
class Running:
    """A desk served on a free port in a thread, until `stop()`."""

    desk: Desk
    server: Any
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?token={self.desk.token}"

    def base(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()


def start(path: Path, articles: list[Article]) -> Running:
    desk = Desk(Review.open(path, articles), "ed")
    sock = listen(0)
    server = serve(desk)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.02)
    return Running(desk, server, thread, sock.getsockname()[1])


@pytest.fixture
def edition_file(tmp_path: Path, edition: Edition) -> Path:
    path = tmp_path / "edition.json"
    path.write_text(render_edition_json(edition), encoding="utf-8")
    return path


@pytest.fixture
def running(edition_file: Path, articles: list[Article]) -> Iterator[Running]:
    desk = start(edition_file, articles)
    yield desk
    desk.stop()


def story_block(driver: webdriver.Chrome, story_id: str) -> WebElement:
    return driver.find_element(By.ID, f"story-{story_id}")


def loaded(browser: webdriver.Chrome, act: Callable[[], object]) -> None:
    """Do what submits a form, and wait until the answer has replaced the page."""
    page = browser.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(browser, 60).until(lambda _: _replaced(page))


def _replaced(page: WebElement) -> bool:
    """Whether the page's root element is gone: the answer replaced the page.

    While Chromium swaps documents, asking about the old root can also fail with "Node with
    given id does not belong to the document" rather than as a stale element: that too
    means the document it belonged to is gone.
    """
    try:
        page.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


def submit(browser: webdriver.Chrome, block: WebElement, button_class: str) -> None:
    """Open the block's edit panel and press one of its buttons."""
    block.find_element(By.CSS_SELECTOR, ":scope > details > summary").click()
    loaded(browser, block.find_element(By.CSS_SELECTOR, f"button.{button_class}").click)


def test_hover_and_focus_show_the_evidence_and_a_click_opens_the_source_with_it_highlighted(
    running: Running, browser: webdriver.Chrome, edition: Edition
) -> None:
    story = edition.stories[0]
    claim = next(c for c in story.brief.claims if c.id == story.brief.lede_claim_ids[0])
    passage = claim.evidence[0].text
    browser.get(running.url)
    item = browser.find_element(By.ID, f"item-{claim.id}")
    first = item.find_elements(By.CSS_SELECTOR, ".cite a")[0]
    tip = browser.find_element(By.ID, first.get_attribute("aria-describedby") or "")
    heading = browser.find_element(By.TAG_NAME, "h1")

    assert not tip.is_displayed(), "the passage shows only on hover or focus"
    ActionChains(browser).move_to_element(first).perform()
    assert tip.is_displayed()
    assert " ".join(passage.split()) in tip.text
    assert tip.get_attribute("role") == "tooltip"
    ActionChains(browser).move_to_element(heading).perform()
    assert not tip.is_displayed()
    browser.execute_script("arguments[0].focus()", first)
    assert tip.is_displayed(), "a keyboard user reaches the passage too"

    loaded(browser, first.click)
    mark = browser.find_element(By.CSS_SELECTOR, "mark#passage")
    assert "/source/" + claim.evidence[0].article_id in browser.current_url
    assert " ".join(mark.text.split()) == " ".join(passage.split())


def test_the_emails_own_citations_show_their_evidence_and_open_the_highlighted_source(
    running: Running, browser: webdriver.Chrome, edition: Edition
) -> None:
    story = edition.stories[1]
    claim = next(c for c in story.brief.claims if c.id == story.brief.lede_claim_ids[0])
    browser.get(running.url)
    email = browser.find_element(By.ID, "email")
    cites = email.find_elements(By.CSS_SELECTOR, f".cite a[href*='claim={claim.id}']")
    link = cites[0]
    article_id = (link.get_attribute("href") or "").split("/source/")[1].split("?")[0]
    passage = next(e.text for e in claim.evidence if e.article_id == article_id)
    tip = email.find_element(By.ID, link.get_attribute("aria-describedby") or "")
    subscribers_text = email.text

    assert not tip.is_displayed()
    ActionChains(browser).move_to_element(link).perform()
    assert tip.is_displayed() and " ".join(passage.split()) in tip.text
    ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
    browser.execute_script("arguments[0].focus()", link)
    assert tip.is_displayed()
    loaded(browser, link.click)
    mark = browser.find_element(By.CSS_SELECTOR, "mark#passage").text

    assert " ".join(mark.split()) == " ".join(passage.split())
    assert (
        story.headline in subscribers_text
        and "You receive this brief because you subscribed" in subscribers_text
    )
    assert " ".join(claim.statement.split()) in " ".join(subscribers_text.split())


def test_single_source_items_and_disagreements_are_marked(tmp_path: Path, browser: webdriver.Chrome) -> None:
    example = ROOT / "examples" / "london-talks"
    brief = build([str(example)], BuildOptions(backend="extractive", date="2025-06-10"))  # type: ignore[arg-type]
    path = tmp_path / "brief.json"
    path.write_text(render_json(brief), encoding="utf-8")
    shown = [*brief.lede_claim_ids, *(i for x in brief.sections for i in x.claim_ids)]
    single = next(c for c in brief.claims if c.single_source and c.id in shown)
    disagreement = brief.discrepancies[0]
    desk = start(path, gather([str(example)]).articles)
    try:
        browser.get(desk.url)
        flag = browser.find_element(By.ID, f"item-{single.id}").find_element(By.CSS_SELECTOR, ".flag.single")
        block = browser.find_element(By.CSS_SELECTOR, ".disagreements")
        flag_text, shown_flag, block_text = flag.text, flag.is_displayed(), block.text
        cite = block.find_element(By.CSS_SELECTOR, ".cite a")
        ActionChains(browser).move_to_element(cite).perform()
        tip = browser.find_element(By.ID, cite.get_attribute("aria-describedby") or "").text
        article_id = (cite.get_attribute("href") or "").split("/source/")[1].split("?")[0]
        loaded(browser, cite.click)
        mark = browser.find_element(By.CSS_SELECTOR, "mark#passage").text
    finally:
        desk.stop()

    assert shown_flag and flag_text == "one source"
    assert "sources disagree" in block_text and disagreement.subject in block_text
    evidence = next(e.text for e in disagreement.values[0].evidence if e.article_id == article_id)
    assert " ".join(evidence.split()) in tip
    assert " ".join(mark.split()) == " ".join(evidence.split())


def test_drop_pin_edit_note_and_approve_through_the_page_survive_a_restart(
    edition_file: Path, articles: list[Article], browser: webdriver.Chrome, edition: Edition
) -> None:
    first, second, last = edition.stories[0], edition.stories[1], edition.stories[-1]
    dropped = first.brief.lede_claim_ids[0]
    desk = start(edition_file, articles)
    try:
        browser.get(desk.url)
        submit(browser, story_block(browser, last.id), "pin")
        assert "recorded: pin_story" in browser.find_element(By.ID, "message").text
        item = browser.find_element(By.ID, f"item-{dropped}")
        item.find_element(By.TAG_NAME, "summary").click()
        loaded(browser, item.find_element(By.CSS_SELECTOR, "button.drop-item").click)
        block = story_block(browser, second.id)
        block.find_element(By.CSS_SELECTOR, ":scope > details > summary").click()
        headline = block.find_element(By.CSS_SELECTOR, "input[name=text]")
        headline.clear()
        headline.send_keys(second.headline.split(" after ")[0].split(",")[0] + " <i>now</i>")
        loaded(browser, headline.submit)
        if browser.find_elements(By.ID, "refused"):
            browser.find_element(By.CSS_SELECTOR, "input[name=override]").send_keys("house style")
            loaded(browser, browser.find_element(By.ID, "override").click)
        notes = browser.find_element(By.ID, "edition-notes")
        notes.find_element(By.CSS_SELECTOR, "input[name=text]").send_keys("Check the toll at 05:00")
        loaded(browser, notes.find_element(By.TAG_NAME, "button").click)
        loaded(browser, browser.find_element(By.ID, "approve").click)
        assert browser.find_element(By.ID, "verdict").text.startswith("Approved: ")
    finally:
        desk.stop()

    again = start(edition_file, articles)
    try:
        browser.get(again.url)
        places = [
            e.get_attribute("data-story") for e in browser.find_elements(By.CSS_SELECTOR, "article.story")
        ]
        shown = browser.find_element(By.CSS_SELECTOR, f"#story-{second.id} .headline").text
        still_there = browser.find_elements(By.ID, f"item-{dropped}")
        notes_text = browser.find_element(By.ID, "edition-notes").text
        verdict = browser.find_element(By.ID, "verdict").text
        scripts = browser.find_elements(By.CSS_SELECTOR, "main script, main i")
    finally:
        again.stop()

    assert places[0] == last.id, "the pinned story stays pinned"
    assert still_there == [], "the dropped item stays dropped"
    assert shown.endswith(" <i>now</i>"), "an edited text shows as typed, escaped, never as markup"
    assert scripts == []
    assert "Check the toll at 05:00 (ed)" in notes_text
    assert verdict.startswith("Approved: ")
    edits, _ = EditsLog(log_path(edition_file)).read()
    assert [e.action.value for e in edits] == ["pin_story", "drop_item", "edit_headline", "note", "approve"]
    assert {e.editor for e in edits} == {"ed"}


def test_a_made_up_figure_typed_into_an_edit_is_flagged_and_kept_only_with_a_reason(
    running: Running, browser: webdriver.Chrome, edition: Edition, edition_file: Path
) -> None:
    story = edition.stories[0]
    claim_id = story.brief.lede_claim_ids[0]
    statement = next(c.statement for c in story.brief.claims if c.id == claim_id)
    browser.get(running.url)
    item = browser.find_element(By.ID, f"item-{claim_id}")
    item.find_element(By.TAG_NAME, "summary").click()
    box = item.find_element(By.CSS_SELECTOR, "textarea[name=text]")
    box.clear()
    box.send_keys(statement.rstrip(".") + MADE_UP)
    loaded(browser, box.find_element(By.XPATH, "./ancestor::form").submit)

    refused = browser.find_element(By.ID, "refused").text
    reasons = browser.find_element(By.ID, "reasons").text
    assert not log_path(edition_file).exists(), "a refused edit is not recorded"
    browser.find_element(By.CSS_SELECTOR, "input[name=override]").send_keys("confirmed by phone")
    loaded(browser, browser.find_element(By.ID, "override").click)

    assert "not recorded (give an override to keep it)" in refused
    assert reasons == "figure 4,321 officials is in no cited source's evidence"
    assert "override: figure 4,321 officials" in browser.find_element(By.ID, "message").text
    (edit,), _ = EditsLog(log_path(edition_file)).read()
    assert edit.override == "confirmed by phone" and edit.after == statement.rstrip(".") + MADE_UP
    assert edit.overridden == ["figure 4,321 officials is in no cited source's evidence"]


def test_a_request_without_the_token_is_refused_with_403(running: Running) -> None:
    assert httpx.get(running.base("/")).status_code == 403
    assert httpx.get(running.base("/?token=not-the-token")).status_code == 403
    assert httpx.get(running.base("/email")).status_code == 403
    assert httpx.post(running.base("/approve"), data={"csrf": running.desk.csrf}).status_code == 403
    assert httpx.get(running.url).status_code == 200


def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_recorded(
    running: Running, edition: Edition, edition_file: Path
) -> None:
    cookies = {"briefing_desk": running.desk.token}
    story_id = edition.stories[0].id
    form = {"action": "drop_story", "story_id": story_id}

    missing = httpx.post(running.base("/act"), data=form, cookies=cookies)
    wrong = httpx.post(running.base("/act"), data={**form, "csrf": "guess"}, cookies=cookies)
    approve = httpx.post(running.base("/approve"), data={}, cookies=cookies)

    assert (missing.status_code, wrong.status_code, approve.status_code) == (403, 403, 403)
    assert not log_path(edition_file).exists()
    done = httpx.post(running.base("/act"), data={**form, "csrf": running.desk.csrf}, cookies=cookies)
    assert done.status_code == 303 and log_path(edition_file).exists()


def test_the_source_view_serves_only_the_editions_own_sources(
    running: Running, articles: list[Article]
) -> None:
    query = {"token": running.desk.token}
    secret = ARTICLES / articles[0].path if articles[0].path else ARTICLES
    with httpx.Client(base_url=running.base()) as client:
        own = client.get(f"/source/{articles[0].id}", params=query)
        attempts = [
            client.get("/source/..%2F..%2F..%2Fetc%2Fpasswd", params=query),
            client.get("/source/%2Fetc%2Fpasswd", params=query),
            client.get("/source/" + str(secret).replace("/", "%2F"), params=query),
            client.get("/source/%2E%2E", params=query),
        ]
    connection = http.client.HTTPConnection("127.0.0.1", running.port)
    connection.request("GET", f"/source/../../../../etc/passwd?token={running.desk.token}")  # sent as is
    raw = connection.getresponse().read().decode()
    connection.close()

    assert own.status_code == 200 and articles[0].title in own.text
    assert [r.status_code for r in attempts] == [404, 404, 404, 404]
    assert all("root:" not in r.text for r in attempts) and "root:" not in raw


def test_the_command_prints_the_url_with_its_token_first_and_serves_on_127_0_0_1(edition_file: Path) -> None:
    command = [sys.executable, "-m", "briefing", "review", str(edition_file), "--sources", str(ARTICLES)]
    process = subprocess.Popen(
        [*command, "--no-open"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        page = httpx.get(url)
        bare = httpx.get(url.split("?")[0])
    finally:
        process.terminate()
        process.wait(timeout=60)

    assert url.startswith("http://127.0.0.1:") and "/?token=" in url
    assert page.status_code == 200 and "Editor's desk" in page.text
    assert bare.status_code == 403


def test_a_port_in_use_or_a_missing_edition_is_one_line_and_exit_2(edition_file: Path) -> None:
    taken = listen(0)
    port = str(taken.getsockname()[1])
    try:
        busy = CliRunner().invoke(
            app, ["review", str(edition_file), "--sources", str(ARTICLES), "--port", port, "--no-open"]
        )
    finally:
        taken.close()
    missing = CliRunner().invoke(
        app, ["review", str(edition_file.with_name("nope.json")), "--sources", str(ARTICLES), "--no-open"]
    )

    assert busy.exit_code == 2 and f"error: cannot listen on 127.0.0.1:{port} (" in busy.output
    assert "Traceback" not in busy.output and busy.stdout == ""
    assert missing.exit_code == 2 and "nope.json" in missing.output and "Traceback" not in missing.output
