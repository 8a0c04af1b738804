"""The extraction cache (SQLite on disk) and concurrent extraction, against the fault server."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer
from typer.testing import CliRunner

from briefing.cache import ExtractionCache, cache_key, default_cache_path
from briefing.cli import app
from briefing.errors import FatalProviderError, UserError
from briefing.extract import extract_all
from briefing.extract.extractive import ExtractiveBackend
from briefing.extract.model import ModelBackend
from briefing.models import Article, Backend
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.providers import make_client

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "london-talks"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    server = FaultServer(hang_s=1.0).start()
    yield server
    server.stop()


def article(n: int) -> Article:
    text = (
        f"ART-{n:03d}: ferry news\n\n"
        f"The Northbay ferry carried {100 + n} passengers on Tuesday after repairs.\n\n"
        f"Repairs cost ${n}.5 million, the port authority said on Wednesday evening."
    )
    return Article(id=f"a{n:03d}", source=f"outlet-{n}", title=f"Ferry {n}", text=text)


def backend(server: FaultServer, **options: object) -> ModelBackend:
    client = make_client(base_url=server.base_url, api_key="test-key", timeout=5.0)
    return ModelBackend(client, "fault-model", backoff_initial_s=0.01, backoff_max_s=0.02, **options)  # type: ignore[arg-type]


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


def test_the_cache_stores_no_key_and_a_broken_file_is_one_clear_error(
    server: FaultServer, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = ExtractionCache(path)
    extract_all([article(0)], model=backend(server), extractive=ExtractiveBackend(), cache=cache)
    cache.close()
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert "test-key" not in dump and "Bearer" not in dump

    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database at all, just bytes" * 100)
    with pytest.raises(UserError, match=r"broken\.sqlite3: cannot be used"):
        ExtractionCache(broken)


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
