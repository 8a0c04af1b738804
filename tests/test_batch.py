"""Batch mode and request pacing, against the fault server's Batch API and chat endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_server import FaultServer, completion_for, delimited_article
from openai.types.chat import ChatCompletion

from briefing.contracts import Article, Backend
from briefing.errors import FatalProviderError
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.model.backend import ModelBackend
from briefing.extract.model.batch import BatchSettings, run_batch
from briefing.extract.model.call import ModelExtractionError
from briefing.extract.model.pricing import estimate_cost
from briefing.extract.model.providers import make_client
from briefing.extract.model.rate_limit import RateLimiter
from briefing.extract.model.settings import ModelSettings
from briefing.extract.schedule import extract_all
from briefing.merge.brief import merge
from briefing.render.brief import report_lines
from briefing.store.cache import ExtractionCache

KEY = "sk-batch-test-key-0000"


def article(i: int) -> Article:
    text = (
        f"ART-{i:03d}: harbour news\n\nThe Northbay harbour board approved {i + 10} new berths on Monday. "
        f"The works will cost ${i + 2} million over two years, the board said."
    )
    return Article(id=f"{i:012x}", source=f"outlet-{i}", title="harbour news", text=text)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    server = FaultServer(expected_key=KEY, batch_polls=2).start()
    yield server
    server.stop()


def backend(server: FaultServer, key: str = KEY, **options: Any) -> ModelBackend:
    client = make_client(base_url=server.base_url, api_key=key, timeout=5.0)
    hooks = {name: options.pop(name) for name in ("sleep", "clock") if name in options}
    settings = ModelSettings(model="gpt-4o-mini", backoff_initial_s=0.01, backoff_max_s=0.02, **options)
    return ModelBackend(client, settings, **hooks)


def settings(store: ExtractionCache, **options: Any) -> BatchSettings:
    statuses: list[str] = []
    options.setdefault("poll_initial_s", 0.01)
    options.setdefault("poll_max_s", 0.02)
    return BatchSettings(jobs=store, on_status=statuses.append, **options)


def chat_calls(server: FaultServer) -> int:
    return sum(1 for e in server.exchanges if e.path.rstrip("/") == "/v1/chat/completions")


def test_a_batch_run_extracts_every_article_in_one_job_at_half_price(
    server: FaultServer, tmp_path: Path
) -> None:
    store = ExtractionCache(tmp_path / "cache.sqlite3")
    articles = [article(i) for i in range(5)]

    results = extract_all(
        articles, model=backend(server), extractive=ExtractiveBackend(), cache=store, batch=settings(store)
    )

    assert len(server.batches) == 1 and len(server.files) == 2, "one input file, one output file"
    assert chat_calls(server) == 0
    assert [r.article.id for r in results] == [a.id for a in articles]
    assert all(r.meta.backend == Backend.model and r.meta.batch for r in results)
    assert all(r.extraction.claims for r in results)
    report = merge(results).report
    assert report.batched == 5 and report.fallbacks == 0
    full = sum(estimate_cost("gpt-4o-mini", r.meta.usage) or 0.0 for r in results)
    assert report.estimated_cost_usd == pytest.approx(full / 2)
    assert "5 through the Batch API" in report_lines(report)[0]

    again = extract_all(
        articles, model=backend(server), extractive=ExtractiveBackend(), cache=store, batch=settings(store)
    )
    assert len(server.batches) == 1 and chat_calls(server) == 0, "the second run is served by the cache"
    assert all(r.meta.cached for r in again)
    assert store.batch_for("anything") is None


def test_a_restart_resumes_the_submitted_batch_instead_of_paying_again(
    server: FaultServer, tmp_path: Path
) -> None:
    server.batch_polls = 1000  # the batch stays in progress while the first run waits
    store = ExtractionCache(tmp_path / "cache.sqlite3")
    articles = [article(i) for i in range(3)]

    first = extract_all(
        articles,
        model=backend(server),
        extractive=ExtractiveBackend(),
        cache=store,
        batch=settings(store, max_wait_s=0.05),
    )

    assert len(server.batches) == 1 and chat_calls(server) == 0
    assert all(r.meta.backend == Backend.extractive for r in first)
    assert all("still in_progress" in (r.meta.fallback_reason or "") for r in first)

    server.batch_polls = 0  # the provider finishes while the job is stopped
    second = extract_all(
        articles, model=backend(server), extractive=ExtractiveBackend(), cache=store, batch=settings(store)
    )

    assert len(server.batches) == 1 and len(server.files) == 2, "no second upload, no second batch"
    assert all(r.meta.batch for r in second)


def test_a_batch_submitted_but_not_recorded_is_found_by_its_metadata(
    server: FaultServer, tmp_path: Path
) -> None:
    server.batch_polls = 1000
    store = ExtractionCache(tmp_path / "cache.sqlite3")
    articles = [article(i) for i in range(2)]
    outcome = run_batch(articles, model=backend(server), settings=settings(store, max_wait_s=0.05))
    assert outcome.waiting and outcome.batch_id is not None

    # A crash between creating the batch and writing it down leaves no record.
    fresh = ExtractionCache(tmp_path / "other.sqlite3")
    server.batch_polls = 0
    resumed = run_batch(articles, model=backend(server), settings=settings(fresh))

    assert resumed.resumed and resumed.batch_id == outcome.batch_id
    assert len(server.batches) == 1 and set(resumed.extracted) == {a.id for a in articles}


def test_unusable_batch_answers_go_online_and_the_rest_stay_batched(
    server: FaultServer, tmp_path: Path
) -> None:
    store = ExtractionCache(tmp_path / "cache.sqlite3")
    server.script("ART-001", ["schema", "ok"])  # the batch answer breaks the schema; online is fine
    server.script("ART-002", ["500", "ok"])  # the batch line fails
    articles = [article(i) for i in range(4)]

    results = extract_all(
        articles, model=backend(server), extractive=ExtractiveBackend(), cache=store, batch=settings(store)
    )

    by_id = {r.article.id: r for r in results}
    assert chat_calls(server) == 2
    assert not by_id[article(1).id].meta.batch and by_id[article(1).id].meta.backend == Backend.model
    assert not by_id[article(2).id].meta.batch and by_id[article(2).id].meta.backend == Backend.model
    assert by_id[article(0).id].meta.batch and by_id[article(3).id].meta.batch


@pytest.mark.parametrize("action", ["ok", "partly", "obey", "schema", "ungrounded"])
def test_batch_and_online_read_an_answer_through_the_same_reader(
    server: FaultServer, tmp_path: Path, action: str
) -> None:
    one = article(7)
    server.script("ART-007", [action, action])  # the same answer online, then in the batch
    model = backend(server, max_reasks=0)  # one answer each way: the online path may not re-ask

    try:
        online: Any = model.extract(one)
    except ModelExtractionError as exc:
        online = str(exc)
    outcome = run_batch([one], model=model, settings=settings(ExtractionCache(tmp_path / "cache.sqlite3")))
    sent, batched = server.for_key("ART-007")
    assert batched.path == "batch" and batched.body == sent.body, "the batch line is the online request"
    part = delimited_article(batched.body)
    completion = ChatCompletion.model_validate(completion_for(action, batched.body, part, server.usage))

    if isinstance(online, str):
        assert online.startswith("no valid answer in 1 tries; last: ")
        assert outcome.failed[one.id] == f"batch answer unusable: {online}"
        with pytest.raises(ModelExtractionError) as caught:
            model.answers.read_completion(completion, part, one)
        assert str(caught.value) == online
        return
    online_extraction, online_meta = online
    batch_extraction, batch_meta = outcome.extracted[one.id]
    assert batch_extraction == online_extraction
    assert batch_meta.dropped == online_meta.dropped
    assert (action == "ok") == (not batch_meta.dropped), (
        "the checks removed what the article does not support"
    )
    assert batch_meta.batch and batch_meta.usage == online_meta.usage
    read = model.answers.read_completion(completion, part, one)
    assert model.answers.checked(one, [read], attempts=1, usage=batch_meta.usage) == (
        batch_extraction,
        batch_meta.model_copy(update={"batch": False}),
    )


def test_a_failed_batch_sends_every_article_online(server: FaultServer, tmp_path: Path) -> None:
    server.batch_outcome = "expired"
    store = ExtractionCache(tmp_path / "cache.sqlite3")
    articles = [article(i) for i in range(3)]

    results = extract_all(
        articles, model=backend(server), extractive=ExtractiveBackend(), cache=store, batch=settings(store)
    )

    assert chat_calls(server) == 3
    assert all(r.meta.backend == Backend.model and not r.meta.batch for r in results)


def test_a_refused_key_ends_the_batch_run_with_one_clear_error(server: FaultServer, tmp_path: Path) -> None:
    store = ExtractionCache(tmp_path / "cache.sqlite3")

    with pytest.raises(FatalProviderError) as caught:
        extract_all(
            [article(0)],
            model=backend(server, key="sk-wrong-key-1234"),
            extractive=ExtractiveBackend(),
            cache=store,
            batch=settings(store),
        )

    assert "HTTP 401" in str(caught.value) and "sk-wrong" not in str(caught.value)
    assert not server.batches


def test_the_cost_ceiling_sizes_the_batch_before_it_is_sent(server: FaultServer, tmp_path: Path) -> None:
    from briefing.extract.model.pricing import CostCeiling

    store = ExtractionCache(tmp_path / "cache.sqlite3")
    articles = [article(i) for i in range(6)]
    model = backend(server)
    one = estimate_cost("gpt-4o-mini", _worst_case(model, articles[0]), batch=True) or 0.0

    results = extract_all(
        articles,
        model=model,
        extractive=ExtractiveBackend(),
        cache=store,
        ceiling=CostCeiling("gpt-4o-mini", one * 2.5),
        batch=settings(store),
    )

    batched = [r for r in results if r.meta.batch]
    refused = [r for r in results if r.meta.fallback_reason]
    assert len(batched) == 2 and len(refused) == 4
    assert all("cost ceiling" in (r.meta.fallback_reason or "") for r in refused)


def _worst_case(model: ModelBackend, a: Article) -> Any:
    from briefing.contracts import Usage
    from briefing.extract.model.budget import estimate_tokens

    return Usage(
        prompt_tokens=model.overhead_tokens() + estimate_tokens(a.text),
        completion_tokens=model.max_completion_tokens,
    )


# ---------------------------------------------------------------------------
# pacing under requests- and tokens-per-minute limits
# ---------------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when something waits on it: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def test_requests_per_minute_are_paced_not_refused(server: FaultServer) -> None:
    time = FakeTime()
    model = backend(server, requests_per_minute=2, clock=time.clock, sleep=time.sleep, deadline_s=10_000)

    results = extract_all(
        [article(i) for i in range(5)], model=model, extractive=ExtractiveBackend(), concurrency=5
    )

    assert all(r.meta.backend == Backend.model for r in results)
    assert chat_calls(server) == 5
    assert time.now == pytest.approx(120.0), "requests 3-4 wait a minute, request 5 another"


def test_the_token_limit_counts_prompt_and_answer_limit() -> None:
    time = FakeTime()
    limiter = RateLimiter(tokens_per_minute=1000, clock=time.clock, sleep=time.sleep)
    started: list[float] = []

    async def run() -> None:
        for tokens in (600, 300, 200, 900, 1500):
            await limiter.acquire(tokens)
            started.append(time.now)

    asyncio.run(run())

    # 600+300 fit; 200 more would be 1100; 900 waits for the 200's minute; 1500 is alone in a minute.
    assert started == [0.0, 0.0, 60.0, 120.0, 180.0]
    assert limiter.waited_s == pytest.approx(180.0)


def test_limits_below_one_are_refused() -> None:
    from briefing.errors import UserError

    with pytest.raises(UserError):
        RateLimiter(requests_per_minute=0)


def test_build_with_batch_from_the_command_line(server: FaultServer, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from briefing.app.cli import app

    server.batch_polls = 0
    env = {"OPENAI_API_KEY": KEY, "BRIEFING_CACHE_DIR": str(tmp_path)}
    example = Path(__file__).resolve().parent.parent / "examples" / "london-talks"
    args = ["build", str(example), "--batch", "--base-url", server.base_url, "--model", "gpt-4o-mini"]

    result = CliRunner().invoke(app, args, env=env)

    assert result.exit_code == 0, result.output
    assert "batch: submitted batch batch_1 (4 requests)" in result.stderr
    assert "4 through the Batch API" in result.stderr and "batch at half price" in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert chat_calls(server) == 0

    rerun = CliRunner().invoke(app, args, env=env)
    assert rerun.exit_code == 0 and "4 from cache" in rerun.stderr and len(server.batches) == 1
