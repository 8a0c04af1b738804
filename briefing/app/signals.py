"""Signals: SIGTERM and SIGINT end a scheduled run cleanly, with one line and nothing half sent.

Before the sending starts, the first signal ends the run at once; once it has started, it
only stops the next message from being claimed.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

__all__ = ["Interrupted", "Stop"]


class Interrupted(KeyboardInterrupt):
    """A signal that ends the run where it is.

    A KeyboardInterrupt, so that no handler takes it for a failure and asyncio lets it
    through its tasks and callbacks instead of keeping it in one.
    """


def _raise_interrupted(name: str) -> None:
    raise Interrupted(name)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this (the main) thread, if any: a signal handler runs inside it."""
    if "asyncio" not in sys.modules:  # never started one
        return None
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Stop:
    """SIGTERM and SIGINT, as cron's `timeout`, systemd or an operator's Ctrl-C send them.

    Before the sending starts, the first signal ends the run at once: nothing was sent.
    Once it has started, a signal only sets `event`: no further row is claimed, and the
    message in flight finishes (within the SMTP timeout). Signals after the first change
    nothing (`timeout` signals the command and then its whole process group).
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.name: str | None = None
        self.sending = False

    def __call__(self, signum: int, frame: object) -> None:
        first = self.name is None
        self.name = self.name or signal.Signals(signum).name
        self.event.set()
        if first and not self.sending:
            # Work in flight is abandoned on purpose: a coroutine it had made but not yet
            # started is no news to the operator.
            warnings.filterwarnings("ignore", r"coroutine .* was never awaited", RuntimeWarning)
            loop = _running_loop()
            if loop is not None:
                # Raised inside a task, it would end only that task (or come out wrapped in
                # an exception group from a task group); raised from a callback, it ends the
                # loop, and asyncio.run cancels every task on its way out.
                loop.call_soon_threadsafe(_raise_interrupted, self.name)
                return
            raise Interrupted(self.name)

    @contextmanager
    def catching(self) -> Iterator[None]:
        """Handle both signals while the block runs (from the main thread only), then restore."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {signum: signal.signal(signum, self) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
