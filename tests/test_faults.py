"""200 articles against the fault server with 30% of calls faulted, every fault kind included.

The schedule is seeded, so the run is the same every time. The outcome of every article
is predicted from its script by `expected_outcome` (the retry policy written out as a
spec) and compared with what happened: which backend produced it, and exactly how many
HTTP requests it cost. The run must account for every article, fall back with a reason
(to the real extractive backend) where the model path failed, merge into one brief whose
sources list marks every fallback and whose run report prints the counts, count every
HTTP attempt, sum the tokens of every answer, and never exceed
`max_transport_attempts * (max_reasks + 1)` requests for one article. The circuit breaker
must stay closed through it.

Then an endpoint that is down (a closed port, a port that never answers, a server that
always answers 500): the circuit breaker stops the run calling it after a few failures,
whatever the number of articles, and the report says so in one line.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import factories
import pytest
from click.testing import Result
from factories import write_articles
from fault_server import ANSWER_FAULTS, FAULTS, TRANSPORT_FAULTS, FaultServer
from servers import SilentServer, free_port, serve
from typer.testing import CliRunner

from briefing.app.cli import app
from briefing.check.grounding import find_evidence
from briefing.contracts import Article, Backend, ExtractedArticle, Usage
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.model.backend import ModelBackend
from briefing.extract.model.breaker import ARTICLES_TO_OPEN, CircuitBreaker
from briefing.extract.model.providers import make_client
from briefing.extract.model.settings import ModelSettings
from briefing.extract.schedule import extract_all
from briefing.merge.brief import merge
from briefing.render.brief import report_lines

ARTICLES = 200
TROUBLED_SHARE = 0.10
TROUBLED_FAULT_RATE = 0.80
CALM_FAULT_RATE = 0.16
SEED = 20250610
TRANSPORT_ATTEMPTS = 4
REASKS = 2
BOUND = TRANSPORT_ATTEMPTS * (REASKS + 1)
ANSWER_USAGE = Usage(prompt_tokens=100, completion_tokens=20, cached_tokens=10)

PLACES = ["Northbay", "Easton", "Millford", "Harrow Point", "Kestrel Bay", "Dunmore"]
BODIES = ["council", "port authority", "school board", "transit agency", "water utility"]
THINGS = ["buses", "classrooms", "ferry berths", "water mains", "cycle lanes", "clinics"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def synthetic_article(i: int, rng: random.Random) -> Article:
    place, body, thing, day = rng.choice(PLACES), rng.choice(BODIES), rng.choice(THINGS), rng.choice(DAYS)
    count, cost, share = rng.randint(3, 90), rng.randint(2, 40) / 10, rng.randint(5, 45)
    text = (
        f"SYN-{i:03d}: {place} {body} backs new {thing}\n\n"
        f"The {place} {body} approved {count} new {thing} on {day} after a public consultation. "
        f"The plan will cost ${cost} million over three years, officials said.\n\n"
        f"About {share}% of residents responded to the consultation, according to the {body}. "
        f'"This is what people asked for," said the chair of the {body}.'
    )
    return factories.article(text, id=f"syn{i:03d}", source=f"source-{i % 7}", title=f"{place} {body}")


def fault_schedule(rng: random.Random) -> dict[str, list[str]]:
    """Per article, enough actions for the worst case; the first articles open with each kind once.

    Faults come in bursts, as they do in practice (an overloaded server, an article the
    model cannot handle): one article in ten is troubled, with most of its calls faulted,
    so that some articles exhaust their retries. Overall about 30% of calls are faulted.
    """
    schedule: dict[str, list[str]] = {}
    for i in range(ARTICLES):
        rate = TROUBLED_FAULT_RATE if rng.random() < TROUBLED_SHARE else CALM_FAULT_RATE
        actions = [rng.choice(FAULTS) if rng.random() < rate else "ok" for _ in range(BOUND)]
        if i < len(FAULTS):
            actions[0] = FAULTS[i]
        schedule[f"SYN-{i:03d}"] = ["429:0.05" if a == "429" else a for a in actions]
    return schedule


def expected_outcome(actions: list[str]) -> tuple[Backend, int]:
    """What the retry policy does with a script: the backend that ends up used, and the requests made."""
    answers = requests = failures_in_call = 0
    for action in actions:
        requests += 1
        kind = action.partition(":")[0]
        if kind in TRANSPORT_FAULTS:
            failures_in_call += 1
            if failures_in_call == TRANSPORT_ATTEMPTS:
                return Backend.extractive, requests
            continue
        failures_in_call = 0
        answers += 1
        if kind not in ANSWER_FAULTS:
            return Backend.model, requests
        if answers == REASKS + 1:
            return Backend.extractive, requests
    raise AssertionError("the schedule is too short for the bound")


def test_two_hundred_articles_under_thirty_percent_faults_are_all_accounted_for() -> None:
    rng = random.Random(SEED)
    articles = [synthetic_article(i, rng) for i in range(ARTICLES)]
    schedule = fault_schedule(rng)
    with serve(FaultServer(hang_s=1.0)) as server:
        for key, actions in schedule.items():
            server.script(key, actions)
        client = make_client(base_url=server.base_url, api_key=None, timeout=0.5)
        settings = ModelSettings(
            model="fault-model",
            max_transport_attempts=TRANSPORT_ATTEMPTS,
            max_reasks=REASKS,
            deadline_s=30.0,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
        )
        model = ModelBackend(client, settings)
        progressed: list[str] = []
        breaker = CircuitBreaker(model.host)
        started = time.monotonic()

        results = extract_all(
            articles,
            model=model,
            extractive=ExtractiveBackend(),
            on_progress=lambda a: progressed.append(a.id),
            breaker=breaker,
        )
        brief = merge(results)

        elapsed = time.monotonic() - started

    assert [r.article.id for r in results] == [a.id for a in articles] == progressed
    assert breaker.reason is None, "a flaky server, failing in bursts, is not a server that is down"
    served = Counter(e.action.partition(":")[0] for e in server.exchanges)
    faulted = sum(n for kind, n in served.items() if kind != "ok")
    outcomes: Counter[str] = Counter()
    for result in results:
        key = f"SYN-{result.article.id[3:]}"
        meta = result.meta
        exchanges = server.for_key(key)
        assert meta.attempts == len(exchanges) <= BOUND, key
        assert (meta.backend, meta.attempts) == expected_outcome(schedule[key]), key
        answers = sum(1 for e in exchanges if e.action.partition(":")[0] not in TRANSPORT_FAULTS)
        expected_usage = Usage()
        for _ in range(answers):
            expected_usage += ANSWER_USAGE
        assert meta.usage == expected_usage, key
        if meta.backend is Backend.model:
            assert meta.fallback_reason is None and result.extraction.claims
            assert all(find_evidence(c.evidence, result.article.text) for c in result.extraction.claims)
            outcomes["model"] += 1
        else:
            assert meta.fallback_reason, key
            assert meta.model == "fault-model" and result.extraction.claims, "the offline backend filled in"
            outcomes["fallback: " + " ".join(meta.fallback_reason.split()[:4])] += 1

    print(
        f"\n{ARTICLES} articles in {elapsed:.1f}s, {len(server.exchanges)} requests, "
        f"{faulted} faulted ({faulted / len(server.exchanges):.0%}), "
        f"max {max(r.meta.attempts for r in results)} requests for one article (bound {BOUND})"
    )
    print("faults served:", dict(sorted((k, v) for k, v in served.items() if k != "ok")))
    print("outcomes:", dict(outcomes))
    lines = report_lines(brief.report)
    print("\n".join(lines[:1] + [line for line in lines if line.startswith("fallback:")][:3]))

    report = brief.report
    fell_back = ARTICLES - outcomes["model"]
    assert report.articles_in == report.articles_used == len(report.articles) == ARTICLES
    assert report.fallbacks == fell_back and report.attempts == len(server.exchanges)
    assert lines[0].startswith(f"report: {ARTICLES} of {ARTICLES} inputs used;")
    assert f"; {fell_back} fallback(s); 0 from cache; {len(server.exchanges)} model call(s);" in lines[0]
    assert sum(line.startswith("fallback: ") for line in lines) == fell_back
    assert len(brief.sources) == ARTICLES
    assert sum(1 for source in brief.sources if source.fallback_reason) == fell_back

    assert set(FAULTS) <= set(served), "every fault kind was served at least once"
    assert 0.2 <= faulted / len(server.exchanges) <= 0.4
    assert outcomes["model"] > 0 and sum(outcomes.values()) - outcomes["model"] > 0
    assert sum(outcomes.values()) == ARTICLES


# ---------------------------------------------------------------------------
# the circuit breaker: an endpoint that is down costs about one timeout, not one per article
# ---------------------------------------------------------------------------

DOWN_ARTICLES = 50
CONCURRENCY = 8
MOST_REQUESTS = ARTICLES_TO_OPEN + CONCURRENCY - 1
"""A dead endpoint fails the first wave of requests, one per article: the breaker opens at the
ARTICLES_TO_OPEN-th failure, and at most CONCURRENCY - 1 others are then in flight."""


def down_run(
    base_url: str, *, timeout: float = 5.0, concurrency: int = CONCURRENCY, articles: int = DOWN_ARTICLES
) -> tuple[list[ExtractedArticle], CircuitBreaker, float]:
    """Extract synthetic articles against `base_url`: the results, the run's breaker and the seconds taken."""
    rng = random.Random(SEED)
    client = make_client(base_url=base_url, api_key=None, timeout=timeout)
    model = ModelBackend(client, ModelSettings(model="fault-model"))
    breaker = CircuitBreaker(model.host)
    started = time.monotonic()
    results = extract_all(
        [synthetic_article(i, rng) for i in range(articles)],
        model=model,
        extractive=ExtractiveBackend(),
        concurrency=concurrency,
        breaker=breaker,
    )
    return results, breaker, time.monotonic() - started


