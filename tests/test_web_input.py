"""Web input end to end: URLs and feeds over real HTTP on loopback, syndicated copies, languages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer
from typer.testing import CliRunner
from web_server import PAGES, WebServer

from briefing.cli import app
from briefing.fetch import Fetcher, FetchSettings, PageCache
from briefing.ingest import ingest
from briefing.models import Brief
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render import render_markdown

runner = CliRunner()
SOURCE_LINE = re.compile(
    r"^(\d+)\. \*\*(?P<outlet>[^*]+)\*\*: \[(?P<title>[^\]]+)\]\(<(?P<url>[^>]+)>\) \((?P<date>[\d-]+)\)"
)


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    server = WebServer(slow_s=3.0, trickle_s=0.05).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFING_MODEL", "BRIEFING_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache"))


def sources_of(markdown: str) -> list[re.Match[str]]:
    section = markdown.split("## Sources", 1)[1]
    return [m for line in section.splitlines() if (m := SOURCE_LINE.match(line))]


def test_urls_give_a_cited_brief_whose_sources_show_outlet_linked_title_and_date(web: WebServer) -> None:
    urls = [web.url(p) for p in ("coastal-courier.html", "bay-radio.html", "wire-cpa.html")]
    result = runner.invoke(app, ["build", *urls])

    assert result.exit_code == 0, result.output
    found = {m["outlet"]: m for m in sources_of(result.stdout)}
    assert set(found) == {"Coastal Courier", "Bay Radio News", "Coastline Press Association"}
    assert found["Bay Radio News"]["title"] == "Commuters relieved but wary as Northbay ferry returns"
    assert found["Bay Radio News"]["url"] == web.url("bay-radio.html")
    assert found["Coastal Courier"]["date"] == "2025-06-10"
    highlights = result.stdout.split("## Sources")[0]
    assert re.search(r"\[\d\]", highlights), "statements carry citations"
    for furniture in ("cookies", "Advertisement", "Most read", "Sign up", "Comments"):
        assert furniture not in result.stdout
    agents = {agent for path, agent in web.requests if path == "/bay-radio.html"}
    assert agents and all(agent.startswith("briefing/") for agent in agents)


def test_a_feed_within_24_hours_gives_a_cited_brief_without_old_or_off_topic_entries(web: WebServer) -> None:
    result = runner.invoke(
        app, ["build", "--feed", web.url("feed.xml"), "--since", "24h", "--topic", "ferry"]
    )

    assert result.exit_code == 0, result.output
    outlets = [m["outlet"] for m in sources_of(result.stdout)]
    assert sorted(outlets) == ["Bay Radio News", "Coastal Courier", "Coastline Press Association"]
    assert "Millbrook" not in result.stdout and "choir" not in result.stdout
    feed_line = next(line for line in result.stderr.splitlines() if "feed.xml" in line)
    assert feed_line.endswith(
        "7 entries, 1 older than "
        + feed_line.split("older than ")[1].split(",")[0]
        + ", 1 not about ferry; read 5"
    )
    assert web.hits("/old-story.html") == 0, "entries outside the window are not fetched"


def test_a_feed_from_the_config_file_and_no_topic_keeps_every_recent_entry(
    web: WebServer, tmp_path: Path
) -> None:
    config = tmp_path / "briefing.toml"
    config.write_text(f'feeds = ["{web.url("feed.xml")}"]\nsince = "24h"\n', encoding="utf-8")
    result = runner.invoke(app, ["build", "--config", str(config), "-f", "json"])

    assert result.exit_code == 0, result.output
    brief = Brief.model_validate_json(result.stdout)
    assert "Bay Radio News" in [s.source for s in brief.sources]
    assert any("choir" in s.title for s in brief.sources), "without a topic the off-topic entry is read"
    assert not any("Millbrook" in s.title for s in brief.sources)

    bad = tmp_path / "bad.toml"
    bad.write_text('feed = ["x"]\n', encoding="utf-8")
    refused = runner.invoke(app, ["build", "--config", str(bad)])
    assert refused.exit_code == 2
    assert (
        refused.stderr.strip()
        == f"briefing: error: config {bad}: unknown key 'feed' (known: feeds, since, topic, language)"
    )


def test_a_story_syndicated_three_times_is_one_source_with_its_copies_listed(web: WebServer) -> None:
    copies = ["wire-cpa.html", "wire-daily-gazette.html", "wire-evening-post.html"]
    result = runner.invoke(app, ["build", web.url("bay-radio.html"), *(web.url(c) for c in copies)])

    assert result.exit_code == 0, result.output
    assert "*2 sources ·" in result.stdout
    section = result.stdout.split("## Sources", 1)[1]
    wire = next(m for m in sources_of(result.stdout) if m["outlet"] == "Coastline Press Association")
    assert section.count("also published by") == 2
    gazette = web.url("wire-daily-gazette.html")
    title = "Ferry crossing reopens with one boat until July"
    assert f"    - also published by **Daily Gazette**: [{title}](<{gazette}>) (2025-06-10)" in section
    assert "also published by **Evening Post**" in section
    cited = {int(n) for n in re.findall(r"\[(\d)\]", result.stdout.split("## Sources")[0])}
    assert int(wire[1]) in cited and cited <= {1, 2}
    lines = [line for line in result.stderr.splitlines() if "syndicated copy" in line]
    assert len(lines) == 2 and all(line.endswith("listed as a copy of it") for line in lines)


def test_the_same_copies_in_any_order_give_the_same_brief(web: WebServer) -> None:
    copies = [web.url(c) for c in ("wire-evening-post.html", "wire-cpa.html", "wire-daily-gazette.html")]
    options = BuildOptions(backend=BackendChoice.extractive, use_cache=False)
    first = build([web.url("coastal-courier.html"), *copies], options)
    second = build([*reversed(copies), web.url("coastal-courier.html")], options)
    assert render_markdown(first) == render_markdown(second)
    assert first.model_dump_json(exclude={"report"}) == second.model_dump_json(exclude={"report"})
    wire = next(s for s in first.sources if s.copies)
    assert wire.source == "Coastline Press Association", "the original, not the copy with an editor's line"


def test_each_broken_url_gets_one_line_and_the_brief_is_built_from_the_rest(web: WebServer) -> None:
    bad = {
        "missing.html": "HTTP 404 Not Found; skipped",
        "loop": "more than 5 redirects (a redirect loop?); skipped",
        "huge.html": "52.4288 MB long, over the 5 MB limit; skipped",
        "huge-chunked.html": "over the 5 MB limit (stopped reading); skipped",
        "image.png": "not a web page (the server sent image/png); skipped",
    }
    result = runner.invoke(
        app,
        ["build", "-q", web.url("coastal-courier.html"), web.url("moved.html"), *(web.url(p) for p in bad)],
    )

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == len(bad)
    for path, ending in bad.items():
        assert f"briefing: {web.url(path)}: {ending}" in lines
    links = [m["url"] for m in sources_of(result.stdout)]
    assert web.url("wire-cpa.html") in links, "a redirect is followed and the final address is the link"


def test_a_slow_or_trickling_server_cannot_hold_the_run(web: WebServer) -> None:
    fetcher = Fetcher(FetchSettings(timeout_s=0.5, deadline_s=1.0))
    result = ingest(
        [web.url("slow.html"), web.url("trickle.html"), web.url("bay-radio.html")], fetcher=fetcher
    )
    fetcher.close()

    reasons = {p.path.rsplit("/", 1)[1]: p.line() for p in result.problems}
    assert reasons["slow.html"].endswith("no answer within 0.5 s; skipped")
    assert reasons["trickle.html"].endswith("the answer took over 1 s (stopped reading); skipped")
    assert [a.source for a in result.articles] == ["Bay Radio News"]


def test_a_busy_server_is_retried_and_pages_are_cached_for_the_next_run(
    web: WebServer, tmp_path: Path
) -> None:
    cache = PageCache(tmp_path / "pages.sqlite3")
    waits: list[float] = []
    with Fetcher(cache=cache, sleep=waits.append) as fetcher:
        first = ingest([web.url("flaky.html")], fetcher=fetcher)
    assert [a.source for a in first.articles] == ["Coastline Press Association"]
    assert web.hits("/flaky.html") == 2 and len(waits) >= 1

    with Fetcher(cache=cache) as fetcher:
        again = ingest([web.url("flaky.html")], fetcher=fetcher)
    assert web.hits("/flaky.html") == 2, "the second run reads the cached page"
    assert again.articles == first.articles
    cache.close()


def test_a_feed_that_is_not_a_feed_or_is_missing_gets_one_line(web: WebServer) -> None:
    result = runner.invoke(
        app,
        [
            "build",
            "-q",
            "--feed",
            web.url("not-a-feed.xml"),
            "--feed",
            web.url("nowhere.xml"),
            web.url("bay-radio.html"),
        ],
    )
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert any(
        line.startswith(f"briefing: {web.url('not-a-feed.xml')}: not an RSS or Atom feed") for line in lines
    )
    assert f"briefing: {web.url('nowhere.xml')}: HTTP 404 Not Found; skipped" in lines
    assert len(lines) == 2


def test_articles_in_other_languages_are_accepted_and_marked(web: WebServer) -> None:
    result = runner.invoke(app, ["build", web.url("bay-radio.html"), "--feed", web.url("atom.xml")])

    assert result.exit_code == 0, result.output
    markdown = result.stdout
    numbers = {m["outlet"]: m[1] for m in sources_of(markdown)}
    assert set(numbers) == {"Bay Radio News", "Le Journal du Port", "Diario de la Costa", "Küstenbote"}
    assert "(French, not translated)" in markdown and "(German, not translated)" in markdown
    assert f"[{numbers['Le Journal du Port']}] French" in markdown.split("##")[1], "the header says which"
    assert "*(in Spanish)*" in markdown
    lede = markdown.split("### ")[0].split("\n\n")[-2]
    assert "*(in" not in lede, "the lede is in the brief's language while an English source has claims"


def test_languages_are_detected_per_article() -> None:
    result = ingest(sorted(str(p) for p in PAGES.glob("*.html")))
    languages = {Path(a.path or "").stem: a.language for a in result.articles}
    assert languages["fr-journal-du-port"] == "fr"
    assert languages["es-diario-de-la-costa"] == "es"
    assert languages["de-kuestenbote"] == "de"
    assert languages["coastal-courier"] == "en" and languages["off-topic"] == "en"


def test_with_a_model_other_languages_are_asked_for_in_the_briefs_language(
    web: WebServer, fault_server: FaultServer
) -> None:
    urls = [web.url("bay-radio.html"), web.url("fr-journal-du-port.html")]
    options = BuildOptions(model="fault-model", base_url=fault_server.base_url, use_cache=False)
    brief = build(urls, options)

    french = next(s for s in brief.sources if s.source == "Le Journal du Port")
    english = next(s for s in brief.sources if s.source == "Bay Radio News")
    assert french.translated and french.language == "fr" and french.backend == "model"
    assert not english.translated and english.backend == "model"
    notes = [
        m["content"]
        for e in fault_server.exchanges
        for m in e.messages
        if m["role"] == "system" and "The article is in" in m["content"]
    ]
    assert len(notes) == 1, "only the French article's request carries the translation note"
    assert "The article is in French; the brief is in English." in notes[0]
    assert "Copy evidence and quotes exactly as they are in the article, in French." in notes[0]
    french_text = next(a.text for a in ingest([urls[1]]).articles)
    evidence = [e.text for c in brief.claims for e in c.evidence if e.article_id == french.article_id]
    assert evidence and all(text in french_text for text in evidence), "evidence stays verbatim in French"

    result = runner.invoke(
        app, ["build", "--base-url", fault_server.base_url, "--model", "fault-model", "--no-cache", *urls]
    )
    assert "(French, translated)" in result.stdout
    assert "translated by the model from [" in result.stdout
    assert "] French (evidence kept in the original)" in result.stdout


def test_the_json_brief_keeps_links_languages_and_copies(web: WebServer) -> None:
    result = runner.invoke(
        app,
        [
            "build",
            "-f",
            "json",
            web.url("wire-cpa.html"),
            web.url("wire-evening-post.html"),
            web.url("de-kuestenbote.html"),
        ],
    )
    data = json.loads(result.stdout)
    by_outlet = {s["source"]: s for s in data["sources"]}
    assert by_outlet["Küstenbote"]["language"] == "de"
    assert by_outlet["Coastline Press Association"]["url"] == web.url("wire-cpa.html")
    assert [c["source"] for c in by_outlet["Coastline Press Association"]["copies"]] == ["Evening Post"]


def test_the_daily_run_reads_its_feeds_from_the_config_file(web: WebServer, tmp_path: Path) -> None:
    config = tmp_path / "briefing.toml"
    config.write_text(
        f'feeds = ["{web.url("feed.xml")}"]\nsince = "24h"\ntopic = ["ferry"]\n', encoding="utf-8"
    )
    env = {"BRIEFING_DB": str(tmp_path / "db.sqlite3"), "BRIEFING_FROM": "Brief <brief@example.com>"}
    runner.invoke(app, ["subscribers", "add", "you@example.com"], env=env)
    outbox = tmp_path / "outbox"
    result = runner.invoke(
        app,
        ["daily", "--config", str(config), "--editions", str(tmp_path / "ed"), "--dry-run", str(outbox)],
        env=env,
    )

    assert result.exit_code == 0, result.output
    brief = Brief.model_validate_json(next((tmp_path / "ed").glob("*/brief.json")).read_text())
    assert len(brief.sources) == 3 and sum(len(s.copies) for s in brief.sources) == 2
    assert len(list(outbox.glob("*.eml"))) == 1
