"""Cost estimates from the one price table, and the `--max-cost` ceiling against the fault server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fault_server import FaultServer

from briefing.contracts import Article, Backend, Usage
from briefing.errors import UserError
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.model.backend import ModelBackend
from briefing.extract.model.pricing import PRICES, PRICES_AS_OF, CostCeiling, estimate_cost, price_of
from briefing.extract.model.providers import make_client
from briefing.extract.model.settings import ModelSettings
from briefing.extract.schedule import extract_all
from briefing.merge.brief import merge
from briefing.render.brief import report_lines

ANSWER = Usage(prompt_tokens=100, completion_tokens=20, cached_tokens=10)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    server = FaultServer(usage=ANSWER).start()
    yield server
    server.stop()


def article(n: int) -> Article:
    text = f"ART-{n:02d}: ferry news\n\nThe ferry carried {100 + n} passengers on Tuesday after repairs."
    return Article(id=f"a{n:02d}", source=f"outlet-{n}", title=f"Ferry {n}", text=text)


def test_cached_prompt_tokens_are_billed_at_the_cached_rate() -> None:
    price = PRICES["gpt-4o-mini"]
    expected = (90 * price.input + 10 * price.cached_input + 20 * price.output) / 1_000_000
    assert estimate_cost("gpt-4o-mini", ANSWER) == pytest.approx(expected)
    assert price_of("gpt-4o-mini-2024-07-18") == price
    assert estimate_cost("smollm2-135m", ANSWER) is None


def test_a_ceiling_needs_a_known_price() -> None:
    with pytest.raises(UserError, match="no price is known for model 'local'"):
        CostCeiling("local", 1.0)
    with pytest.raises(UserError):
        CostCeiling("gpt-4o-mini", -1.0)


def test_spending_stops_at_the_ceiling_and_the_rest_go_extractive(server: FaultServer) -> None:
    per_article = estimate_cost("gpt-4o-mini", ANSWER) or 0.0
    ceiling = CostCeiling("gpt-4o-mini", 2.5 * per_article)
    client = make_client(base_url=server.base_url, api_key="k", timeout=5.0)
    model = ModelBackend(client, ModelSettings(model="gpt-4o-mini", backoff_initial_s=0.01))

    results = extract_all(
        [article(n) for n in range(8)], model=model, extractive=ExtractiveBackend(), ceiling=ceiling
    )
    report = merge(results).report

    assert [r.meta.backend for r in results] == [Backend.model] * 3 + [Backend.extractive] * 5
    assert len(server.exchanges) == 3
    assert all((r.meta.fallback_reason or "").startswith("cost ceiling of $") for r in results[3:])
    assert report.estimated_cost_usd == pytest.approx(3 * per_article)
    assert report.prices_as_of == PRICES_AS_OF
    assert f"estimated ${3 * per_article:.4f} (prices of {PRICES_AS_OF})" in report_lines(report)[0]
    assert sum(line.startswith("fallback: ") and "cost ceiling" in line for line in report_lines(report)) == 5
