"""The daily run as cron sees it: killed, pointed at a bad folder or a bad sender, run dry or as a test copy.

Real CLI (CliRunner, or a real subprocess for signals) against a real SMTP server on 127.0.0.1.
"""

# The fixture desk comes from test_daily (imported, hence F811 on its use).
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import typer
from damage import unwritable
from servers import SilentServer, free_port, serve
from test_daily import DAY, EXAMPLE, Desk, desk, header, lines  # noqa: F401

from briefing.app.cli import app
from briefing.deliver.editions import content_id
from briefing.pipeline import BuildOptions, build
from briefing.render.brief import render_json

TEN = [f"p{n:02d}@example.org" for n in range(10)]


def ledger_rows(db: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        rows = (
            connection.execute("SELECT email, status FROM deliveries").fetchall()
            if "deliveries" in tables
            else []
        )
    connection.close()
    return rows


def editions_rows(db: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        rows = connection.execute("SELECT * FROM editions").fetchall() if "editions" in tables else []
    connection.close()
    return rows


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def brief_file(desk: Desk, **changes: object) -> Path:
    brief = build([str(EXAMPLE)], BuildOptions(backend="extractive", date=DAY))  # type: ignore[arg-type]
    data = json.loads(render_json(brief))
    data.update(changes)
    path = desk.root / "brief.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- a killed run says what it did ---------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_daily_cleanly_with_its_lines_written_as_they_happen(
    desk: Desk, signum: signal.Signals
) -> None:
    for address in TEN[2:]:
        assert desk.run("subscribers", "add", address).exit_code == 0
    desk.smtp.inbox.delay_s = 1.0
    env = {**os.environ, **desk.env, "BRIEFING_ALERT_TO": "ops@example.com"}
    command = [sys.executable, "-m", "briefing", "daily", "--date", DAY, "--backend", "extractive"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    said: list[str] = []
    kept = threading.Event()
    seen_at_kept: list[int] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            said.append(line.rstrip("\n"))
            if " kept in " in line and not kept.is_set():
                seen_at_kept.append(len(desk.smtp.inbox.messages))
                kept.set()
        kept.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert kept.wait(60)
    deadline = time.monotonic() + 60
    while len(desk.smtp.inbox.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    process.send_signal(signum)  # as `timeout` does: the command, then its process group
    code = process.wait(60)
    reader.join(10)

    assert seen_at_kept and seen_at_kept[0] < 10, "the report and archive lines came before the sending"
    assert code == 1, said
    assert any(line.startswith("briefing: report: 3 of 3 inputs used") for line in said)
    sent = len([m for m in desk.smtp.inbox.messages if "ops@example.com" not in m.recipients])
    assert 3 <= sent < 10
    stop_line = (
        f"briefing: stopped by {signum.name}: {sent} sent, {10 - sent} still pending; "
        "the next run sends the rest"
    )
    assert stop_line in said, said
    assert "Traceback" not in "\n".join(said)
    (alert,) = desk.received("ops@example.com")
    assert (
        header(alert.raw, b"Subject") == f"briefing daily {DAY}: stopped by {signum.name} (exit 1)".encode()
    )
    assert [row for row in ledger_rows(desk.env["BRIEFING_DB"]) if row[1] not in ("sent", "pending")] == []

    desk.smtp.inbox.delay_s = 0.0
    rest = desk.daily()

    assert rest.exit_code == 0, rest.output
    counts = desk.smtp.inbox.per_recipient()
    assert {a: counts.get(a) for a in ["ana@example.org", "bo@example.org", *TEN[2:]]} == dict.fromkeys(
        ["ana@example.org", "bo@example.org", *TEN[2:]], 1
    )


def test_a_signal_while_building_ends_the_run_at_once_with_nothing_sent(desk: Desk) -> None:
    env = {**os.environ, **desk.env, "OPENAI_API_KEY": "placeholder-key"}
    with serve(SilentServer()) as endpoint:  # accepts the model's connection and never answers
        args = ["daily", "--date", DAY, "--base-url", endpoint.base_url, "--no-cache"]
        process = subprocess.Popen(
            [sys.executable, "-m", "briefing", *args],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not endpoint.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 1, stderr
    assert stderr.splitlines() == ["briefing: stopped by SIGTERM before sending: nothing sent"]
    assert desk.smtp.inbox.messages == [] and not desk.editions.exists()


def test_a_signal_stops_send_the_same_way(desk: Desk) -> None:
    for address in TEN[2:]:
        assert desk.run("subscribers", "add", address).exit_code == 0
    desk.smtp.inbox.delay_s = 1.0
    path = brief_file(desk)
    env = {**os.environ, **desk.env}
    command = [sys.executable, "-m", "briefing", "send", str(path), "--force"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while len(desk.smtp.inbox.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    sent = len(desk.smtp.inbox.messages)
    assert process.returncode == 1, stderr
    assert (
        f"briefing: stopped by SIGTERM: {sent} sent, {10 - sent} still pending; the next run sends the rest"
        in stderr.splitlines()
    ), stderr


# -- a folder that cannot be written ---------------------------------------------------------


def test_an_editions_path_that_is_a_file_is_one_line_and_nothing_is_sent(desk: Desk) -> None:
    afile = desk.root / "afile"
    afile.write_text("not a folder\n", encoding="utf-8")

    result = desk.daily("--editions", str(afile), BRIEFING_ALERT_TO="ops@example.com")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = [line for line in lines(result) if str(afile) in line]
    assert len(last) == 1 and last[0].startswith("briefing: error: ") and "nothing sent" in last[0]
    assert desk.smtp.inbox.per_recipient() == {"ops@example.com": 1}


def test_an_unwritable_brief_in_the_archive_is_one_line_and_nothing_is_sent(desk: Desk) -> None:
    folder = desk.editions / DAY
    folder.mkdir(parents=True)
    (folder / "brief.json").write_text("{}", encoding="utf-8")

    with unwritable(folder / "brief.json"):
        result = desk.daily(BRIEFING_ALERT_TO="ops@example.com")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert lines(result)[-1].startswith(f"briefing: error: {folder / 'brief.json'}: cannot be written")
    assert desk.smtp.inbox.per_recipient() == {"ops@example.com": 1}
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_send_to_a_dry_run_path_that_is_a_file_is_one_line(desk: Desk) -> None:
    afile = desk.root / "afile"
    afile.write_text("not a folder\n", encoding="utf-8")

    result = desk.run("send", str(brief_file(desk)), "--force", "--dry-run", str(afile))

    assert result.exit_code == 1, result.output
    assert len(lines(result)) == 1 and str(afile) in result.stderr and "Traceback" not in result.output
    assert ledger_rows(desk.env["BRIEFING_DB"]) == []


# -- settings and brief checked before any row is touched ---------------------------------


def test_a_bad_sender_touches_no_row_and_the_fixed_run_sends_to_everyone(desk: Desk) -> None:
    bad = "Brief \u2039jos\u00e9@example.com>"
    path = brief_file(desk)

    send = desk.run("send", str(path), "--force", BRIEFING_FROM=bad)
    daily = desk.daily(BRIEFING_FROM=bad)

    for result in (send, daily):
        assert result.exit_code == 1, result.output
        assert "BRIEFING_FROM" in lines(result)[-1] and "Traceback" not in result.output
    assert len(lines(send)) == 1
    assert ledger_rows(desk.env["BRIEFING_DB"]) == [] and desk.smtp.inbox.messages == []
    fixed = desk.daily()
    assert fixed.exit_code == 0, fixed.output
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}


def test_a_brief_whose_date_is_not_a_date_is_refused_before_any_row(desk: Desk) -> None:
    path = brief_file(desk, date=f"{DAY}\r\nBcc: x@example.com")

    result = desk.run("send", str(path), "--force")

    assert result.exit_code == 2, result.output
    assert len(lines(result)) == 1 and "YYYY-MM-DD" in result.stderr and str(path) in result.stderr
    assert ledger_rows(desk.env["BRIEFING_DB"]) == [] and desk.smtp.inbox.messages == []


# -- exit codes, dry runs, test copies ------------------------------------------------------


def test_daily_exits_1_when_every_delivery_failed(desk: Desk) -> None:
    desk.smtp.inbox.script("ana@example.org", ["550"])
    desk.smtp.inbox.script("bo@example.org", ["550"])

    result = desk.daily(BRIEFING_ALERT_TO="ops@example.com")

    assert result.exit_code == 1, result.output
    (alert,) = desk.received("ops@example.com")
    assert header(alert.raw, b"Subject") == f"briefing daily {DAY}: failed (exit 1)".encode()


def test_a_dry_run_correction_leaves_the_archive_and_the_editions_table_alone(desk: Desk) -> None:
    assert desk.daily().exit_code == 0
    before, recorded = tree(desk.editions), editions_rows(desk.env["BRIEFING_DB"])
    desk.use("crescent-times.txt", "harbour-ledger.txt", "mekong-daily.txt", "northgate-wire.txt")
    out = desk.root / "out"

    dry = desk.daily("--dry-run", str(out), "--correction")

    assert dry.exit_code == 0, dry.output
    assert tree(desk.editions) == before and editions_rows(desk.env["BRIEFING_DB"]) == recorded
    assert (out / "editions" / DAY / "correction-1" / "brief.json").exists()
    assert len(list(out.glob("*.eml"))) == 2
    assert desk.smtp.inbox.per_recipient() == {"ana@example.org": 1, "bo@example.org": 1}


def test_a_test_copy_has_its_own_line(desk: Desk) -> None:
    result = desk.run("send", str(brief_file(desk)), "--force", "--to", "editor@example.com")

    assert result.exit_code == 0, result.output
    assert lines(result) == ["briefing: test copy to editor@example.com: sent"]


def test_daily_to_sends_one_test_copy_and_takes_builds_options(desk: Desk) -> None:
    result = desk.daily(
        "--to",
        "editor@example.com",
        "--quiet",
        "--timeout",
        "5",
        "--max-cost",
        "1",
        "--concurrency",
        "2",
        "--rpm",
        "100",
        "--tpm",
        "100000",
        "--mode",
        "json",
        "--no-cache",
        "--max-input-tokens",
        "500",
    )

    bad = desk.daily("--to", "not an address")

    assert result.exit_code == 0, result.output
    assert bad.exit_code == 2 and lines(bad)[-1].startswith("briefing: error: --to: 'not an address'")
    assert desk.smtp.inbox.per_recipient() == {"editor@example.com": 1}
    assert lines(result)[-1] == "briefing: test copy to editor@example.com: sent"
    assert not any(line.startswith("briefing: report: ") for line in lines(result)), "--quiet"
    assert ledger_rows(desk.env["BRIEFING_DB"]) == [] and editions_rows(desk.env["BRIEFING_DB"]) == []
    assert not desk.editions.exists()
    brief = build([str(desk.articles)], BuildOptions(backend="extractive", date=DAY))  # type: ignore[arg-type]
    assert desk.daily().exit_code == 0, "the test copy did not count as the edition"
    assert desk.smtp.inbox.per_recipient() == {
        "editor@example.com": 1,
        "ana@example.org": 1,
        "bo@example.org": 1,
    }
    assert json.loads((desk.editions / DAY / "edition.json").read_text())["content_id"] == content_id(brief)


def test_daily_declares_builds_options_as_build_does() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    build_params = {p.name: p for p in commands["build"].params}
    daily_params = {p.name: p for p in commands["daily"].params}
    shared = [
        "backend",
        "model",
        "base_url",
        "mode",
        "timeout",
        "concurrency",
        "max_cost",
        "no_cache",
        "rpm",
        "tpm",
        "batch",
        "max_input_tokens",
        "quiet",
    ]
    for name in shared:
        built, daily = build_params[name], daily_params[name]
        assert (built.opts, built.help, built.default) == (daily.opts, daily.help, daily.default), name
    assert daily_params["to"].help == {p.name: p for p in commands["send"].params}["to"].help


def test_a_quiet_daily_still_says_its_embeddings_endpoint_is_dead(desk: Desk) -> None:
    port = free_port()
    dead = f"http://127.0.0.1:{port}/v1"
    result = desk.daily("-q", "--base-url", dead, "--embeddings-model", "e")
    said = [line for line in result.stderr.splitlines() if "embeddings" in line]
    assert len(said) == 1 and f"127.0.0.1:{port} could not be reached" in said[0], result.stderr
    assert len(desk.received("ana@example.org")) == 1  # grouped with the bundled model, and sent