def assert_all_fell_back_for(results: list[ExtractedArticle], breaker: CircuitBreaker) -> None:
    """Every article fell back with the breaker's reason, and the report gives it one line."""
    assert breaker.reason is not None
    assert all(r.meta.backend is Backend.extractive and r.extraction.claims for r in results)
    assert {r.meta.fallback_reason for r in results} == {breaker.reason}
    report = merge(results).report.model_copy(update={"endpoint_down": breaker.reason})
    assert report_lines(report)[1:] == [
        f"{breaker.reason}; the remaining {len(results)} articles use the extractive backend"
    ]


def test_a_closed_port_opens_the_breaker_after_a_few_refusals() -> None:
    port = free_port()
    results, breaker, elapsed = down_run(f"http://127.0.0.1:{port}/v1")

    attempts = sum(r.meta.attempts for r in results)
    print(f"\nclosed port: {elapsed:.1f}s, {attempts} connection attempts; {breaker.reason}")
    assert attempts <= MOST_REQUESTS  # it was 4 per article: 200
    assert elapsed < 30  # guards a hang; measured in the README
    assert_all_fell_back_for(results, breaker)
    assert (
        breaker.reason
        == f"model endpoint 127.0.0.1:{port} unreachable (connection refused, 3 times in a row)"
    )


