"""Start-up benchmark: how long a fresh interpreter takes to import the contracts and print help.

    python bench/start.py            # 10 runs of each, in fresh processes
    python bench/start.py --runs 30

Each row is a command run again and again in a new process (as `hyperfine` would), with
the median and the fastest wall time, and the same for a bare `python -c pass` so the
interpreter's own start can be told apart. `python -X importtime` shows where the rest goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import briefing.contracts": [sys.executable, "-c", "import briefing.contracts"],
    "import briefing": [sys.executable, "-c", "import briefing"],
    "briefing --help": [sys.executable, "-m", "briefing", "--help"],
    "briefing daily --help": [sys.executable, "-m", "briefing", "daily", "--help"],
}


def times(command: list[str], runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    subprocess.run(command, env=env, capture_output=True, check=True)  # warm the file cache
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    print(f"{'command':<28} {'median':>8} {'fastest':>8}   ({runs} runs, Python {sys.version.split()[0]})")
    for name, command in COMMANDS.items():
        seconds = times(command, runs)
        print(f"{name:<28} {statistics.median(seconds):>7.3f}s {min(seconds):>7.3f}s")


if __name__ == "__main__":
    main()
