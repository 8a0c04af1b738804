"""Inputs that could hang a run, exhaust its memory or reach outside where the user pointed.

Each risky case runs the real command in a child process with a timeout (a hang fails
the test instead of stalling the suite) and an address-space limit (reading without
end fails fast with MemoryError instead of eating the machine's memory).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from briefing.ingest import article_from_text, ingest

STORY = (
    "Ferry Talks Resume in Northbay\n\n"
    "The ferry returned to service on Tuesday after repairs costing four million crowns.\n\n"
    "Officials said a second boat would join the route in July.\n"
)
SECRET = "Private Notes From the Office\n\nThe combination of the safe is on the back of the door.\n"
MEMORY_LIMIT = 1_500_000_000
HANG = 60  # seconds: far above what any case here takes now, far below what they took before


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_build(
    *args: str, stdin: bytes | Path | None = None, timeout: float = HANG
) -> subprocess.CompletedProcess[str]:
    """`briefing build ARGS` in a child process, offline (no model endpoint configured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFING_"))}
    command = [sys.executable, "-m", "briefing", "build", *args]
    if isinstance(stdin, Path):
        with stdin.open("rb") as handle:
            return subprocess.run(
                command,
                stdin=handle,
                capture_output=True,
                text=True,
                env=env,
                timeout=timeout,
                preexec_fn=limit_memory,
                check=False,
            )
    return subprocess.run(
        command,
        input=stdin.decode() if stdin is not None else None,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        preexec_fn=limit_memory,
        check=False,
    )


def problem_lines(stderr: str) -> list[str]:
    return [
        line.removeprefix("briefing: ")
        for line in stderr.splitlines()
        if not line.startswith("briefing: report")
    ]


@contextmanager
def watched_fifo(path: Path) -> Iterator[threading.Event]:
    """A named pipe at `path` with a writer waiting on it: the event is set if anything opens it to read."""
    os.mkfifo(path)
    opened = threading.Event()

    def writer() -> None:
        with path.open("wb"):  # blocks until a reader opens the pipe
            opened.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield opened
    finally:
        if not opened.is_set():  # release the writer
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        thread.join(timeout=10)


# ---------------------------------------------------------------------------
# special files, stdin
# ---------------------------------------------------------------------------


def test_a_named_pipe_given_as_a_path_is_refused_unopened_and_the_run_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(STORY, encoding="utf-8")
    pipe = tmp_path / "pipe.txt"

    with watched_fifo(pipe) as opened:
        proc = run_build(str(pipe), str(good))
        assert not opened.is_set(), "the pipe was opened"

    assert problem_lines(proc.stderr) == [
        f"{pipe}: not a regular file (a named pipe), left unopened; skipped"
    ]
    assert proc.returncode == 3, proc.stderr
    assert "second boat" in proc.stdout


def test_a_named_pipe_with_nobody_writing_does_not_hang_the_run(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(STORY, encoding="utf-8")
    pipe = tmp_path / "pipe.md"
    os.mkfifo(pipe)

    proc = run_build(str(pipe), str(good))

    assert f"{pipe}: not a regular file (a named pipe), left unopened; skipped" in proc.stderr
    assert proc.returncode == 3


def test_a_device_is_refused_unopened(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(STORY, encoding="utf-8")

    proc = run_build("/dev/zero", str(good))

    assert problem_lines(proc.stderr) == [
        "/dev/zero: not a regular file (a character device), left unopened; skipped"
    ]
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr


def test_stdin_over_the_size_limit_is_refused_with_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(STORY, encoding="utf-8")
    big = (STORY * (6_000_000 // len(STORY) + 1)).encode()

    proc = run_build("-", str(good), stdin=big)

    assert problem_lines(proc.stderr) == ["-: standard input is over the 5 MB limit; skipped"]
    assert proc.returncode == 3, proc.stderr
    assert "second boat" in proc.stdout


def test_endless_stdin_is_read_only_to_the_limit(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(STORY, encoding="utf-8")

    proc = run_build("-", str(good), stdin=Path("/dev/zero"))

    assert problem_lines(proc.stderr) == ["-: standard input is over the 5 MB limit; skipped"]
    assert proc.returncode == 3, proc.stderr


def test_stdin_given_as_bytes_has_the_same_limit() -> None:
    over = ingest(["-"], stdin=b" " * 4_999_999 + STORY.encode())
    assert over.articles == []
    assert [p.line() for p in over.problems] == ["-: standard input is over the 5 MB limit; skipped"]

    at_limit = ingest(["-"], stdin=STORY.encode().ljust(5_000_000))
    assert len(at_limit.articles) == 1 and at_limit.problems == []


# ---------------------------------------------------------------------------
# folders: symlinks, pipes
# ---------------------------------------------------------------------------


def test_nothing_in_a_folder_reaches_outside_it_and_every_unread_entry_gets_a_line(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "other.txt").write_text(SECRET.replace("safe", "vault"), encoding="utf-8")
    inbox = tmp_path / "in"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "good.txt").write_text(STORY, encoding="utf-8")
    (inbox / "alias.txt").symlink_to(inbox / "sub" / "good.txt")
    (inbox / "notes.txt").symlink_to("../secret.txt")
    (inbox / "passwd.txt").symlink_to("/etc/passwd")
    (inbox / "elsewhere").symlink_to(elsewhere)
    (inbox / "again").symlink_to("sub")
    (inbox / "gone.txt").symlink_to("missing.txt")

    with watched_fifo(inbox / "pipe.txt") as opened:
        result = ingest([str(inbox)])
        assert not opened.is_set(), "the pipe was opened"

    assert [a.path for a in result.articles] == [str(inbox / "alias.txt")]
    assert "safe" not in result.articles[0].text
    assert [p.line() for p in result.problems] == [
        f"{inbox / 'again'}: symlink to a folder inside the folder ({inbox / 'sub'}),"
        " whose files are read there; not followed",
        f"{inbox / 'elsewhere'}: symlink to a folder outside the folder ({elsewhere}), not followed; skipped",
        f"{inbox / 'gone.txt'}: broken symlink (to missing.txt); skipped",
        f"{inbox / 'notes.txt'}: symlink to a file outside the folder ({secret}), not followed; skipped",
        f"{inbox / 'passwd.txt'}: symlink to a file outside the folder (/etc/passwd), not followed; skipped",
        f"{inbox / 'pipe.txt'}: not a regular file (a named pipe), left unopened; skipped",
        f"{inbox / 'sub' / 'good.txt'}: the same file as {inbox / 'alias.txt'}; read once",
    ]


def test_a_folder_of_only_a_pipe_and_a_link_out_says_so_and_exits_3(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(STORY, encoding="utf-8")
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "passwd.txt").symlink_to("/etc/passwd")
    os.mkfifo(inbox / "pipe.txt")

    proc = run_build(str(inbox), str(good))

    assert problem_lines(proc.stderr) == [
        f"{inbox / 'passwd.txt'}: symlink to a file outside the folder (/etc/passwd), not followed; skipped",
        f"{inbox / 'pipe.txt'}: not a regular file (a named pipe), left unopened; skipped",
        f"{inbox}: folder has no article files; skipped",
    ]
    assert proc.returncode == 3
    assert "root:" not in proc.stdout


def test_a_symlink_named_on_the_command_line_is_followed(tmp_path: Path) -> None:
    """The user pointed at it, so it is read wherever it leads (only a folder's contents are fenced in)."""
    secret = tmp_path / "elsewhere" / "notes.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    link = tmp_path / "in" / "notes.txt"
    link.parent.mkdir()
    link.symlink_to(secret)

    result = ingest([str(link), str(secret)])

    assert [a.path for a in result.articles] == [str(link)]
    assert "safe" in result.articles[0].text
    assert [p.line() for p in result.problems] == [f"{secret}: the same file as {link}; read once"]


def test_a_broken_symlink_named_on_the_command_line_says_so(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "missing.txt")
    result = ingest([str(link)])
    assert [p.line() for p in result.problems] == [
        f"{link}: broken symlink (to {tmp_path / 'missing.txt'}); skipped"
    ]


# ---------------------------------------------------------------------------
# NUL characters
# ---------------------------------------------------------------------------


def test_nul_characters_are_stripped_from_text(tmp_path: Path) -> None:
    filler = "".join(f"Paragraph {i} says the ferry crossed the bay on time today.\n\n" for i in range(200))
    path = tmp_path / "nul.txt"
    path.write_bytes((STORY + "\n" + filler + "The har\x00bour reopened on Friday.\x00\n").encode())

    result = ingest([str(path)])

    text = result.articles[0].text
    assert "\x00" not in text
    assert "The harbour reopened on Friday." in text
    assert "removed 2 NUL character(s)" in result.articles[0].notes


def test_nul_characters_are_stripped_from_html() -> None:
    html = (
        "<html><body><h1>Bridge Re\x00opens</h1>"
        "<p>The bridge reopened on Fri\x00day after repairs.</p></body></html>"
    )
    article = article_from_text(html, label="page.html")
    assert article is not None
    assert article.paragraphs == ["Bridge Reopens", "The bridge reopened on Friday after repairs."]


def test_nul_bytes_at_the_start_still_mean_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(b"\x00\x01\x02" + STORY.encode())
    assert [p.reason for p in ingest([str(path)]).problems] == ["binary file (contains NUL bytes)"]
