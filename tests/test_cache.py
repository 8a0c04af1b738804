"""The extraction cache (SQLite on disk) and concurrent extraction, against the fault server."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import factories
import pytest
from damage import DAMAGE, integrity, malformed_page, unwritable
from factories import write_articles
from fault_server import FaultServer
from servers import serve
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.contracts import Article, Backend
from briefing.errors import FatalProviderError
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.model.backend import ModelBackend
from briefing.extract.model.providers import make_client
from briefing.extract.model.settings import ModelSettings
from briefing.extract.schedule import extract_all
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.store.cache import ExtractionCache, PageCache, cache_key, default_cache_path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "london-talks"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with serve(FaultServer(hang_s=1.0)) as server:
        yield server


def article(n: int) -> Article:
    text = (
        f"ART-{n:03d}: ferry news\n\n"
        f"The Northbay ferry carried {100 + n} passengers on Tuesday after repairs.\n\n"
        f"Repairs cost ${n}.5 million, the port authority said on Wednesday evening."
    )
    return factories.article(text, id=f"a{n:03d}", source=f"outlet-{n}", title=f"Ferry {n}")


def backend(server: FaultServer, **options: Any) -> ModelBackend:
    client = make_client(base_url=server.base_url, api_key="test-key", timeout=5.0)
    settings = ModelSettings(model="fault-model", backoff_initial_s=0.01, backoff_max_s=0.02, **options)
    return ModelBackend(client, settings)


def test_a_rerun_on_unchanged_articles_makes_no_model_call(server: FaultServer, tmp_path: Path) -> None:
    articles = [article(n) for n in range(5)]
    cache = ExtractionCache(tmp_path / "cache.sqlite3")

    first = extract_all(articles, model=backend(server), extractive=ExtractiveBackend(), cache=cache)
    calls = len(server.exchanges)
    cache.close()
    reopened = ExtractionCache(tmp_path / "cache.sqlite3")  # from disk, as a new process would
    again = extract_all(articles, model=backend(server), extractive=ExtractiveBackend(), cache=reopened)

    assert calls == 5 and len(server.exchanges) == 5, "the warm run makes no call"
    assert [r.extraction for r in again] == [r.extraction for r in first]
    assert all(r.meta.cached and r.meta.attempts == 0 and r.meta.backend is Backend.model for r in again)
    assert not any(r.meta.cached for r in first)
    assert reopened.stats().entries == 5


def test_a_new_prompt_or_model_misses_and_a_fallback_is_not_stored(
    server: FaultServer, tmp_path: Path
) -> None:
    cache = ExtractionCache(tmp_path / "cache.sqlite3")
    server.script("ART-001", ["schema", "schema", "schema"])
    extract_all([article(0), article(1)], model=backend(server), extractive=ExtractiveBackend(), cache=cache)
    assert cache.stats().entries == 1, "the article that fell back is asked again next time"

    other_prompt = backend(server)
    other_prompt.prompt_version = "extract.v0-other"
    before = len(server.exchanges)
    extract_all([article(0)], model=other_prompt, extractive=ExtractiveBackend(), cache=cache)
    assert len(server.exchanges) == before + 1

    keys = {
        cache_key(article(0), endpoint="e", model="m", prompt_version="p"),
        cache_key(article(0), endpoint="e", model="m2", prompt_version="p"),
        cache_key(article(0), endpoint="e", model="m", prompt_version="p2"),
        cache_key(article(0), endpoint="e2", model="m", prompt_version="p"),
        cache_key(article(1), endpoint="e", model="m", prompt_version="p"),
    }
    assert len(keys) == 5


def test_the_cache_stores_no_key(server: FaultServer, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = ExtractionCache(path)
    extract_all([article(0)], model=backend(server), extractive=ExtractiveBackend(), cache=cache)
    cache.close()
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert "test-key" not in dump and "Bearer" not in dump


def test_the_cache_location_follows_the_environment(tmp_path: Path) -> None:
    assert default_cache_path({"BRIEFING_CACHE_DIR": str(tmp_path)}) == tmp_path / "extractions.sqlite3"
    assert default_cache_path({}).name == "extractions.sqlite3"


def test_cli_build_uses_the_cache_and_cache_commands_report_and_clear(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    runner = CliRunner()
    args = ["build", str(EXAMPLE), "--base-url", server.base_url, "--model", "fault-model"]

    cold = runner.invoke(app, args)
    warm = runner.invoke(app, args)
    uncached = runner.invoke(app, [*args, "--no-cache"])
    stats = runner.invoke(app, ["cache", "stats"])
    cleared = runner.invoke(app, ["cache", "clear"])
    after = runner.invoke(app, ["cache", "stats"])

    assert cold.exit_code == warm.exit_code == uncached.exit_code == 0
    assert len(server.exchanges) == 8, "4 cold, 0 warm, 4 with --no-cache"
    assert cold.stdout == warm.stdout == uncached.stdout
    assert "0 from cache; 4 model call(s)" in cold.stderr
    assert "4 from cache; 0 model call(s)" in warm.stderr
    assert "4 extraction(s)" in stats.stdout and "fault-model: 4" in stats.stdout
    assert "removed 4 extraction(s)" in cleared.stdout
    assert "0 extraction(s)" in after.stdout


def test_concurrent_extraction_overlaps_calls_and_keeps_input_order(server: FaultServer) -> None:
    server.default_action = "ok:0.3"
    articles = [article(n) for n in range(12)]
    progressed: list[str] = []

    results = extract_all(
        articles,
        model=backend(server),
        extractive=ExtractiveBackend(),
        concurrency=6,
        on_progress=lambda a: progressed.append(a.id),
    )

    assert [r.article.id for r in results] == [a.id for a in articles]
    assert sorted(progressed) == [a.id for a in articles]
    assert all(r.meta.backend is Backend.model for r in results)
    assert server.max_in_flight == 6, "six requests were answered at once, never more"


def test_a_fatal_refusal_under_concurrency_stops_the_run(server: FaultServer) -> None:
    server.default_action = "401"
    server.expected_key = "another-key"

    with pytest.raises(FatalProviderError):
        extract_all(
            [article(n) for n in range(40)],
            model=backend(server),
            extractive=ExtractiveBackend(),
            concurrency=4,
        )

    assert len(server.exchanges) < 40, "articles not yet started are cancelled"


def test_build_with_concurrency_gives_the_same_brief(server: FaultServer, tmp_path: Path) -> None:
    options = BuildOptions(backend=BackendChoice.model, base_url=server.base_url, model="fault-model")
    one = build([str(EXAMPLE)], BuildOptions(**{**options.__dict__, "concurrency": 1, "use_cache": False}))
    many = build([str(EXAMPLE)], BuildOptions(**{**options.__dict__, "concurrency": 4, "use_cache": False}))
    assert one == many


# ---------------------------------------------------------------------------
# a cache file that is damaged or cannot be written never stops a run
# ---------------------------------------------------------------------------


def _cache_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "cache " in line and "from cache" not in line]


@pytest.fixture
def build_args(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return ["build", str(EXAMPLE), "--base-url", server.base_url, "--model", "fault-model"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_is_moved_aside_with_one_line_and_the_build_goes_on(
    damage: str, server: FaultServer, build_args: list[str]
) -> None:
    runner = CliRunner()
    path = default_cache_path()
    clean = runner.invoke(app, build_args)
    assert clean.exit_code == 0 and len(server.exchanges) == 4
    DAMAGE[damage](path)
    damaged = path.read_bytes()

    result = runner.invoke(app, build_args)
    again = runner.invoke(app, build_args)

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.stdout == clean.stdout
    (line,) = _cache_lines(result.stderr)
    aside = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-")]
    assert len(aside) == 1 and re.fullmatch(r"extractions\.sqlite3\.corrupt-\d{8}T\d{6}Z", aside[0].name)
    assert line == f"briefing: cache {path} is damaged ({line.split('(', 1)[1].split(')')[0]}); " + (
        f"moved aside to {aside[0]} and started afresh"
    )
    assert aside[0].read_bytes() == damaged, "the damaged file is kept as it was, for a look"
    assert len(server.exchanges) == 8, "the run asked the model again, and was not stopped"
    assert again.exit_code == 0 and again.stdout == clean.stdout and _cache_lines(again.stderr) == []
    assert len(server.exchanges) == 8, "the new cache file holds this run's answers"
    assert integrity(path) == [("ok",)]


def test_cache_clear_and_stats_survive_a_damaged_file(server: FaultServer, build_args: list[str]) -> None:
    runner = CliRunner()
    path = default_cache_path()
    assert runner.invoke(app, build_args).exit_code == 0
    malformed_page(path)

    cleared = runner.invoke(app, ["cache", "clear"])
    stats = runner.invoke(app, ["cache", "stats"])

    assert cleared.exit_code == 0 and "Traceback" not in cleared.output
    assert cleared.stdout == f"removed 0 extraction(s), 0 web page(s) and 0 embedding(s) from {path}\n"
    (line,) = _cache_lines(cleared.stderr)
    assert "is damaged (" in line and ".corrupt-" in line and "started afresh" in line
    assert stats.exit_code == 0 and "0 extraction(s)" in stats.stdout and stats.stderr == ""


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_cache_means_running_without_it_with_one_line(
    what: str, server: FaultServer, build_args: list[str]
) -> None:
    runner = CliRunner()
    path = default_cache_path()
    clean = runner.invoke(app, build_args)
    runner.invoke(app, ["cache", "clear"])
    before = path.read_bytes()

    with unwritable(path if what == "file" else path.parent):
        result = runner.invoke(app, build_args)
        cleared = runner.invoke(app, ["cache", "clear"])

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and result.stdout == clean.stdout
    (line,) = _cache_lines(result.stderr)
    assert line.startswith(f"briefing: cache {path} cannot be written (")
    assert line.endswith("); running without the cache")
    assert len(server.exchanges) == 8, "every article was extracted by the model, and nothing was lost"
    assert path.read_bytes() == before
    assert cleared.exit_code == 1 and "Traceback" not in cleared.output
    assert _cache_lines(cleared.stderr) == [line], "`cache clear` cannot clear it, and says so"


def test_a_cache_folder_that_cannot_be_made_means_running_without_it(
    server: FaultServer, build_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(blocker / "briefing"))

    result = CliRunner().invoke(app, build_args)
    quiet = CliRunner().invoke(app, [*build_args, "--quiet"])

    line = (
        f"briefing: cache {blocker / 'briefing' / 'extractions.sqlite3'} cannot be written "
        f"({blocker} is a file, not a folder); running without the cache"
    )
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert _cache_lines(result.stderr) == [line]
    assert quiet.exit_code == 0 and quiet.stderr.splitlines() == [line], "--quiet still says it"
    assert len(server.exchanges) == 8


def test_a_file_where_the_cache_folder_should_be_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be\n", encoding="utf-8")
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(blocker))

    result = CliRunner().invoke(app, ["cache", "stats"])

    assert result.stderr.splitlines() == [
        f"briefing: cache {blocker / 'extractions.sqlite3'} cannot be written "
        f"({blocker} is a file, not a folder); running without the cache"
    ]
    assert result.exit_code == 1


# A run whose disk fills up after the cache was opened: the kernel refuses every write
# past a file size limit (RLIMIT_FSIZE), as it would on a full disk, in a process of its own.
_DISK_FULL_RUN = """
import json, resource, signal, sys
from pathlib import Path
from briefing.store.cache import ExtractionCache
from briefing.extract.schedule import extract_all
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.model.backend import ModelBackend
from briefing.extract.model.settings import ModelSettings
from briefing.ingest.read import ingest
from briefing.extract.model.providers import make_client