def test_a_port_that_never_answers_costs_about_one_timeout() -> None:
    with serve(SilentServer()) as listener:
        results, breaker, elapsed = down_run(listener.base_url, timeout=1.0)

    print(f"\nsilent port: {elapsed:.1f}s, {listener.accepts} connections accepted; {breaker.reason}")
    assert listener.accepts == sum(r.meta.attempts for r in results) <= MOST_REQUESTS
    assert elapsed < 20  # a hang guard: without the breaker it is over a minute (one timeout per attempt)
    assert_all_fell_back_for(results, breaker)
    assert (
        breaker.reason is not None
        and "not answering (no answer within 1 s, 3 times in a row)" in breaker.reason
    )


def test_a_server_that_always_answers_500_is_called_a_few_times_only() -> None:
    with serve(FaultServer(default_action="500")) as server:
        results, breaker, elapsed = down_run(server.base_url)

    print(f"\n500s: {elapsed:.1f}s, {len(server.exchanges)} requests; {breaker.reason}")
    assert len(server.exchanges) == sum(r.meta.attempts for r in results) <= MOST_REQUESTS
    assert_all_fell_back_for(results, breaker)
    assert breaker.reason is not None
    assert breaker.reason.endswith("failing (HTTP 500 Internal Server Error, 3 times in a row)")


