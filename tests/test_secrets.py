"""The API key never leaves: not in output, the JSON brief, the run report, logs or error lines.

The fault server plays a careless provider: a 400 that echoes the key it was sent, a
401 that echoes part of it. Every log record of every library at DEBUG level is
captured too, since a client that logs its request headers would leak the key there.
(Cassettes are checked in `test_cassettes.py`.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer
from servers import serve
from typer.testing import CliRunner

from briefing.app.cli import app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "london-talks"
KEY = "sk-proj-SECRETsecret0123456789abcdefKEY"
FRAGMENTS = (KEY, KEY[8:24], KEY[-12:])


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with serve(FaultServer(expected_key=KEY, hang_s=1.0)) as server:
        yield server


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return CliRunner()


def assert_no_key(*texts: str) -> None:
    for text in texts:
        for fragment in FRAGMENTS:
            assert fragment not in text


def build(runner: CliRunner, server: FaultServer, out: Path) -> tuple[int, str, str]:
    args = ["build", str(EXAMPLE), "--base-url", server.base_url, "--model", "fault-model"]
    result = runner.invoke(app, [*args, "--format", "json", "--output", str(out), "--timeout", "2"])
    return result.exit_code, result.stdout, result.stderr


def test_a_successful_run_keeps_the_key_out_of_everything(
    runner: CliRunner, server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.default_action = "ok"
    caplog.set_level(logging.DEBUG)

    code, stdout, stderr = build(runner, server, tmp_path / "brief.json")

    assert code == 0, stderr
    assert server.exchanges and all(e.headers["authorization"] == f"Bearer {KEY}" for e in server.exchanges)
    assert_no_key(stdout, stderr, (tmp_path / "brief.json").read_text(encoding="utf-8"), caplog.text)
    assert "report: 4 of 4 inputs used" in stderr


@pytest.mark.parametrize("refusal", ["400", "403", "404", "401"])
def test_a_provider_that_echoes_the_key_in_its_error_does_not_get_it_repeated(
    runner: CliRunner, server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, refusal: str
) -> None:
    server.default_action = refusal
    caplog.set_level(logging.DEBUG)

    code, stdout, stderr = build(runner, server, tmp_path / "brief.json")

    assert code == 1
    assert stderr.count("\n") == 1 and stderr.startswith("briefing: error: ")
    assert f"HTTP {refusal}" in stderr
    if refusal in ("400", "404"):
        assert "for key ***" in stderr, "the server's own message is kept, with the key masked"
    assert_no_key(stdout, stderr, caplog.text)
    assert not (tmp_path / "brief.json").exists()


def test_faults_and_fallbacks_keep_the_key_out_of_the_run_report(
    runner: CliRunner, server: FaultServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name, actions in {
        "Lancaster House in London hosted": ["500", "hang", "drop", "garbage"],
        "A second day of US-China trade talks": ["schema", "ungrounded", "invalid_json"],
    }.items():
        server.script(name, actions)

    code, stdout, stderr = build(runner, server, tmp_path / "brief.json")

    brief = (tmp_path / "brief.json").read_text(encoding="utf-8")
    assert code == 3, stderr
    assert stderr.count("fallback: ") == 2
    assert_no_key(stdout, stderr, brief, caplog.text)
