"""200 articles against the fault server with 30% of calls faulted, every fault kind included.

The schedule is seeded, so the run is the same every time. The outcome of every article
is predicted from its script by `expected_outcome` (the retry policy written out as a
spec) and compared with what happened: which backend produced it, and exactly how many
HTTP requests it cost. The run must account for every article, fall back with a reason
(to the real extractive backend) where the model path failed, merge into one brief whose
sources list marks every fallback and whose run report prints the counts, count every
HTTP attempt, sum the tokens of every answer, and never exceed
`max_transport_attempts * (max_reasks + 1)` requests for one article.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from fault_server import ANSWER_FAULTS, FAULTS, TRANSPORT_FAULTS, FaultServer

from briefing.extract import extract_all
from briefing.extract.extractive import ExtractiveBackend
from briefing.extract.model import ModelBackend
from briefing.grounding import find_evidence
from briefing.merge import merge
from briefing.models import Article, Backend, Usage
from briefing.providers import make_client
from briefing.render import report_lines

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
    return Article(id=f"syn{i:03d}", source=f"source-{i % 7}", title=f"{place} {body}", text=text)


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
    server = FaultServer(hang_s=1.0).start()
    try:
        for key, actions in schedule.items():
            server.script(key, actions)
        client = make_client(base_url=server.base_url, api_key=None, timeout=0.5)
        model = ModelBackend(
            client,
            "fault-model",
            max_transport_attempts=TRANSPORT_ATTEMPTS,
            max_reasks=REASKS,
            deadline_s=30.0,
            backoff_initial_s=0.01,
            backoff_max_s=0.05,
        )
        progressed: list[str] = []
        started = time.monotonic()

        results = extract_all(
            articles,
            model=model,
            extractive=ExtractiveBackend(),
            on_progress=lambda a: progressed.append(a.id),
        )
        brief = merge(results)

        elapsed = time.monotonic() - started
    finally:
        server.stop()

    assert [r.article.id for r in results] == [a.id for a in articles] == progressed
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
