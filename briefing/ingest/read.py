"""Reading inputs: files, folders, stdin, web pages and feeds -> articles and one line per problem.

An input is read once, whatever name it is given by; a folder is read without
reaching outside it; a pipe or a device is never opened. Each input's bytes are
made into an article by `briefing.ingest.article`. Reading is all this does:
folding syndicated copies and detecting languages are the pipeline's next steps
(`briefing.pipeline`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from briefing.contracts import PART_LOST, Article, IngestResult, InputProblem
from briefing.ingest.article import article_from_bytes
from briefing.ingest.feeds import FeedEntry, FeedQuery, parse_feed, select_entries
from briefing.ingest.fetch import Fetcher, FetchError, is_url
from briefing.ingest.files import FileRefused, read_file, size_text, special_kind
from briefing.ingest.html import MIN_MAIN_TEXT, PageMeta, visible_text

__all__ = ["ARTICLE_SUFFIXES", "ingest"]

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".html", ".htm")
_MAX_BYTES = 5_000_000


def ingest(
    paths: Iterable[str],
    *,
    stdin: bytes | None = None,
    feeds: Sequence[FeedQuery] = (),
    fetcher: Fetcher | None = None,
) -> IngestResult:
    """Read every input (file, folder, '-' for stdin, http(s) URL) and feed into articles and problems.

    Folders are scanned recursively, in sorted order, for `ARTICLE_SUFFIXES`; hidden
    files are ignored. URLs and the entries `feeds` select are fetched with `fetcher`
    (one without a cache when none is given). An input given twice is read once.
    Articles come back as read: syndicated copies are not yet folded and languages not
    yet detected (`briefing.pipeline.gather` runs those steps too).
    """
    articles: list[Article] = []
    problems: list[InputProblem] = []
    seen: dict[str, str] = {}  # an input's key -> the label it was first read under
    own_fetcher = None
    if fetcher is None and (feeds or any(is_url(p) for p in paths)):
        fetcher = own_fetcher = Fetcher()
    try:
        inputs = [item for raw in paths for item in _read_inputs(raw, stdin, fetcher)]
        for query in feeds:
            assert fetcher is not None
            inputs.extend(_read_feed(query, fetcher, problems))
        for item in inputs:
            if item.problem is not None:
                problems.append(item.problem)
                continue
            key = item.key or item.label
            if key in seen:
                first = seen[key]
                reason = "given more than once" if first == item.label else f"the same file as {first}"
                problems.append(InputProblem(path=item.label, reason=reason, action="read once"))
                continue
            seen[key] = item.label
            assert item.data is not None
            article, problem = article_from_bytes(item.data, item.label, item.page)
            if problem is not None:
                problems.append(problem)
            if article is not None:
                articles.append(article)
    finally:
        if own_fetcher is not None:
            own_fetcher.close()
    return IngestResult(articles=articles, problems=problems)


@dataclass(frozen=True)
class _Input:
    """One input's bytes (or why there are none), and what is known of it besides its text.

    `key` names the input for "read once": a local file's real path, so a file reached
    twice (by two names, or through a symlink in a folder) is read once.
    """

    label: str
    data: bytes | None = None
    problem: InputProblem | None = None
    page: PageMeta | None = None
    key: str | None = None


def _skip(label: str, reason: str) -> _Input:
    return _Input(label, problem=InputProblem(path=label, reason=reason, action="skipped"))


def _read_inputs(raw: str, stdin: bytes | None, fetcher: Fetcher | None) -> Iterable[_Input]:
    if raw == "-":
        yield _read_stdin(stdin)
        return
    if is_url(raw):
        assert fetcher is not None
        yield _fetch_page(raw, fetcher, PageMeta(url=raw))
        return
    path = Path(raw)
    # A symlink named on the command line is followed: the user pointed at what it names.
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        yield _skip(raw, _broken_link(path) if path.is_symlink() else "no such file or folder")
        return
    except OSError as exc:
        yield _skip(raw, f"cannot read ({exc.strerror})")
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _read_folder(path, raw)
        return
    yield _read_file(Path(os.path.realpath(path)), raw, info)


def _fetch_page(url: str, fetcher: Fetcher, known: PageMeta, *, given: bool = True) -> _Input:
    try:
        page = fetcher.page(url, given=given)
    except FetchError as exc:
        return _skip(url, str(exc))
    host = urlsplit(page.final_url).hostname or ""
    meta = replace(known, url=page.final_url, site=known.site or host.removeprefix("www.") or None)
    data = page.body
    if page.charset and page.charset.lower().replace("-", "") not in ("utf8", "usascii"):
        # A wrong or unknown charset is left to read_text, which guesses and says so.
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            data = page.body.decode(page.charset).encode("utf-8")
    return _Input(url, data, page=meta)


def _read_feed(query: FeedQuery, fetcher: Fetcher, problems: list[InputProblem]) -> list[_Input]:
    """The pages of the entries `query` selects, fetched side by side, in the feed's order.

    The feed's own line goes to `problems`. Entry links are not the user's: they may
    reach a private address only on a host the user named (see `Fetcher`).
    """
    try:
        document = fetcher.feed(query.url)
        feed = parse_feed(document.body, document.final_url, document.content_type)
    except (FetchError, ValueError) as exc:
        problems.append(InputProblem(path=query.url, reason=str(exc), action="skipped"))
        return []
    selection = select_entries(
        feed.entries, since=query.since, topic=query.topic, max_entries=query.max_entries
    )
    problems.append(
        InputProblem(
            path=query.url,
            reason=selection.summary(query.since, query.topic, damage=feed.damage),
            action=f"read {len(selection.entries)}" + (PART_LOST if feed.damage else ""),
        )
    )

    def read(entry: FeedEntry) -> tuple[_Input, InputProblem | None]:
        known = PageMeta(
            title=entry.title,
            site=entry.outlet,
            published=entry.published.date().isoformat() if entry.published else None,
            url=entry.link,
        )
        item = _fetch_page(entry.link, fetcher, known, given=False)
        if item.problem is not None and len(visible_text(entry.content)) >= MIN_MAIN_TEXT:
            reason = f"{item.problem.reason}; the feed's own copy of the text was used"
            used = InputProblem(path=entry.link, reason=reason, action="used")
            return _Input(entry.link, entry.content.encode("utf-8"), page=known), used
        return item, None

    inputs = []
    for item, used in fetcher.map(read, selection.entries):
        if used is not None:
            problems.append(used)
        inputs.append(item)
    return inputs


def _read_stdin(stdin: bytes | None) -> _Input:
    """Standard input, read up to one byte over the size limit: a pipe of any length costs no more."""
    if stdin is None:
        if sys.stdin is None:
            return _skip("-", "there is no standard input")
        stdin = sys.stdin.buffer.read(_MAX_BYTES + 1)
    if len(stdin) > _MAX_BYTES:
        return _skip("-", f"standard input is over the {size_text(_MAX_BYTES)} limit")
    return _Input("-", stdin)


def _read_folder(root: Path, raw: str) -> Iterable[_Input]:
    """The article files of a folder and its subfolders, and a line for everything else in it.

    Hidden files and folders are ignored. Nothing in the folder reaches outside it: a
    symlink is followed only to a file inside the folder (that file's real path is read);
    one leading out, a broken one and one to a folder (whose files are read where they
    are) each get a line. Named pipes, devices and sockets get a line and are never
    opened, since reading one can block forever or never end.
    """
    real_root = root.resolve()
    lines: list[_Input] = []
    usable: list[tuple[Path, Path, os.stat_result]] = []
    for path in sorted(_walk(root, lines)):
        try:
            real = Path(os.path.realpath(path, strict=True))
            info = real.stat()
        except (FileNotFoundError, NotADirectoryError):
            lines.append(_skip(str(path), _broken_link(path)))
            continue
        except OSError as exc:
            lines.append(_skip(str(path), f"cannot read ({exc.strerror})"))
            continue
        kind = special_kind(info.st_mode)
        if path.is_symlink() and not real.is_relative_to(real_root):
            what = "folder" if stat.S_ISDIR(info.st_mode) else "file"
            lines.append(_skip(str(path), f"symlink to a {what} outside the folder ({real}), not followed"))
        elif path.is_symlink() and stat.S_ISDIR(info.st_mode):
            reason = f"symlink to a folder inside the folder ({real}), whose files are read there"
            lines.append(
                _Input(str(path), problem=InputProblem(path=str(path), reason=reason, action="not followed"))
            )
        elif kind is not None:
            lines.append(_skip(str(path), f"not a regular file ({kind}), left unopened"))
        elif path.suffix.lower() not in ARTICLE_SUFFIXES:
            lines.append(_skip(str(path), f"not an article file (expected {', '.join(ARTICLE_SUFFIXES)})"))
        else:
            usable.append((path, real, info))
    yield from sorted(lines, key=lambda item: Path(item.label))
    if not usable:
        yield _skip(raw, "folder has no article files")
    for path, real, info in usable:
        yield _read_file(real, str(path), info)


def _walk(folder: Path, problems: list[_Input]) -> Iterable[Path]:
    """Everything below `folder` but hidden entries; subfolders are entered, symlinks to folders are not."""
    try:
        with os.scandir(folder) as scan:
            found = list(scan)
    except OSError as exc:
        problems.append(_skip(str(folder), f"cannot read the folder ({exc.strerror})"))
        return
    for entry in found:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), problems)
        else:
            yield Path(entry.path)


def _broken_link(path: Path) -> str:
    try:
        return f"broken symlink (to {os.readlink(path)})"
    except OSError:
        return "broken symlink"


def _read_file(path: Path, label: str, info: os.stat_result) -> _Input:
    """A regular file's bytes, up to the size limit; `path` is its real path, `info` its `stat`."""
    try:
        return _Input(label, read_file(path, _MAX_BYTES, info), key=str(path))
    except FileRefused as exc:
        return _skip(label, exc.reason)
