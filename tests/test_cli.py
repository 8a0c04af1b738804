import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import write_articles
from typer.testing import CliRunner

from briefing.app.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "london-talks"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BRIEFING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def test_build_example_offline_prints_cited_brief(runner: CliRunner) -> None:
    result = runner.invoke(app, ["build", str(EXAMPLE), "--date", "2025-06-10"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("# 📰 Highlights")
    assert "extractive backend, no model" in out
    assert "## ⚖️ Where sources disagree" in out
    assert "## Sources" in out
    assert "[1]" in out and "[4]" in out
    assert "report: 4 of 4 inputs used" in result.stderr


def test_json_output_to_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out" / "brief.json"
    result = runner.invoke(app, ["build", str(EXAMPLE), "--format", "json", "-o", str(target), "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["backend"] == "extractive"
    assert len(data["sources"]) == 4
    assert result.stdout == ""


def test_bad_inputs_are_one_line_each_and_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    write_articles(tmp_path, {"empty.txt": "", "bin.txt": b"\x00\x01\x02binary"})
    good = sorted(EXAMPLE.glob("*.txt"))[0]
    result = runner.invoke(
        app,
        ["build", str(good), str(tmp_path / "empty.txt"), str(tmp_path / "bin.txt"), str(tmp_path / "nope")],
    )
    assert result.exit_code == 3, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("briefing: report")]
    assert f"briefing: {tmp_path / 'empty.txt'}: empty file; skipped" in lines
    assert f"briefing: {tmp_path / 'nope'}: no such file or folder; skipped" in lines
    assert any(line.startswith(f"briefing: {tmp_path / 'bin.txt'}: binary file") for line in lines)
    assert "Traceback" not in result.output
    assert result.stdout.startswith("# 📰 Highlights")


def test_no_usable_article_is_exit_1_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    write_articles(tmp_path, {"empty.txt": "   \n"})
    result = runner.invoke(app, ["build", str(tmp_path / "empty.txt")])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no usable articles" in result.stderr and "only whitespace" in result.stderr
    assert result.stdout == ""


def test_usage_errors_are_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(app, ["build", str(EXAMPLE), "--date", "10/06/2025"]).exit_code == 2
    assert runner.invoke(app, ["build", str(EXAMPLE), "--format", "pdf"]).exit_code == 2
    assert runner.invoke(app, ["build"]).exit_code == 2


def test_model_without_endpoint_is_one_clear_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["build", str(EXAMPLE), "--model", "gpt-4o-mini"])
    assert result.exit_code == 1
    assert "needs an endpoint" in result.stderr
    assert "Traceback" not in result.output


def test_help_documents_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["build", "--help"])
    assert result.exit_code == 0
    assert "Exit codes" in result.stdout and "3 brief written" in " ".join(result.stdout.split())


def test_console_script_reads_stdin(tmp_path: Path) -> None:
    text = (EXAMPLE / sorted(p.name for p in EXAMPLE.glob("*.txt"))[0]).read_bytes()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    proc = subprocess.run(
        [sys.executable, "-m", "briefing", "build", "-"],
        input=text,
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().startswith("# 📰 Highlights")
    assert "[1]" in proc.stdout.decode()


def test_a_folder_of_junk_gives_one_line_per_bad_file_and_a_brief_from_the_rest(
    runner: CliRunner, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    first, second = sorted(EXAMPLE.glob("*.txt"))[:2]
    latin = "Café owners in Zürich say rents rose 12% this year, the fastest rise since 2008.\n\n" * 3
    page = "<html><body><h1>Geneva rents climb</h1><p>" + latin.replace("Zürich", "Genève") + "</p>"
    page += "<script>x()</script></body></html>"
    write_articles(
        inbox,
        {
            "first.txt": first.read_bytes(),
            "second.txt": second.read_bytes(),
            # Same text, same outlet: the paths decide which is kept and which is listed as its copy.
            "second_again.txt": second.read_bytes(),
            "empty.txt": b"",
            "blank.md": b" \n\t\n",
            "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "scan.pdf": b"%PDF-1.4",
            "huge.txt": b"word " * 1_100_000,
            "latin.txt": ("Zürich rents climb\n\n" + latin).encode("cp1252"),
            "page.txt": page,
        },
    )
    missing, empty_folder = tmp_path / "missing.txt", tmp_path / "empty-folder"
    empty_folder.mkdir()

    result = runner.invoke(app, ["build", str(inbox), str(missing), str(empty_folder), "-q"])

    assert result.exit_code == 3
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    bad = [
        *(
            inbox / n
            for n in ("second_again.txt", "empty.txt", "blank.md", "image.txt", "scan.pdf", "huge.txt")
        ),
        inbox / "latin.txt",
        inbox / "page.txt",
        missing,
        empty_folder,
    ]
    named = {path.name: [line for line in lines if line.startswith(f"briefing: {path}: ")] for path in bad}
    assert all(len(found) == 1 for found in named.values()), named
    assert len(lines) == len(bad), "one line per bad input and nothing else with -q"
    assert named["second_again.txt"][0].endswith(
        f"same text as {inbox / 'second.txt'}; listed as a copy of it"
    )
    assert named["empty-folder"][0].endswith("folder has no article files; skipped")
    assert named["huge.txt"][0].endswith("over the 5 MB limit; skipped")
    assert "decoded as" in named["latin.txt"][0] and named["latin.txt"][0].endswith("; used")
    assert "HTML given as text" in named["page.txt"][0]
    # The two London reports are one story; each rent report is a story of one source.
    assert result.stdout.startswith("# 📰 In this edition\n\n*1 story, 2 more in brief")
    assert "Zürich" in result.stdout and "Genève" in result.stdout and "x()" not in result.stdout
