"""Errors raised by the library.

Two families, because the caller reacts differently to each: a `UserError` means the
person running briefing must change something (a path, an option, a key) and the run
stops with one line; a `ProviderError` means the model server misbehaved, which for a
single article is a value in the run report (the article falls back), not the end of
the run.
"""

from __future__ import annotations

from pathlib import Path

from briefing.contracts import Usage


class BriefingError(Exception):
    """Base class of every error briefing raises on purpose."""


class UserError(BriefingError):
    """Configuration or input the user must fix; shown as one line, never a traceback."""


class NoArticlesError(UserError):
    """Nothing usable was found in the inputs."""


class DamagedDatabaseError(UserError):
    """A SQLite file that is not a database, or a damaged one (truncated, a malformed page).

    `reason` is SQLite's own word for it; the cache moves such a file aside, the delivery
    database never does.
    """

    def __init__(self, path: Path, reason: str, *, what: str, remedy: str = "") -> None:
        super().__init__(f"{what} {path} is damaged ({reason}){remedy}")
        self.path = path
        self.reason = reason


class UnwritableDatabaseError(UserError):
    """A SQLite file, or its folder, that cannot be written (read-only, no permission, a full disk)."""

    def __init__(self, path: Path, reason: str, *, what: str, remedy: str = "") -> None:
        super().__init__(f"{what} {path} cannot be written ({reason}){remedy}")
        self.path = path
        self.reason = reason


class NewerDatabaseError(UserError):
    """A SQLite file at a schema version past the migrations this briefing knows: a newer one wrote it.

    It is never changed: the delivery database refuses it, the cache is done without.
    """

    def __init__(self, path: Path, found: int, known: int, *, what: str, remedy: str = "") -> None:
        super().__init__(
            f"{what} {path} was written by a newer briefing (schema version {found}; this one knows up "
            f"to {known}): upgrade briefing to use it{remedy}"
        )
        self.path = path
        self.found = found
        self.known = known


class ProviderError(BriefingError):
    """The model endpoint failed or answered unusably."""

    def __init__(
        self, message: str, *, article_id: str | None = None, attempts: int = 0, usage: Usage | None = None
    ) -> None:
        super().__init__(message)
        self.article_id = article_id
        self.attempts = attempts
        self.usage = usage


class FatalProviderError(ProviderError, UserError):
    """A provider answer that retrying cannot fix and that will fail every article (401, 403, 404, 400).

    The run stops early with one line instead of spending the same error on every article.
    """


class EndpointDownError(ProviderError):
    """The run stopped calling the model endpoint: its circuit breaker opened (`extract.model.breaker`).

    For one article it is a fallback like any other failure; when the model is required
    (`--backend model`) it ends the run, since every article left would fail the same way.
    """
