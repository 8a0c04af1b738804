"""Inputs that could hang a run, exhaust its memory or reach outside where the user pointed.

Each risky case runs the real command in a child process with a timeout (a hang fails
the test instead of stalling the suite) and an address-space limit (reading without
end fails fast with MemoryError instead of eating the machine's memory).
"""

from __future__ import annotations

import importlib
import os
import re
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.ingest.article import article_from_text
from briefing.ingest.read import ingest
from briefing.text import comparable

# `briefing.ingest` is also the name of a function `briefing` exports, so these modules are
# imported by their full names.
CLEAN = importlib.import_module("briefing.ingest.clean")
HTML = importlib.import_module("briefing.ingest.html")
TEXT = importlib.import_module("briefing.text")

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


def run_limited(
    command: list[str],
    *,
    input: str | None = None,
    stdin: object = subprocess.DEVNULL,
    env: dict[str, str] | None = None,
    timeout: float = HANG,
) -> subprocess.CompletedProcess[str]:
    """`command` in a child process under MEMORY_LIMIT and `timeout`: a case that hangs or blows up
    fails, instead of stalling the suite or the machine."""
    return subprocess.run(
        command,
        input=input,
        stdin=None if input is not None else stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        preexec_fn=limit_memory,
        check=False,
    )


def offline_env() -> dict[str, str]:
    """The environment without model or briefing settings: the offline default."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFING_"))}


def run_build(
    *args: str, stdin: bytes | Path | None = None, timeout: float = HANG
) -> subprocess.CompletedProcess[str]:
    """`briefing build ARGS` in a child process, offline (no model endpoint configured)."""
    command = [sys.executable, "-m", "briefing", "build", *args]
    if isinstance(stdin, Path):
        with stdin.open("rb") as handle:
            return run_limited(command, stdin=handle, env=offline_env(), timeout=timeout)
    text = stdin.decode() if stdin is not None else None
    return run_limited(command, input=text, env=offline_env(), timeout=timeout)


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


def test_a_stray_nul_near_the_start_is_stripped_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    path = tmp_path / "nul.txt"
    path.write_bytes(STORY.replace("July", "Ju\x00ly").encode())

    result = ingest([str(path)])
    proc = run_build("-", stdin=STORY.replace("Tuesday", "Tues\x00day").encode())

    assert result.problems == []
    assert "a second boat would join the route in July." in result.articles[0].text
    assert "removed 1 NUL character(s)" in result.articles[0].notes
    assert (proc.returncode, problem_lines(proc.stderr)) == (0, []), proc.stderr
    assert "returned to service on Tuesday" in proc.stdout


def test_a_short_text_with_a_nul_is_text() -> None:
    result = ingest(["-"], stdin=b"Ferry Talks Resume\n\nThe ferry\x00 ran on Tuesday after repairs.")
    assert result.problems == []
    assert result.articles[0].paragraphs == ["Ferry Talks Resume", "The ferry ran on Tuesday after repairs."]


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x03\x00>\x00" + STORY.encode(),  # a program's header
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + STORY.encode(),  # a zip archive's
        b"\x00" * 100 + STORY.encode(),  # a run of NULs: over a tenth of the head
        STORY.encode("utf-16-le"),  # UTF-16 without a byte-order mark cannot be told from binary
    ],
    ids=["elf", "zip", "nul-run", "utf-16-no-mark"],
)
def test_binary_data_with_nul_bytes_is_still_skipped(data: bytes) -> None:
    result = ingest(["-"], stdin=data)
    assert [p.line() for p in result.problems] == ["-: binary file (contains NUL bytes); skipped"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_read(encoding: str) -> None:
    data = ("\ufeff" + STORY).encode(encoding) if encoding.endswith("-be") else STORY.encode(encoding)
    result = ingest(["-"], stdin=data)
    assert result.problems == []
    assert result.articles[0].title == "Ferry Talks Resume in Northbay"


def test_a_nul_in_text_that_is_not_utf8_is_stripped_too() -> None:
    data = STORY.replace("crowns", "kronor for Malmö\x00").encode("cp1252")
    result = ingest(["-"], stdin=data)
    assert [p.line() for p in result.problems] == ["-: not UTF-8; decoded as cp1252; used"]
    assert "four million kronor for Malmö." in result.articles[0].text


# ---------------------------------------------------------------------------
# text cleaning in linear time: the same answers as before, without the quadratic cost
# ---------------------------------------------------------------------------

_CHILD = (
    "import sys\n"
    "from briefing.ingest.article import article_from_text\n"
    "from briefing.text import split_sentences\n"
    "text = sys.stdin.read()\n"
    "split_sentences(text) if sys.argv[1] == 'sentences' else article_from_text(text, label='x.txt')\n"
)


def _distinct_paragraphs() -> str:
    return "\n\n".join(
        f"Officials said that crossing number {i} of the northern route ran on time." for i in range(40_000)
    )


def _continued_lines() -> str:
    return "Ferry Talks Run Long\n\nThe ministers met in Oslo\n" + "".join(
        f"and talked about item {i} of the list\n" for i in range(20_000)
    )


@pytest.mark.parametrize(
    ("what", "make"),
    [
        ("article", _distinct_paragraphs),  # repeated-paragraph check: each against all before (minutes)
        ("article", _continued_lines),  # re-joined lines: the whole paragraph re-read per line (minutes)
        ("article", lambda: "Head line here\n\n" + "[" * 300_000),  # Markdown links: a rescan per `[`
        ("article", lambda: "Head line here\n\n" + "<!--" * 75_000),  # comments: a rescan per `<!--`
        ("sentences", lambda: "It is. " * 700_000),  # the rest of the block copied per sentence
    ],
    ids=["distinct-paragraphs", "continued-lines", "brackets", "open-comments", "short-sentences"],
)
def test_long_or_odd_text_is_cleaned_in_bounded_time(what: str, make: object) -> None:
    assert callable(make)
    text = make()
    proc = run_limited([sys.executable, "-c", _CHILD, what], input=text)
    assert proc.returncode == 0, proc.stderr


def _old_drop_repeats(paragraphs: list[str]) -> tuple[list[str], int]:
    """The definition: each paragraph against every kept one before it."""
    kept: list[str] = []
    keys: list[str] = []
    for paragraph in paragraphs:
        key = comparable(paragraph)
        if any(key == k or (len(key) >= 40 and k.startswith(key)) for k in keys):
            continue
        kept.append(paragraph)
        keys.append(key)
    return kept, len(paragraphs) - len(kept)


# Pieces whose joins make equal, prefix and near-prefix paragraphs likely, around the 40-character line.
_PIECES = [
    "The ferry ",
    "THE FERRY ",
    "crossed the bay ",
    "on time",
    "’s",
    " late",
    "Ä",
    "“",
    "\u00a0",
    "a" * 30,
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join), max_size=30))
def test_repeated_paragraphs_are_dropped_exactly_as_defined(paragraphs: list[str]) -> None:
    assert CLEAN._drop_repeats(paragraphs) == _old_drop_repeats(paragraphs)


def test_repeated_paragraphs_in_a_long_article_are_dropped_as_defined() -> None:
    paragraphs = [
        f"Officials said crossing {i % 700} of the northern route ran on time and carried {i % 13} cars."[
            : 30 + (i * 7919) % 70
        ]
        for i in range(3_000)
    ]
    assert CLEAN._drop_repeats(paragraphs) == _old_drop_repeats(paragraphs)


def _old_paragraphs(text: str) -> list[str]:
    """The definition of re-joining lines, with the title test re-run on the whole paragraph per line."""

    def title_like(line: str) -> bool:
        words = [w for w in line.split() if w[:1].isalpha()]
        if not words:
            return True
        capitals = sum(w[:1].isupper() for w in words)
        return len(words) <= 3 or capitals / len(words) >= 0.6

    def continues(line: str, following: str) -> bool:
        if line.endswith(CLEAN._TERMINAL) or title_like(line):
            return False
        if following[:1].islower():
            return True
        last = line.split()[-1]
        return last[:1].isupper() and following[:1].isupper() and len(line.split()) >= 4

    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if CLEAN._hard_wrapped(lines):
            out.append(" ".join(lines))
            continue
        current = lines[0]
        for line in lines[1:]:
            if continues(current, line):
                current = f"{current} {line}"
            else:
                out.append(current)
                current = line
        out.append(current)
    return out


_WORDS = ["the", "The", "Minister", "ferry", "Oslo", "said.", "late,", "3", "-", "“quoted”", "and", "Dahl"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(""), st.lists(st.sampled_from(_WORDS), min_size=1, max_size=9).map(" ".join)),
        max_size=25,
    )
)
def test_lines_are_rejoined_exactly_as_defined(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert CLEAN._paragraphs(text) == _old_paragraphs(text)


_OLD_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_OLD_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="[]()!a \n", max_size=40))
def test_markdown_links_are_unlinked_exactly_as_the_pattern_did(text: str) -> None:
    assert CLEAN._unlink_markdown(text) == _OLD_MD_LINK.sub(r"\1", text)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="<!->a\n", max_size=40))
def test_html_comments_are_dropped_exactly_as_the_pattern_did(text: str) -> None:
    assert HTML.drop_html_comments(text) == _OLD_HTML_COMMENT.sub("", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\u00a0\u2009aA.", max_size=20), st.integers(min_value=0, max_value=25))
def test_the_next_visible_character_is_what_stripping_the_rest_gives(text: str, position: int) -> None:
    assert TEXT._next_visible(text, position) == text[position:].lstrip()[:1]
