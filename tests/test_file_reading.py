"""Every file a command reads from a path it was given: a brief, a subscribers CSV, a config file.

Like the articles, each is read only if it is a regular file under its size cap, so a
named pipe cannot hang the command and /dev/zero cannot fill the memory: one line, and
the command's usage-error exit. Each case runs the real command in a child process with
a timeout and a memory limit (see `test_input_limits`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from factories import write_articles
from test_input_limits import offline_env, run_limited, watched_fifo
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.ingest.files import size_text

STORY = (
    "Ferry Talks Resume in Northbay\n\n"
    "The ferry returned to service on Tuesday after repairs costing four million crowns.\n"
)

# Each command with FILE where the file it reads goes; exit 2 is each one's usage error.
COMMANDS = {
    "send": ["send", "FILE", "--force", "--dry-run", "OUT", "--db", "DB"],
    "verify": ["verify", "FILE", "ARTICLE"],
    "subscribers-import": ["subscribers", "import", "FILE", "--db", "DB"],
    "daily-config": ["daily", "--config", "FILE", "--articles", "FOLDER", "--dry-run", "OUT", "--db", "DB"],
    "build-config": ["build", "--config", "FILE", "ARTICLE"],
}


def run(name: str, file: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    (article,) = write_articles(tmp_path / "in", {"story.txt": STORY})
    places = {
        "FILE": file,
        "ARTICLE": str(article),
        "FOLDER": str(article.parent),
        "OUT": str(tmp_path / "out"),
        "DB": str(tmp_path / "subscribers.sqlite3"),
    }
    command = [sys.executable, "-m", "briefing", *(places.get(arg, arg) for arg in COMMANDS[name])]
    return run_limited(command, env=offline_env())


def prefix(name: str) -> str:
    return "config " if name.endswith("-config") else ""


@pytest.mark.parametrize("name", COMMANDS)
def test_a_device_is_refused_unopened_with_one_line(name: str, tmp_path: Path) -> None:
    proc = run(name, "/dev/zero", tmp_path)

    assert proc.stderr.splitlines() == [
        f"briefing: error: {prefix(name)}/dev/zero: not a regular file (a character device), left unopened"
    ]
    assert proc.returncode == 2


@pytest.mark.parametrize("name", COMMANDS)
def test_a_named_pipe_is_refused_unopened_and_does_not_hang(name: str, tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    with watched_fifo(pipe) as opened:
        proc = run(name, str(pipe), tmp_path)
        assert not opened.is_set(), "the pipe was opened"

    assert proc.stderr.splitlines() == [
        f"briefing: error: {prefix(name)}{pipe}: not a regular file (a named pipe), left unopened"
    ]
    assert proc.returncode == 2


@pytest.mark.parametrize("name", COMMANDS)
def test_a_file_over_its_size_cap_is_refused_unread(name: str, tmp_path: Path) -> None:
    huge = tmp_path / "huge"
    with huge.open("wb") as handle:  # sparse: 3 GB on paper, nothing on the disk
        handle.truncate(3_000_000_000)

    proc = run(name, str(huge), tmp_path)

    [line] = proc.stderr.splitlines()
    assert line.startswith(f"briefing: error: {prefix(name)}{huge}: file is 3 GB, over the "), line
    assert line.endswith(" MB limit")
    assert proc.returncode == 2


def test_sizes_are_written_for_a_person() -> None:
    assert [size_text(n) for n in (999, 999_999, 5_000_000, 52_428_800, 3_000_000_000)] == [
        "999 bytes",
        "999,999 bytes",
        "5 MB",
        "52.4 MB",
        "3 GB",
    ]


# ---------------------------------------------------------------------------
# the subscribers database: only add and import create it
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["list"], ["list", "--all"], ["remove", "you@example.com"], ["remove", "--token", "abc"]],
    ids=["list", "list-all", "remove", "remove-token"],
)
def test_listing_or_removing_never_creates_a_missing_database(args: list[str], tmp_path: Path) -> None:
    typo = tmp_path / "typo.sqlite3"

    result = CliRunner().invoke(app, ["subscribers", *args], env={"BRIEFING_DB": str(typo)})

    assert result.output.splitlines() == [
        f"briefing: error: subscribers database {typo} does not exist (check --db or BRIEFING_DB); "
        "`briefing subscribers add` creates it"
    ]
    assert result.exit_code == 1
    assert not typo.exists()


def test_listing_and_removing_work_on_the_database_add_created(tmp_path: Path) -> None:
    db = tmp_path / "subscribers.sqlite3"
    runner = CliRunner()
    assert runner.invoke(app, ["subscribers", "add", "you@example.com", "--db", str(db)]).exit_code == 0

    removed = runner.invoke(app, ["subscribers", "remove", "you@example.com", "--db", str(db)])
    listed = runner.invoke(app, ["subscribers", "list", "--all", "--db", str(db)])

    assert (removed.exit_code, removed.output) == (0, "unsubscribed you@example.com\n")
    assert (listed.exit_code, listed.output) == (0, "you@example.com\tunsubscribed\t\n")
