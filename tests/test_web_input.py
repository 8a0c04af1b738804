"""Web input end to end: URLs and feeds over real HTTP on loopback, syndicated copies, languages."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import pytest
from factories import output_sources
from fault_server import FaultServer
from servers import serve
from typer.testing import CliRunner
from web_server import PAGES, WORDS, WebServer

from briefing.app.cli import app
from briefing.contracts import Brief
from briefing.ingest.feeds import FeedQuery
from briefing.ingest.fetch import Fetcher, FetchError, FetchSettings, PrivateAddressError
from briefing.ingest.read import ingest
from briefing.pipeline import BackendChoice, BuildOptions, build, gather
from briefing.render.brief import render_markdown
from briefing.store.cache import PageCache

runner = CliRunner()
SOURCE_LINE = re.compile(
    r"^(\d+)\. \*\*(?P<outlet>[^*]+)\*\*: \[(?P<title>[^\]]+)\]\(<(?P<url>[^>]+)>\) \((?P<date>[\d-]+)\)"
)


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    with serve(WebServer(slow_s=3.0, trickle_s=0.05)) as server:
        yield server


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
    sources = output_sources(json.loads(result.stdout))
    assert "Bay Radio News" in [s["source"] for s in sources]
    assert any("choir" in s["title"] for s in sources), "without a topic the off-topic entry is read"
    assert not any("Millbrook" in s["title"] for s in sources)

    bad = tmp_path / "bad.toml"
    bad.write_text('feed = ["x"]\n', encoding="utf-8")
    refused = runner.invoke(app, ["build", "--config", str(bad)])
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith(
        f"briefing: error: config {bad}: unknown key 'feed' (known: feeds, since, topic, language, "
        "max_entries, allow_private_network, "
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
        "huge.html": "52.4 MB long, over the 5 MB limit; skipped",
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
        line.startswith(
            f"briefing: {web.url('not-a-feed.xml')}: malformed feed (an HTML page, not RSS or Atom"
        )
        for line in lines
    )
    assert f"briefing: {web.url('nowhere.xml')}: HTTP 404 Not Found; skipped" in lines
    assert len(lines) == 2


def test_articles_in_other_languages_are_accepted_and_marked(web: WebServer) -> None:
    result = runner.invoke(app, ["build", web.url("bay-radio.html"), "--feed", web.url("atom.xml")])

    assert result.exit_code == 0, result.output
    # Every report of the ferry's return is read and is one story, whatever its language: one brief.
    assert "\n## 1. " not in result.stdout
    markdown = result.stdout
    numbers = {m["outlet"]: m[1] for m in sources_of(markdown)}
    assert set(numbers) == {"Bay Radio News", "Le Journal du Port", "Diario de la Costa", "Küstenbote"}
    assert "(French, not translated)" in markdown
    assert f"[{numbers['Le Journal du Port']}] French" in markdown.split("###")[0], "the header says which"
    assert "*(in Spanish)*" in markdown
    lede = markdown.split("### ")[0].split("\n\n")[-2]
    assert "*(in" not in lede, "the lede is in the brief's language while an English source has claims"


def test_languages_are_detected_per_article() -> None:
    result = gather(sorted(str(p) for p in PAGES.glob("*.html")))
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
    assert not (tmp_path / "ed").exists(), "a dry run keeps its version in the dry-run folder"
    brief = Brief.model_validate_json(next((outbox / "editions").glob("*/brief.json")).read_text())
    assert len(brief.sources) == 3 and sum(len(s.copies) for s in brief.sources) == 2
    assert len(list(outbox.glob("*.eml"))) == 1


@pytest.fixture(scope="module")
def other() -> Iterator[WebServer]:
    """A second site, on another loopback address: a private host the user does not give."""
    with serve(WebServer(host="127.0.0.2")) as server:
        yield server


def refused(host: str, address: str) -> str:
    return (
        f"not fetched: {host} is a loopback address ({address}) and only hosts you gave may be private "
        "(--allow-private-network allows it); skipped"
    )


def test_feed_links_and_redirects_to_private_hosts_not_given_are_refused_in_one_line_each(
    web: WebServer, other: WebServer
) -> None:
    feed = web.url_to("elsewhere.xml", to=other.base)
    via_localhost = web.url_to("elsewhere.xml", to=f"http://localhost:{web.port}")
    away = web.url_to("redirect", to=other.url("wire-daily-gazette.html"))
    reached_other = len(other.requests)
    result = runner.invoke(
        app, ["build", "-q", "--feed", feed, "--feed", via_localhost, away, web.url("moved.html")]
    )

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    not_fetched = [line for line in result.stderr.splitlines() if "not fetched" in line]
    assert sorted(not_fetched) == sorted(
        [
            f"briefing: {other.url('wire-cpa.html')}: {refused('127.0.0.2', '127.0.0.2')}",
            f"briefing: {other.url('bay-radio.html')}: {refused('127.0.0.2', '127.0.0.2')}",
            f"briefing: {away}: {refused('127.0.0.2', '127.0.0.2')}",
            f"briefing: http://localhost:{web.port}/wire-cpa.html: {refused('localhost', '127.0.0.1')}",
            f"briefing: http://localhost:{web.port}/bay-radio.html: {refused('localhost', '127.0.0.1')}",
        ]
    )
    assert len(other.requests) == reached_other, "no connection reached the host the user did not give"
    outlets = {m["outlet"] for m in sources_of(result.stdout)}
    assert outlets == {"Coastal Courier", "Coastline Press Association"}, (
        "links and redirects on the feed's or page's own host are still read"
    )

    direct = runner.invoke(app, ["build", "-q", other.url("bay-radio.html")])
    assert direct.exit_code == 0, "an address the user typed is fetched whatever it resolves to"
    assert [m["outlet"] for m in sources_of(direct.stdout)] == ["Bay Radio News"]


def test_allow_private_network_lets_feed_links_and_redirects_through(
    web: WebServer, other: WebServer, tmp_path: Path
) -> None:
    feed = web.url_to("elsewhere.xml", to=other.base)
    away = web.url_to("redirect", to=other.url("wire-daily-gazette.html"))
    before = len(other.requests)
    result = runner.invoke(app, ["build", "-q", "--allow-private-network", "--feed", feed, away])

    assert result.exit_code == 0, result.output
    assert "not fetched" not in result.stderr
    assert len(other.requests) - before == 3
    outlets = {m["outlet"] for m in sources_of(result.stdout)}
    assert {"Bay Radio News", "Coastal Courier", "Coastline Press Association"} <= outlets

    again = runner.invoke(app, ["build", "-q", "--feed", feed, away])
    assert again.exit_code == 3
    assert sum("not fetched" in line for line in again.stderr.splitlines()) == 3, (
        "pages cached by the run that allowed them are refused to a run that does not"
    )

    config = tmp_path / "briefing.toml"
    config.write_text(f'feeds = ["{feed}"]\nallow_private_network = true\n', encoding="utf-8")
    from_config = runner.invoke(app, ["build", "-q", "--no-cache", "--config", str(config)])
    assert from_config.exit_code == 0 and "not fetched" not in from_config.stderr
    assert len(other.requests) - before == 5

    env = {"BRIEFING_DB": str(tmp_path / "db.sqlite3"), "BRIEFING_FROM": "Brief <brief@example.com>"}
    runner.invoke(app, ["subscribers", "add", "you@example.com"], env=env)
    daily = ["daily", "--feed", feed, "--editions", str(tmp_path / "ed"), "--dry-run", str(tmp_path / "out")]
    runner.invoke(app, daily, env={**env, "BRIEFING_CACHE_DIR": str(tmp_path / "c1")})
    assert len(other.requests) - before == 5, "the daily run refuses too"
    allowed = [*daily, "--allow-private-network", "--date", "2025-06-11"]
    runner.invoke(app, allowed, env={**env, "BRIEFING_CACHE_DIR": str(tmp_path / "c2")})
    assert len(other.requests) - before == 7, "and lets them through with --allow-private-network"


class LoopbackInternet(httpcore.NetworkBackend):
    """Real sockets, with the loopback web server standing in for one public address."""

    def __init__(self, public: str) -> None:
        self.public = public
        self.connected: list[str] = []
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.connected.append(host)
        target = "127.0.0.1" if host == self.public else host
        return self._sockets.connect_tcp(target, port, timeout, local_address, socket_options)


def test_the_address_is_checked_at_connect_time_so_dns_rebinding_cannot_pass(
    web: WebServer, other: WebServer
) -> None:
    public = "93.184.216.34"
    answers = [public, "127.0.0.2"]  # a public address first, then a loopback one: DNS rebinding
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return [answers[min(len(asked), len(answers)) - 1]]

    internet = LoopbackInternet(public)
    link = f"http://news.rebind.test:{web.port}/wire-cpa.html"
    reached_other = len(other.requests)
    with Fetcher(resolve=rebinding, sockets=internet) as fetcher:
        page = fetcher.page(link, given=False)
    assert page.body == (PAGES / "wire-cpa.html").read_bytes()
    assert asked == ["news.rebind.test"], "resolved once for the connection"
    assert internet.connected == [public], "and connected to exactly the address that was checked"

    with (
        Fetcher(resolve=rebinding, sockets=internet) as fetcher,
        pytest.raises(PrivateAddressError) as caught,
    ):
        fetcher.page(link, given=False)
    assert str(caught.value).startswith("not fetched: news.rebind.test is a loopback address (127.0.0.2)")
    assert internet.connected == [public], "the rebound address was never connected to"
    assert len(other.requests) == reached_other

    def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with Fetcher(resolve=nowhere, sockets=internet) as fetcher, pytest.raises(FetchError) as unknown:
        fetcher.page(link)
    assert str(unknown.value) == "cannot find the host news.rebind.test (DNS)"


def test_a_big_feed_is_cut_to_max_entries_and_its_pages_fetched_side_by_side_in_feed_order(
    web: WebServer,
) -> None:
    feed = web.url_to("many.xml", n=12, delay=40)  # the first entry answers last
    before = web.story_hits()
    web.max_in_flight = 0
    with Fetcher(FetchSettings(concurrency=4)) as fetcher:
        result = ingest([], feeds=[FeedQuery(feed, max_entries=6)], fetcher=fetcher)

    assert [a.title for a in result.articles] == [
        f"Story {i}: the {w} decision" for i, w in enumerate(WORDS[:6])
    ]
    assert [p.line() for p in result.problems] == [
        f"{feed}: 12 entries, 6 older ones over --max-entries 6 left out; read 6"
    ]
    assert web.story_hits() - before == 6, "entries over the limit are not fetched"
    assert 2 <= web.max_in_flight <= 4, "pages were fetched side by side, never more than the pool"

    small = web.url_to("many.xml", n=5)
    cut = runner.invoke(app, ["build", "-q", "--max-entries", "2", "--feed", small])
    assert cut.exit_code == 0, cut.output
    assert cut.stdout.startswith("# 📰 In this edition") and "2 stories in brief" in cut.stdout
    assert cut.stderr.splitlines() == [
        f"briefing: {small}: 5 entries, 3 older ones over --max-entries 2 left out; read 2"
    ]


def test_a_malformed_feed_is_reported_as_malformed_with_the_parsers_reason(web: WebServer) -> None:
    feeds = ["truncated.xml", "truncated-late.xml", "empty.xml", "empty-feed.xml"]
    result = runner.invoke(app, ["build", "-q", *(f"--feed={web.url(f)}" for f in feeds)])

    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 4, lines
    truncated, late, empty, no_items = lines
    assert re.fullmatch(
        rf"briefing: {re.escape(web.url('truncated.xml'))}: malformed feed \(unclosed token at line 1, "
        r"column \d+\); skipped",
        truncated,
    )
    assert re.fullmatch(
        rf"briefing: {re.escape(web.url('truncated-late.xml'))}: malformed feed \(unclosed token at line 1, "
        r"column \d+\); read up to the damage: 2 entries; read 2, the rest lost",
        late,
    )
    assert empty == f"briefing: {web.url('empty.xml')}: malformed feed (the document is empty); skipped"
    assert no_items == f"briefing: {web.url('empty-feed.xml')}: 0 entries; read 0", "a feed may be empty"


def test_a_feed_cut_off_part_way_makes_a_degraded_run(web: WebServer, tmp_path: Path) -> None:
    """Entries after the damage are lost: the run says so in its one line and exits 3, build and daily."""
    feed = f"--feed={web.url('truncated-late.xml')}"
    env = {"BRIEFING_DB": str(tmp_path / "db.sqlite3"), "BRIEFING_FROM": "Brief <brief@example.com>"}
    assert runner.invoke(app, ["subscribers", "add", "you@example.com"], env=env).exit_code == 0

    built = runner.invoke(app, ["build", "-q", feed])
    daily = runner.invoke(
        app,
        [
            "daily",
            feed,
            "--editions",
            str(tmp_path / "ed"),
            "--dry-run",
            str(tmp_path / "out"),
            "--min-sources",
            "1",
        ],
        env={**env, "BRIEFING_ALERT_TO": "desk@example.com"},
    )

    line = re.compile(
        rf"briefing: {re.escape(web.url('truncated-late.xml'))}: malformed feed \(unclosed token at line 1, "
        r"column \d+\); read up to the damage: 2 entries; read 2, the rest lost"
    )
    assert built.exit_code == 3, built.output
    assert [bool(line.fullmatch(x)) for x in built.stderr.splitlines()] == [True]
    assert daily.exit_code == 3, daily.output
    assert any(line.fullmatch(x) for x in daily.stderr.splitlines()), daily.stderr
    assert (tmp_path / "out" / "alert.eml").exists(), "a degraded daily run mails its alert"
