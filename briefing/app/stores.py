"""The stores' commands: `briefing cache` (model answers and web pages) and `briefing subscribers`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefing.app.common import EXIT_NO_BRIEF, EXIT_USAGE, err, settings, stderr
from briefing.app.options import DbOption

if TYPE_CHECKING:
    from briefing.store.cache import ExtractionCache, PageCache
    from briefing.store.embeddings import EmbeddingCache
    from briefing.store.subscribers import SubscriberStore

__all__ = ["cache_app", "subscribers_app"]

cache_app = typer.Typer(
    help="The cache: model answers kept by article text, model and prompt, and the web pages fetched."
)


@cache_app.command(name="stats")
def cache_stats_command() -> None:
    """Where the cache is, how many extractions (per model), pages and vectors it holds, and its size."""
    with _cache_file() as (pages, cache, vectors):
        stats, count, embedded = cache.stats(), pages.count(), vectors.count()
    sys.stdout.write(
        f"{stats.path}\n{stats.entries} extraction(s), {count} web page(s), {embedded} embedding(s), "
        f"{stats.bytes:,} bytes\n"
    )
    for model, entries in stats.by_model.items():
        sys.stdout.write(f"  {model}: {entries}\n")


@cache_app.command(name="clear")
def cache_clear_command() -> None:
    """Remove every cached extraction, web page and embedding (the next run asks again)."""
    with _cache_file() as (pages, cache, vectors):
        removed_pages, removed, removed_vectors = pages.clear(), cache.clear(), vectors.clear()
    sys.stdout.write(
        f"removed {removed} extraction(s), {removed_pages} web page(s) and {removed_vectors} embedding(s) "
        f"from {cache.path}\n"
    )


@contextmanager
def _cache_file() -> Iterator[tuple[PageCache, ExtractionCache, EmbeddingCache]]:
    """The tables of the cache file, closed afterwards; then what went wrong with the file, once a line.

    A damaged file has been moved aside and started afresh by then, so the command goes on;
    it exits 1 only when the file could not be used at all.
    """
    from briefing.store.cache import ExtractionCache, PageCache
    from briefing.store.database import CacheDatabase
    from briefing.store.embeddings import EmbeddingCache

    file = CacheDatabase(settings(stderr()).cache_path())  # one connection for every table
    pages, cache, vectors = PageCache(file), ExtractionCache(file), EmbeddingCache(file)
    try:
        yield pages, cache, vectors
    finally:
        pages.close()
        cache.close()
        vectors.close()
    console = stderr()
    for note in dict.fromkeys([*pages.notes, *cache.notes, *vectors.notes]):
        err(console, note)
    if not (pages.usable and cache.usable and vectors.usable):
        raise typer.Exit(EXIT_NO_BRIEF)


subscribers_app = typer.Typer(help="Who receives the brief by email (kept in the delivery database).")


def _open_subscribers(db: Path | None, *, create: bool = True) -> SubscriberStore:
    """The subscribers database; only `add` and `import` (`create`) may start a missing one."""
    from briefing.errors import UserError
    from briefing.store.subscribers import SubscriberStore

    path = settings(stderr(), db=db).db_path()
    if not create and not path.exists():
        err(
            stderr(),
            f"error: subscribers database {path} does not exist (check --db or BRIEFING_DB); "
            "`briefing subscribers add` creates it",
        )
        raise typer.Exit(EXIT_NO_BRIEF)
    try:
        return SubscriberStore(path)
    except UserError as exc:
        err(stderr(), f"error: {exc}")
        raise typer.Exit(EXIT_NO_BRIEF) from None


@subscribers_app.command(name="add")
def subscribers_add_command(
    email: Annotated[str, typer.Argument(help="The address to send the brief to.", show_default=False)],
    name: Annotated[str, typer.Option(help="How to greet them.")] = "",
    resubscribe: Annotated[
        bool, typer.Option("--resubscribe", help="Sign up again an address that had unsubscribed.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a subscriber (an unsubscribed address stays so without --resubscribe)."""
    from briefing.errors import UserError
    from briefing.store.addresses import delivery_address

    store = _open_subscribers(db)
    try:
        subscriber, changed = store.add(email, name, resubscribe=resubscribe)
    except UserError as exc:
        err(stderr(), f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    if changed:
        sys.stdout.write(f"added {subscriber.email}\n")
        if delivery_address(subscriber.email)[1]:
            err(
                stderr(),
                f"note: {subscriber.email} can only be delivered through a relay offering SMTPUTF8",
            )
    elif subscriber.status == "unsubscribed":
        sys.stdout.write(f"{subscriber.email} unsubscribed earlier; not added (use --resubscribe)\n")
    else:
        sys.stdout.write(f"{subscriber.email} is already subscribed\n")


@subscribers_app.command(name="remove")
def subscribers_remove_command(
    email: Annotated[
        str | None, typer.Argument(help="The address to stop sending to.", show_default=False)
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(help="Unsubscribe by the token of an unsubscribe link or mail instead of the address."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Unsubscribe an address (it stays recorded as unsubscribed and is never mailed again)."""
    if (email is None) == (token is None):
        err(stderr(), "error: give either an address or --token")
        raise typer.Exit(EXIT_USAGE)
    from briefing.errors import UserError

    store = _open_subscribers(db, create=False)
    try:
        removed = store.remove(email) if email is not None else store.unsubscribe_token(token or "")
    except UserError as exc:
        err(stderr(), f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    who = email.strip() if email is not None else "the token's owner"
    sys.stdout.write(f"unsubscribed {who}\n" if removed else f"{who} was not subscribed\n")


@subscribers_app.command(name="list")
def subscribers_list_command(
    all_: Annotated[bool, typer.Option("--all", help="Include unsubscribed addresses.")] = False,
    db: DbOption = None,
) -> None:
    """Print the subscribers, one per line: address, status, name."""
    for subscriber in _open_subscribers(db, create=False).list(active_only=not all_):
        sys.stdout.write(f"{subscriber.email}\t{subscriber.status}\t{subscriber.name}\n")


@subscribers_app.command(name="import")
def subscribers_import_command(
    csv_file: Annotated[
        Path, typer.Argument(help="CSV with an 'email' column (and 'name'), or addresses first.")
    ],
    db: DbOption = None,
) -> None:
    """Add every address in a CSV file; bad lines get one line each and are skipped."""
    from briefing.errors import UserError

    console = stderr()
    try:
        result = _open_subscribers(db).import_csv(csv_file)
    except UserError as exc:
        err(console, f"error: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    for problem in result.problems:
        err(console, problem)
    sys.stdout.write(
        f"added {result.added}, already subscribed {result.already}, "
        f"kept unsubscribed {result.kept_unsubscribed}, skipped {len(result.problems)}\n"
    )
