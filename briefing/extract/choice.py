"""Which backend extracts: a setting that the command line and the pipeline share.

Kept apart from the backends themselves so that reading the option costs no import of them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["BackendChoice"]


class BackendChoice(StrEnum):
    """Which backend extracts: `model` requires it, and an endpoint that is down ends the run.

    With `model`, a per-article failure (answers that never validate, a spent deadline or
    token budget, the cost ceiling) still falls back for that article alone and is
    reported; only a failure of the endpoint itself (not configured, refusing the key,
    or down by the circuit breaker's count) means no brief.
    """

    auto = "auto"
    model = "model"
    extractive = "extractive"
