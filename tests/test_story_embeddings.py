"""Story grouping with an endpoint's /v1/embeddings: called once, cached, and never worth a lost run.

Every test talks over real HTTP to the fault-injecting server on 127.0.0.1, whose
`/v1/embeddings` answers deterministic vectors or the fault it is told to.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer
from servers import free_port
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.extract.model.providers import display_host, make_client
from briefing.pipeline import gather
from briefing.settings import load_settings
from briefing.store.embeddings import EmbeddingCache
from briefing.stories import group_stories
from briefing.stories.embeddings import ENDPOINT_ATTEMPTS, EndpointEmbedder

DAY = Path(__file__).parent / "eval" / "days" / "2025-06-12" / "articles"
KEY = "sk-test-embeddings-0123456789"
runner = CliRunner()


def embedding_calls(server: FaultServer) -> int:
    return sum(1 for e in server.exchanges if e.path.rstrip("/") == "/v1/embeddings")


def stories(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, list[str]]:
    result = runner.invoke(app, ["stories", *args, str(DAY)], env=env)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if "syndicated copy" not in line]
    return result.exit_code, result.stdout, lines


@pytest.fixture
def keyed_server() -> Iterator[FaultServer]:
    server = FaultServer(expected_key=KEY).start()
    yield server
    server.stop()


def test_leads_are_embedded_by_the_endpoint_once_then_read_from_the_cache(
    keyed_server: FaultServer, tmp_path: Path
) -> None:
    env = {"OPENAI_API_KEY": KEY, "BRIEFING_CACHE_DIR": str(tmp_path)}
    flags = ["--embeddings-model", "fault-embed", "--base-url", keyed_server.base_url]
    code, first, lines = stories(*flags, env=env)
    assert code == 0 and lines == []
    calls = embedding_calls(keyed_server)
    assert calls >= 1
    asked = [text for e in keyed_server.exchanges for text in e.body.get("input", [])]
    assert len(asked) == len(set(asked)) > 1, "each lead is asked for once"
    assert all(e.body["model"] == "fault-embed" for e in keyed_server.exchanges)

    code, second, lines = stories(*flags, env=env)
    assert code == 0 and lines == []
    assert embedding_calls(keyed_server) == calls, "a re-run makes no call"
    assert second == first

    cache = tmp_path / "extractions.sqlite3"
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == len(asked)
    for path in tmp_path.iterdir():
        assert KEY.encode() not in path.read_bytes(), f"the key is in {path.name}"
    assert KEY not in first

    stats = runner.invoke(app, ["cache", "stats"], env=env)
    assert f"{len(asked)} embedding(s)" in stats.stdout
    cleared = runner.invoke(app, ["cache", "clear"], env=env)
    assert cleared.exit_code == 0 and f"and {len(asked)} embedding(s)" in cleared.stdout
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0
    stories(*flags, env=env)
    assert embedding_calls(keyed_server) == 2 * calls, "after clearing, the leads are asked for again"


def test_with_no_embeddings_model_the_endpoint_is_not_asked(fault_server: FaultServer) -> None:
    code, _out, _lines = stories("--base-url", fault_server.base_url)
    assert code == 0
    assert embedding_calls(fault_server) == 0


def test_a_dead_endpoint_is_one_line_and_the_bundled_model_groups() -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    _code, bundled, _lines = stories()
    code, out, lines = stories("--embeddings-model", "fault-embed", "--base-url", dead)
    assert code == 0
    assert lines == [
        f"briefing: embeddings: 127.0.0.1:{dead.split(':')[2].split('/')[0]} could not be reached "
        "(model 'fault-embed'); stories grouped with the bundled model"
    ]
    assert out == bundled


@pytest.mark.parametrize("fault", ["500", "429:0", "garbage", "drop", "ungrounded"])
def test_a_failing_endpoint_is_tried_a_bounded_number_of_times_then_falls_back(fault: str) -> None:
    server = FaultServer(default_action=fault, expected_key=KEY).start()
    try:
        _code, bundled, _lines = stories()
        env = {"OPENAI_API_KEY": KEY}
        code, out, lines = stories("--embeddings-model", "m", "--base-url", server.base_url, env=env)
        assert embedding_calls(server) == ENDPOINT_ATTEMPTS
    finally:
        server.stop()
    assert code == 0
    assert len(lines) == 1 and lines[0].startswith("briefing: embeddings: 127.0.0.1:")
    assert lines[0].endswith("(model 'm'); stories grouped with the bundled model")
    assert out == bundled


def test_a_hanging_endpoint_costs_its_timeout_per_attempt_then_falls_back() -> None:
    server = FaultServer(default_action="hang", hang_s=5.0).start()
    try:
        code, _out, lines = stories(
            "--embeddings-model", "m", "--base-url", server.base_url, "--timeout", "1"
        )
        assert embedding_calls(server) == ENDPOINT_ATTEMPTS
    finally:
        server.stop()
    assert code == 0
    assert [line.split(" (model")[0].split(" ", 3)[-1] for line in lines] == ["did not answer in time"]


def test_a_refusal_is_not_retried_and_the_key_it_echoes_is_never_shown(tmp_path: Path) -> None:
    server = FaultServer(default_action="403").start()
    log = tmp_path / "stderr.txt"
    try:
        env = {"OPENAI_API_KEY": KEY, "BRIEFING_CACHE_DIR": str(tmp_path / "cache")}
        code, out, lines = stories("--embeddings-model", "m", "--base-url", server.base_url, env=env)
        assert embedding_calls(server) == 1
    finally:
        server.stop()
    log.write_text("\n".join(lines), encoding="utf-8")
    assert code == 0
    assert len(lines) == 1 and "answered HTTP 403" in lines[0]
    assert KEY not in out and KEY not in log.read_text(encoding="utf-8")
    for path in (tmp_path / "cache").iterdir():
        assert KEY.encode() not in path.read_bytes()


def test_build_says_it_once_and_gives_the_same_edition_when_the_endpoint_is_dead() -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    plain = runner.invoke(app, ["build", "--backend", "extractive", str(DAY)])
    given = runner.invoke(
        app, ["build", "--backend", "extractive", "--base-url", dead, "--embeddings-model", "e", str(DAY)]
    )
    assert given.exit_code == plain.exit_code == 0
    assert given.stdout == plain.stdout
    said = [line for line in given.stderr.splitlines() if "embeddings" in line]
    assert len(said) == 1 and "could not be reached" in said[0]


def test_no_endpoint_means_the_bundled_model_and_one_line() -> None:
    env = {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    _code, bundled, _lines = stories(env=env)
    code, out, lines = stories("--embeddings-model", "e", env=env)
    assert code == 0 and out == bundled
    assert len(lines) == 1 and lines[0].startswith("briefing: embeddings: no model endpoint for 'e'")


def test_the_embedder_falls_back_for_every_article_so_vectors_never_mix(tmp_path: Path) -> None:
    articles = gather([str(DAY)]).articles
    server = FaultServer().start()
    try:
        cache = EmbeddingCache(tmp_path / "cache.sqlite3")
        client = make_client(base_url=server.base_url, api_key=None, timeout=5)
        embedder = EndpointEmbedder(client, "m", host="127.0.0.1", cache=cache, batch_size=4)
        server.script("Ahmedabad", ["500", "500"])  # a batch after the first fails: none of it is used
        grouped = group_stories(articles, embedder=embedder)
        cache.close()
    finally:
        server.stop()
    assert embedder.failure is not None and "answered HTTP 500" in embedder.failure
    assert [s.model_dump() for s in grouped] == [s.model_dump() for s in group_stories(articles)]


def test_the_endpoints_vectors_group_the_day_the_same_way_in_any_order(fault_server: FaultServer) -> None:
    articles = gather([str(DAY)]).articles
    client = make_client(base_url=fault_server.base_url, api_key=None, timeout=5)
    first = group_stories(articles, embedder=EndpointEmbedder(client, "m", host="h"))
    again = group_stories(list(reversed(articles)), embedder=EndpointEmbedder(client, "m", host="h"))
    assert [s.model_dump() for s in first] == [s.model_dump() for s in again]
    assert embedding_calls(fault_server) >= 2


def test_the_option_comes_from_the_flag_then_the_environment_then_the_file(tmp_path: Path) -> None:
    config = tmp_path / "briefing.toml"
    config.write_text('embeddings_model = "from-file"\n', encoding="utf-8")
    env = {"BRIEFING_EMBEDDINGS_MODEL": "from-env"}
    assert load_settings(config, {}, {}).build_options().embeddings_model == "from-file"
    assert load_settings(config, {}, env).build_options().embeddings_model == "from-env"
    flags = {"embeddings_model": "from-flag"}
    assert load_settings(config, flags, env).build_options().embeddings_model == "from-flag"
    assert load_settings(None, {}, {}).build_options().embeddings_model is None
    for command in ("build", "stories", "daily"):
        assert "--embeddings-model" in runner.invoke(app, [command, "--help"]).stdout


# ---------------------------------------------------------------------------
# a real server's answer, recorded (scripts/record_cassettes.sh)
# ---------------------------------------------------------------------------

EMBEDDINGS_RECORDING = Path(__file__).resolve().parent.parent / "cassettes" / "recording-embeddings.json"


@pytest.fixture
def embeddings_target(record_mode: str) -> tuple[str, str]:
    """(base URL, model) the embeddings cassette was recorded against, or is being recorded against."""
    if record_mode == "none":
        stored = json.loads(EMBEDDINGS_RECORDING.read_text(encoding="utf-8"))
        return stored["base_url"], stored["model"]
    base_url = os.environ["BRIEFING_TEST_EMBEDDINGS_BASE_URL"]
    model = os.environ.get("BRIEFING_TEST_EMBEDDINGS_MODEL", "smollm2-embed")
    EMBEDDINGS_RECORDING.write_text(json.dumps({"base_url": base_url, "model": model}, indent=2) + "\n")
    return base_url, model


@pytest.mark.vcr
def test_a_real_llama_servers_per_token_vectors_become_one_vector_per_lead(
    embeddings_target: tuple[str, str],
) -> None:
    """llama.cpp's server answers a vector per token for a chat model; each lead still gets one."""
    base_url, model = embeddings_target
    client = make_client(base_url=base_url, api_key="placeholder-key", timeout=600.0)
    embedder = EndpointEmbedder(client, model, host=display_host(client.base_url))
    leads = ["Black box found in Ahmedabad", "Ferry returns to service"]

    vectors = embedder.embed(leads)

    assert embedder.calls == 1 and embedder.failure is None
    assert vectors.shape[0] == 2 and vectors.shape[1] > 1
    assert [round(float((v * v).sum()), 4) for v in vectors] == [1.0, 1.0]
    assert not (vectors[0] == vectors[1]).all()
