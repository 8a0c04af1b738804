"""What model calls cost: the one price table, the estimate, and the `--max-cost` ceiling.

Prices are USD per million tokens, as published by the provider on the date in
`PRICES_AS_OF`; keep them here and nowhere else. Cached prompt tokens are billed at the
cached rate, the rest of the prompt at the input rate. A model not in the table (a local
server, a new model) has no known price: its cost is shown as unknown, and a cost
ceiling cannot be enforced for it, which is refused up front rather than ignored.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from briefing.contracts import Usage
from briefing.errors import UserError

__all__ = ["BATCH_DISCOUNT", "PRICES", "PRICES_AS_OF", "CostCeiling", "Price", "estimate_cost", "price_of"]

PRICES_AS_OF = "2025-06"
BATCH_DISCOUNT = 0.5
"""OpenAI's Batch API bills input and output at half the price."""


@dataclass(frozen=True)
class Price:
    input: float
    cached_input: float
    output: float


PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.60),
    "gpt-4o": Price(input=2.50, cached_input=1.25, output=10.00),
    "gpt-4.1": Price(input=2.00, cached_input=0.50, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, cached_input=0.10, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, cached_input=0.025, output=0.40),
}


def price_of(model: str) -> Price | None:
    """The price of a model, also under a dated name ('gpt-4o-mini-2024-07-18')."""
    if model in PRICES:
        return PRICES[model]
    matches = [
        name
        for name in PRICES
        if model.startswith(name + "-") and model[len(name) + 1 : len(name) + 2].isdigit()
    ]
    return PRICES[max(matches, key=len)] if matches else None


def estimate_cost(model: str, usage: Usage, *, batch: bool = False) -> float | None:
    """Estimated USD for `usage` on `model`; None when no price is known.

    `batch`: answered through the Batch API, billed at `BATCH_DISCOUNT` of the price.
    """
    price = price_of(model)
    if price is None:
        return None
    uncached = max(0, usage.prompt_tokens - usage.cached_tokens)
    full = (
        uncached * price.input
        + usage.cached_tokens * price.cached_input
        + usage.completion_tokens * price.output
    ) / 1_000_000
    return full * BATCH_DISCOUNT if batch else full


class CostCeiling:
    """Stops new model calls once the estimated spend of the run reaches `max_usd`.

    Shared by a run's concurrent extractions: an article checks `reached()` before its
    first call and adds what it spent when it ends, so the overshoot is at most what the
    articles already in flight spend.
    """

    def __init__(self, model: str, max_usd: float) -> None:
        """Raises: UserError when no price is known for `model` or the ceiling is negative."""
        if max_usd < 0:
            raise UserError("--max-cost must be zero or more")
        if price_of(model) is None:
            raise UserError(
                f"no price is known for model {model!r}, so --max-cost cannot be enforced; "
                f"known: {', '.join(sorted(PRICES))}"
            )
        self.model = model
        self.max_usd = max_usd
        self._spent_usd = 0.0
        self._lock = threading.Lock()

    def add(self, usage: Usage, *, batch: bool = False) -> None:
        with self._lock:
            self._spent_usd += estimate_cost(self.model, usage, batch=batch) or 0.0

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent_usd

    def reached(self) -> bool:
        return self.spent_usd >= self.max_usd

    def reason(self) -> str:
        """Why an article got no model call: the fallback reason shown in the report."""
        return f"cost ceiling of ${self.max_usd:g} reached (estimated ${self.spent_usd:.4f} spent)"
