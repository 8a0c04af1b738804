"""A fast start: the contracts and `briefing --help` load none of the heavy libraries.

Checked by the modules a fresh interpreter holds afterwards, not by a clock (the figures
are printed by bench/start.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "trafilatura",
    "instructor",
    "openai",
    "httpx",
    "jinja2",
    "pysbd",
    "feedparser",
    "datasketch",
    "py3langid",
    "lxml",
    "numpy",
    "pydantic_settings",
)

CHECK = """
import json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded_after(code: str) -> list[str]:
    script = CHECK.format(code=code, heavy=HEAVY)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    return list(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import briefing.contracts",
        "import briefing",
        "from briefing import Brief, UserError",
    ],
)
def test_importing_the_contracts_loads_no_heavy_library(code: str) -> None:
    assert loaded_after(code) == []


@pytest.mark.parametrize("args", [["--help"], ["daily", "--help"], ["build", "--help"]])
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    code = (
        "import sys\nfrom briefing.app.cli import app\n"
        f"sys.argv = ['briefing', *{args!r}]\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
    )
    assert loaded_after(code) == []


def test_a_public_name_still_loads_its_module_on_first_use() -> None:
    assert loaded_after("import briefing\nbriefing.build") != [], "the check can see a heavy import"