base_url, cache_path, folder = sys.argv[1:]
articles = ingest([folder]).articles
cache = ExtractionCache(Path(cache_path))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = max(p.stat().st_size for p in Path(cache_path).parent.iterdir()) + 4096
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
client = make_client(base_url=base_url, api_key="test-key", timeout=5.0)
model = ModelBackend(client, ModelSettings(model="fault-model"))
results = extract_all(articles, model=model, extractive=ExtractiveBackend(), cache=cache)
cache.close()
backends = [r.meta.backend for r in results]
claims = [len(r.extraction.claims) for r in results]
print(json.dumps({"backends": backends, "claims": claims, "notes": cache.notes}))
"""


def test_a_cache_write_that_fails_after_open_keeps_the_paid_for_answers(
    server: FaultServer, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, {f"a{n:02d}.txt": article(n).text * 3 for n in range(12)})
    path = tmp_path / "cache" / "extractions.sqlite3"

    run = subprocess.run(
        [sys.executable, "-c", _DISK_FULL_RUN, server.base_url, str(path), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    assert outcome["backends"] == ["model"] * 12 and all(outcome["claims"])
    assert len(server.exchanges) == 12
    (note,) = outcome["notes"]
    assert note.startswith(f"cache {path} cannot be written (") and note.endswith(
        ": a write failed; running without the cache from here on"
    )
    assert integrity(path) == [("ok",)], "the failed write left the file sound"


def test_the_cache_file_is_sound_after_a_build_from_web_pages_and_a_model(
    server: FaultServer, build_args: list[str]
) -> None:
    from web_server import WebServer

    with serve(WebServer()) as web:
        urls = [web.url("coastal-courier.html"), web.url("bay-radio.html")]
        result = CliRunner().invoke(app, [*build_args[:1], *urls, *build_args[2:]])

    assert result.exit_code == 0, result.output
    path = default_cache_path()
    assert integrity(path) == [("ok",)]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM pages").fetchone() == (2,)
        assert db.execute("SELECT COUNT(*) FROM extractions").fetchone() == (2,)


def test_damage_found_halfway_through_a_run_moves_the_file_aside_and_the_run_goes_on(
    server: FaultServer, tmp_path: Path
) -> None:
    path = tmp_path / "cache" / "extractions.sqlite3"
    articles = [article(n) for n in range(6)]
    first = ExtractionCache(path)
    extract_all(articles, model=backend(server), extractive=ExtractiveBackend(), cache=first)
    first.close()
    pages = PageCache(path)  # 12 MB of pages after the extractions: more than SQLite keeps in memory
    for n in range(120):
        body = bytes((n + i) % 251 for i in range(100_000))
        pages.put(f"https://example.org/{n}", "", "text/html", body)
    pages.close()

    cache = ExtractionCache(path)  # sound when opened
    malformed_page(path)  # then damaged on disk while the run holds it open
    results = extract_all(articles, model=backend(server), extractive=ExtractiveBackend(), cache=cache)
    cache.close()

    assert [r.meta.backend for r in results] == [Backend.model] * 6
    assert len(server.exchanges) == 12, "the damaged cache answered nothing; the model was asked again"
    (note,) = cache.notes
    assert note.startswith(f"cache {path} is damaged (a read failed: ")
    assert f"moved aside to {path}.corrupt-" in note and note.endswith(" and started afresh")
    assert integrity(path) == [("ok",)] and ExtractionCache(path).stats().entries == 6