def test_requests_in_flight_are_abandoned_when_the_breaker_opens() -> None:
    """One article's request hangs far longer than the rest take to show the endpoint is down."""
    with serve(FaultServer(default_action="500", hang_s=60.0)) as server:
        server.script("SYN-000", ["hang"])
        results, breaker, elapsed = down_run(server.base_url, timeout=30.0, concurrency=4, articles=10)

    assert elapsed < 15  # without abandoning it, the run waits out the 30 s timeout
    assert results[0].meta.attempts == 1 and server.for_key("SYN-000")[0].action == "hang"
    assert_all_fell_back_for(results, breaker)


def test_one_article_failing_alone_does_not_open_the_breaker() -> None:
    """A server can fail on one article only; that article's own retries bound it, and the run goes on."""
    with serve(FaultServer()) as server:
        server.script("SYN-000", ["500"] * TRANSPORT_ATTEMPTS)
        server.script("SYN-001", ["503", "ok"])
        results, breaker, _ = down_run(server.base_url, concurrency=1, articles=3)

    assert breaker.reason is None
    assert [r.meta.backend for r in results] == [Backend.extractive, Backend.model, Backend.model]
    assert [r.meta.attempts for r in results] == [TRANSPORT_ATTEMPTS, 2, 1]
    assert (
        results[0].meta.fallback_reason
        == "gave up after 4 HTTP attempts: last HTTP 500 Internal Server Error"
    )


def test_timeouts_while_the_endpoint_answers_others_do_not_open_the_breaker() -> None:
    """A busy server (a local one with fewer slots than requests in flight) is not a server that is down."""
    with serve(FaultServer(hang_s=3.0)) as server:
        for i in range(4):
            server.script(f"SYN-{i:03d}", ["hang", "ok"])
        results, breaker, _ = down_run(server.base_url, timeout=1.0, articles=10)

    assert breaker.reason is None
    assert all(r.meta.backend is Backend.model for r in results)
    assert [r.meta.attempts for r in results[:4]] == [2, 2, 2, 2]


def test_failures_open_the_breaker_only_in_a_row_and_across_articles() -> None:
    breaker = CircuitBreaker("127.0.0.1:1")
    for _ in range(10):
        breaker.failed("a", "failing", "HTTP 502 Bad Gateway")
    breaker.failed("b", "failing", "HTTP 502 Bad Gateway")
    breaker.answered()
    breaker.failed("c", "failing", "HTTP 502 Bad Gateway")
    breaker.failed("d", "unreachable", "connection refused")
    assert not breaker.is_open
    breaker.failed("e", "unreachable", "connection refused")
    assert breaker.reason == (
        "model endpoint 127.0.0.1:1 failing (3 failures in a row, last: connection refused)"
    )


# ---------------------------------------------------------------------------
# the command line: a dead endpoint is one line; --backend model does not fall back
# ---------------------------------------------------------------------------

