"""Requests-per-minute and tokens-per-minute limits, kept on our side of the wire.

Providers enforce their limits with 429s; running into them costs a round trip, a
Retry-After wait and an attempt from the article's bounded budget. When the account's
limits are known (`--rpm`, `--tpm`), the run paces itself instead: every HTTP attempt
first takes room in a sliding one-minute window, and waits until the oldest request
leaves it when there is none.

A request's tokens are counted the way OpenAI counts them against a limit: the
estimated prompt plus the answer's token limit (`max_tokens`), since the answer's size
is not known when it is sent. A request bigger than the whole token limit is let
through on an empty window, so it is slow rather than never sent.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from briefing.errors import UserError

__all__ = ["RateLimiter", "validate_limits"]


def validate_limits(requests_per_minute: int | None, tokens_per_minute: int | None) -> None:
    """Raise `UserError` for a limit below 1 (None is no limit)."""
    for name, limit in (("requests", requests_per_minute), ("tokens", tokens_per_minute)):
        if limit is not None and limit < 1:
            raise UserError(f"the {name}-per-minute limit must be at least 1, got {limit}")


class RateLimiter:
    """A sliding-window limit on requests and tokens, shared by the tasks of one event loop."""

    def __init__(
        self,
        *,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Set the limits; nothing waits until `acquire`.

        Args:
            requests_per_minute: Requests allowed to start in any window; None for no limit.
            tokens_per_minute: Estimated tokens allowed in any window; None for no limit.
            window_s: The window's length (60 s; tests shorten it).
            clock: Monotonic clock.
            sleep: Async wait.

        Raises:
            UserError: A limit below 1.
        """
        validate_limits(requests_per_minute, tokens_per_minute)
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.window_s = window_s
        self.waited_s = 0.0
        """Seconds requests spent waiting for room, summed over all of them."""
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[tuple[float, int]] = deque()
        self._tokens_in_window = 0
        self._lock = asyncio.Lock()  # first come, first served

    @property
    def active(self) -> bool:
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    async def acquire(self, tokens: int) -> None:
        """Wait until a request of `tokens` estimated tokens fits in the window, then count it."""
        if not self.active:
            return
        async with self._lock:
            while True:
                now = self._clock()
                self._forget_before(now - self.window_s)
                if self._fits(tokens):
                    self._sent.append((now, tokens))
                    self._tokens_in_window += tokens
                    return
                wait = self._sent[0][0] + self.window_s - now
                self.waited_s += max(wait, 0.0)
                await self._sleep(max(wait, 0.001))

    def _forget_before(self, start: float) -> None:
        while self._sent and self._sent[0][0] <= start:
            self._tokens_in_window -= self._sent.popleft()[1]

    def _fits(self, tokens: int) -> bool:
        if not self._sent:
            return True
        if self.requests_per_minute is not None and len(self._sent) >= self.requests_per_minute:
            return False
        return self.tokens_per_minute is None or self._tokens_in_window + tokens <= self.tokens_per_minute
