"""Benchmark: prints one table of wall times against their ideal, on this machine.

    python bench/run.py                  # N = 10, 100, 1000 at 1 s simulated latency, concurrency 32
    python bench/run.py --quick          # N = 10, 100 at 0.2 s: a minute or less

The model is the project's fault-injecting OpenAI-compatible server (`tests/fault_server.py`)
on 127.0.0.1, in a process of its own, answering every request after a fixed latency, so
the figures measure briefing's own overhead and overlap, not a provider. Rows:

- extraction of N articles at the given concurrency, against the ideal
  `ceil(N / concurrency) x latency`;
- a warm re-run of the largest N from the extraction cache: wall time and model calls;
- merge + render of 100, 1,000 and 10,000 extractions (the offline backend's output of
  synthetic articles), to show how merge grows, with the merge's own time in the notes;
- the offline extractive backend's articles per second;
- the instructions and schema each request carries besides the article, per instructor
  mode (estimated at four characters a token; see `ModelBackend.overhead_tokens`);
- peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from briefing.contracts import Article, ExtractedArticle  # noqa: E402
from briefing.extract.extractive.backend import ExtractiveBackend  # noqa: E402
from briefing.extract.model.backend import ModelBackend  # noqa: E402
from briefing.extract.model.providers import make_client  # noqa: E402
from briefing.extract.model.request import MODE_NAMES  # noqa: E402
from briefing.extract.model.settings import ModelSettings  # noqa: E402
from briefing.extract.schedule import extract_all  # noqa: E402
from briefing.merge.brief import merge  # noqa: E402
from briefing.render.brief import render_markdown  # noqa: E402
from briefing.store.cache import ExtractionCache  # noqa: E402

PLACES = ["Northbay", "Easton", "Millford", "Harrow Point", "Kestrel Bay", "Dunmore", "Ashby", "Corran"]
BODIES = ["council", "port authority", "school board", "transit agency", "water utility", "health trust"]
THINGS = ["buses", "classrooms", "ferry berths", "water mains", "cycle lanes", "clinics", "bridges"]


def synthetic_article(i: int, rng: random.Random) -> Article:
    place, body, thing = rng.choice(PLACES), rng.choice(BODIES), rng.choice(THINGS)
    count, cost, share = rng.randint(3, 90), rng.randint(2, 40) / 10, rng.randint(5, 45)
    text = (
        f"BENCH-{i:05d}: {place} {body} backs new {thing}\n\n"
        f"The {place} {body} approved {count} new {thing} on Tuesday after a public consultation. "
        f"The plan will cost ${cost} million over three years, officials said.\n\n"
        f"About {share}% of residents responded to the consultation, according to the {body}. "
        f'"This is what people asked for," said the chair of the {body}, Maria Lopez.'
    )
    return Article(
        id=f"b{i:05d}", source=f"outlet-{i % 40}", title=f"{place} {body} backs new {thing}", text=text
    )


class LatencyServer:
    """The fault server in a process of its own, answering every request after `latency` seconds.

    A separate process, so that its work does not compete with briefing's for the GIL.
    """

    def __init__(self, latency: float) -> None:
        script = ROOT / "tests" / "fault_server.py"
        self._process = subprocess.Popen(
            [sys.executable, str(script), "--default-action", f"ok:{latency}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()

    def chat_requests(self) -> int:
        with urllib.request.urlopen(f"{self.base_url}/_stats", timeout=10) as response:
            return int(json.load(response)["chat_requests"])

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def timed(run: Callable[[], object], server: LatencyServer) -> tuple[float, int]:
    """Wall seconds of `run()`, and the model calls the server saw meanwhile."""
    before = server.chat_requests()
    started = time.perf_counter()
    run()
    return time.perf_counter() - started, server.chat_requests() - before


def extraction_rows(ns: list[int], latency: float, concurrency: int) -> list[list[str]]:
    rows = []
    server = LatencyServer(latency)
    try:
        client = make_client(base_url=server.base_url, api_key="bench", timeout=30.0)
        rng = random.Random(7)
        with tempfile.TemporaryDirectory() as folder:
            for n in ns:
                articles = [synthetic_article(i, rng) for i in range(n)]
                cache = ExtractionCache(Path(folder) / f"cache-{n}.sqlite3")
                model = ModelBackend(client, ModelSettings(model="bench-model", deadline_s=600.0))
                run = functools.partial(
                    extract_all,
                    articles,
                    model=model,
                    extractive=ExtractiveBackend(),
                    cache=cache,
                    concurrency=concurrency,
                )
                wall, calls = timed(run, server)
                ideal = math.ceil(n / concurrency) * latency
                rows.append(
                    [
                        f"extract {n} articles, concurrency {concurrency}",
                        f"{wall:.2f} s",
                        f"{ideal:.2f} s",
                        f"{wall / ideal:.2f}x",
                        f"{calls} calls",
                    ]
                )
                if n == ns[-1]:
                    wall, calls = timed(run, server)  # the same articles again: all from the cache
                    rows.append(
                        [f"warm re-run of {n} articles (cache)", f"{wall:.2f} s", "-", "-", f"{calls} calls"]
                    )
                cache.close()
    finally:
        server.stop()
    return rows


def overhead_rows() -> list[list[str]]:
    """Tokens every request costs besides the article, per instructor mode."""
    client = make_client(base_url="http://127.0.0.1:9/v1", api_key="bench", timeout=1.0)
    rows = []
    for name, mode in MODE_NAMES.items():
        tokens = ModelBackend(client, ModelSettings(model="bench-model", mode=mode)).overhead_tokens()
        rows.append([f"instructions + schema per request, {name} mode", "-", "-", "-", f"~{tokens} tokens"])
    return rows


def merge_rows(sizes: list[int]) -> list[list[str]]:
    rng = random.Random(11)
    backend = ExtractiveBackend()
    articles = [synthetic_article(i, rng) for i in range(max(sizes))]
    started = time.perf_counter()
    extracted = [
        ExtractedArticle(article=a, extraction=backend.extract(a), meta={"backend": "extractive"})
        for a in articles
    ]
    per_second = len(articles) / (time.perf_counter() - started)
    rows = [
        [
            f"extractive backend, {len(articles)} articles",
            f"{len(articles) / per_second:.2f} s",
            "-",
            "-",
            f"{per_second:.0f} articles/s",
        ]
    ]
    previous: tuple[int, float] | None = None
    for size in sizes:
        started = time.perf_counter()
        brief = merge(extracted[:size])
        merged = time.perf_counter() - started
        render_markdown(brief)
        wall = time.perf_counter() - started
        growth = f"{wall / previous[1]:.1f}x for {size // previous[0]}x" if previous else "-"
        rows.append(
            [
                f"merge + render {size} extractions",
                f"{wall:.2f} s",
                "-",
                growth,
                f"{len(brief.claims)} claims, merge {merged:.2f} s",
            ]
        )
        previous = (size, wall)
    return rows


def table(rows: list[list[str]]) -> str:
    header = ["step", "wall", "ideal", "ratio", "notes"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs at 0.2 s latency")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    ns, latency, sizes = (
        ([10, 100], 0.2, [100, 1000]) if args.quick else ([10, 100, 1000], 1.0, [100, 1000, 10000])
    )
    rows = extraction_rows(ns, latency, args.concurrency) + merge_rows(sizes) + overhead_rows()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"briefing benchmark, {time.strftime('%Y-%m-%d')}, {machine}")
    print(f"simulated model latency {latency:g} s (fault server on 127.0.0.1)\n")
    print(table(rows))
    print(f"\npeak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
