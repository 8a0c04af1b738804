"""The model endpoint's circuit breaker: a run stops calling an endpoint that is down.

Retries are per HTTP call and per article (`briefing.extract.model.transport`). That is right for a
server that fails now and then and ruinous for one that is down, where every article
spends its whole retry budget: 50 articles against a closed port made 200 connection
attempts, and against a port that accepts but never answers they took 14 minutes.

One breaker watches every HTTP attempt of a run, across the articles in flight. An
attempt that gets no answer from the endpoint (a refused or dropped connection, a
timeout) or a 5xx answer is a failure; any other answer (a 200, a 4xx, a 429) starts the
count again. Once the failures in a row come from `ARTICLES_TO_OPEN` different articles,
the breaker opens and stays open for the rest of the run: no request starts, requests
still in flight are abandoned, and every article not yet answered goes to the extractive
backend with the breaker's one reason (`CircuitBreaker.reason`).

A timeout while the endpoint answered other requests is not counted either way: that
endpoint is busy (a local server with fewer slots than requests in flight queues them),
not down, and the article's own retries and deadline bound it.

Articles are counted rather than requests because a server can fail on one article alone
(a local server answering 500 to an input it cannot handle), and that article's own
retries already bound what it costs. With the default concurrency (8 requests in flight)
a dead endpoint opens the breaker with the first wave of requests, so the run costs
about one timeout, not one per article; with `--concurrency 1` it costs the retries of
`ARTICLES_TO_OPEN` articles.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

__all__ = ["ARTICLES_TO_OPEN", "CircuitBreaker"]

ARTICLES_TO_OPEN = 3
"""Articles whose requests failed in a row (no answer in between) that stop a run calling the endpoint."""


@dataclass
class CircuitBreaker:
    """Counts the endpoint's failures in a row across one run's articles, and opens on too many.

    It belongs to one event loop (one run); its methods are called from that loop only.

    Attributes:
        host: The endpoint as named in the reason, host and port only (never a key or path).
        articles_to_open: Articles whose requests failed in a row that open it.
    """

    host: str
    articles_to_open: int = ARTICLES_TO_OPEN
    reason: str | None = None
    """Why it opened (one line naming the host and the failure), or None while closed."""
    answers: int = 0
    """Answers the endpoint gave this run; a request notes it when sent (see `timed_out`)."""
    _failures: list[tuple[str, str, str]] = field(default_factory=list, init=False, repr=False)
    """The failures since the last answer: article id, state, what."""
    _opened: asyncio.Event | None = field(default=None, init=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.reason is not None

    def answered(self) -> None:
        """The endpoint answered (anything but a 5xx): the failures so far were not in a row."""
        self.answers += 1
        if not self.is_open:
            self._failures.clear()

    def timed_out(self, article_id: str, what: str, *, answers_when_sent: int) -> None:
        """A request sent when `answers` was `answers_when_sent` got no answer in time.

        A failure, unless the endpoint answered other requests meanwhile (busy, not down).
        """
        if self.answers == answers_when_sent:
            self.failed(article_id, "not answering", what)

    def failed(self, article_id: str, state: str, what: str) -> None:
        """One attempt for `article_id` got no usable answer from the endpoint.

        Args:
            article_id: Whose attempt it was.
            state: What the failure says of the endpoint ("unreachable", "not answering", "failing").
            what: The failure itself ("connection refused", "timed out", "HTTP 503 ...").
        """
        if self.is_open:
            return
        self._failures.append((article_id, state, what))
        if len({a for a, _, _ in self._failures}) < self.articles_to_open:
            return
        n = len(self._failures)
        states = {s for _, s, _ in self._failures}
        whats = {w for _, _, w in self._failures}
        if len(whats) == 1:
            self.reason = f"model endpoint {self.host} {states.pop()} ({what}, {n} times in a row)"
        else:
            state = states.pop() if len(states) == 1 else "failing"
            self.reason = f"model endpoint {self.host} {state} ({n} failures in a row, last: {what})"
        self._event().set()

    async def wait_open(self) -> None:
        """Return once the breaker opens (never, if it does not)."""
        await self._event().wait()

    def _event(self) -> asyncio.Event:
        if self._opened is None:
            self._opened = asyncio.Event()
            if self.is_open:
                self._opened.set()
        return self._opened