SECRET_KEY = "sk-test-breaker-0123456789abcdef"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Ten articles in a folder, and an environment with a key and no other endpoint settings."""
    for name in ("OPENAI_BASE_URL", "BRIEFING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path / "cache"))
    rng = random.Random(SEED)
    inbox = tmp_path / "inbox"
    articles = [synthetic_article(i, rng) for i in range(10)]
    write_articles(inbox, {f"{a.id}.txt": f"{a.title}\n\n{a.text}\n" for a in articles})
    return inbox


def build(*args: str) -> Result:
    return CliRunner().invoke(app, ["build", *args, "--model", "fault-model", "--date", "2026-11-28"])


def problem_lines(result: Result) -> list[str]:
    """Stderr without the progress lines and the report's totals."""
    return [
        line
        for line in result.stderr.splitlines()
        if not line.startswith(("briefing: extracted ", "briefing: report: "))
    ]


def test_a_dead_endpoint_is_one_line_and_the_brief_is_extractive(folder: Path) -> None:
    port = free_port()
    base_url = f"http://user:{SECRET_KEY}@127.0.0.1:{port}/v1"
    down = f"model endpoint 127.0.0.1:{port} unreachable (connection refused, 3 times in a row)"

    result = build(str(folder), "--base-url", base_url)
    quiet = build(str(folder), "--base-url", base_url, "--quiet")

    assert result.exit_code == quiet.exit_code == 3, result.output
    assert result.stdout.startswith("# 📰 In this edition") and quiet.stdout == result.stdout
    line = f"briefing: {down}; the remaining 10 articles use the extractive backend"
    assert problem_lines(result) == problem_lines(quiet) == [line]
    assert SECRET_KEY not in result.output + quiet.output and "user" not in result.stderr


def test_backend_model_exits_1_with_one_line_when_the_endpoint_is_down(folder: Path) -> None:
    port = free_port()

    result = build(str(folder), "--base-url", f"http://127.0.0.1:{port}/v1", "--backend", "model")

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    down = f"model endpoint 127.0.0.1:{port} unreachable (connection refused, 3 times in a row)"
    assert problem_lines(result) == [
        f"briefing: error: {down}; no brief, since the model is required (backend 'model')"
    ]


def test_backend_model_still_falls_back_for_one_article_the_model_cannot_answer(folder: Path) -> None:
    with serve(FaultServer()) as server:
        server.script("SYN-003", ["schema"] * (REASKS + 1))
        result = build(str(folder), "--base-url", server.base_url, "--backend", "model")

    assert result.exit_code == 3, result.output
    [line] = problem_lines(result)
    assert line.startswith("briefing: fallback: syn003.txt: no valid answer in 3 tries")
    assert result.stdout.startswith("# 📰 In this edition")


@pytest.mark.parametrize("where", ["option", "environment"])
def test_a_base_url_without_a_scheme_is_a_usage_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    with serve(SilentServer()) as listener:
        address = listener.base_url.removeprefix("http://")
        if where == "option":
            result = build(str(folder), "--base-url", address)
            name = "--base-url"
        else:
            monkeypatch.setenv("OPENAI_BASE_URL", address)
            result = build(str(folder))
            name = "OPENAI_BASE_URL"

    assert result.exit_code == 2, result.output
    assert result.stdout == "" and listener.accepts == 0
    assert problem_lines(result) == [
        f"briefing: error: {name} {address!r} is not an http:// or https:// URL with a host "
        f"(e.g. 'http://{address}')"
    ]


def test_a_bad_base_url_in_the_environment_does_not_stop_the_extractive_backend(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "localhost:8080")
    result = build(str(folder), "--backend", "extractive")
    assert result.exit_code == 0, result.output


def test_eval_refuses_a_base_url_without_a_scheme(folder: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--backend", "model", "--base-url", "localhost:8080"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "briefing: error: --base-url 'localhost:8080' is not an http:// or https:// URL with a host "
        "(e.g. 'http://localhost:8080')"
    ]


def test_daily_refuses_a_base_url_without_a_scheme(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "daily",
            *("--articles", str(folder), "--editions", str(tmp_path / "editions")),
            *("--base-url", "localhost:8080", "--db", str(tmp_path / "none.sqlite3")),
        ],
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "briefing: error: --base-url 'localhost:8080' is not an http:// or https:// URL with a host "
        "(e.g. 'http://localhost:8080')"
    ]
    assert not (tmp_path / "editions").exists()
