"""Ingest: files, folders and stdin -> cleaned `Article` models.

Real news text arrives messy: web debris ("Related Articles", "Back to top"),
paragraphs repeated by syndication, lines broken mid-sentence, unknown encodings.
Ingest cleans what it can without changing any sentence's words, because the
evidence spans later checked against the article must still be found in it.
Every input that cannot be used becomes an `InputProblem` (one line for the user),
never an exception, so one bad file does not stop the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import trafilatura
from charset_normalizer import CharsetMatch, from_bytes

from briefing.contracts import PART_LOST, Article, IngestResult, InputProblem
from briefing.ingest.feeds import FeedEntry, FeedQuery, parse_feed, select_entries
from briefing.ingest.fetch import Fetcher, FetchError, is_url
from briefing.ingest.files import FileRefused, read_file, size_text, special_kind
from briefing.ingest.language import detect_language
from briefing.ingest.syndication import fold_copies
from briefing.text import collapse_spaces, comparable, strip_invisible

__all__ = ["ARTICLE_SUFFIXES", "PageMeta", "article_from_text", "html_to_text", "ingest", "read_text"]

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".html", ".htm")

# Whole lines that are page furniture, not article text (compared case-insensitively,
# ignoring punctuation). Kept as data so an editor can see and extend the list.
DEBRIS_LINES = frozenset(
    {
        "related articles",
        "related",
        "related stories",
        "read more",
        "read also",
        "see also",
        "more stories",
        "back to top",
        "back to top button",
        "share this article",
        "share",
        "share on facebook",
        "share on twitter",
        "tweet",
        "advertisement",
        "sponsored",
        "skip to content",
        "skip to main content",
        "print",
        "comments",
        "leave a comment",
        "subscribe",
        "sign up",
        "newsletter",
        "cookie settings",
        "accept cookies",
    }
)
_DEBRIS_PREFIXES = (
    "follow us on",
    "sign up for",
    "subscribe to",
    "click here",
    "all rights reserved",
    "copyright ©",
    "©",
)
_SOURCE_LINE = re.compile(r"^(?:source|sources|via)\s*:\s*(?P<name>.{2,60}?)\.?$", re.IGNORECASE)
_TERMINAL = tuple(".!?:;\"'”’)]…")
_HTML_HINT = re.compile(r"<\s*(?:!doctype|html|body|p|div|article|br|span|head)\b", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MAX_BYTES = 5_000_000
_HTML_NOTE = "HTML given as text; converted to plain text"
_WEB_PAGE_NOTE = "web page: main text and metadata read with trafilatura"


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
    (one without a cache when none is given). An input given twice is read once, and
    near-identical articles (syndicated copies) are folded into one (`fold_copies`).
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
            article, problem = _article_from_bytes(item.data, item.label, item.page)
            if problem is not None:
                problems.append(problem)
            if article is not None:
                articles.append(article)
    finally:
        if own_fetcher is not None:
            own_fetcher.close()
    folded, copies = fold_copies(articles)
    return IngestResult(articles=folded, problems=problems + copies)


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
        if item.problem is not None and len(_html_to_text(entry.content)) >= _MIN_MAIN_TEXT:
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


def read_text(data: bytes) -> tuple[str | None, str | None]:
    """Decode bytes as text; return (text, note) or (None, reason) for binary data.

    UTF-16 and UTF-32 with a byte-order mark are decoded without a note, as UTF-8 is
    (the mark leaves no doubt). Otherwise UTF-8 is
    tried first; anything else is guessed with charset-normalizer and the guess is
    reported, because a wrong guess garbles names and the user should know. NUL
    characters are kept here (`article_from_text` removes them and notes how many).
    """
    for bom, encoding, name in _BYTE_ORDER_MARKS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None
            except UnicodeDecodeError:
                return None, f"binary file (not {name}, despite its byte-order mark)"
    if _binary_head(data[:8192]):
        return None, "binary file (contains NUL bytes)"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    best = _best_legacy_decoding(data)
    if best is None:
        return None, "binary file (no text encoding fits)"
    text = str(best)
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\x00")
    if controls > max(2, len(text) // 100):
        return None, "binary file (mostly control characters)"
    return text, f"not UTF-8; decoded as {best.encoding}"


_BYTE_ORDER_MARKS = (  # UTF-32's marks first: UTF-16 LE's is the start of UTF-32 LE's
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
)
_CONTROL_BYTES = frozenset(range(0x20)) - frozenset(b"\t\n\v\f\r\x1b")
_NUL_SHARE = 0.1


def _binary_head(head: bytes) -> bool:
    """Whether the first bytes of a file with NUL bytes in them are binary data, not text.

    Text damaged by a few stray NULs (a bad copy, a tool padding a field) is still text,
    and its NULs are removed later. Binary formats hold NULs among other control bytes
    (a length, a flag, a small number), which text never has, or runs of them; so a
    head with NULs is binary when it also holds another control byte, or when NULs
    make up more than a tenth of it. (charset-normalizer is no judge here: it calls text
    with a stray NUL UTF-8 and /bin/ls nothing, but guesses UTF-16 for short binary heads.)
    """
    nuls = head.count(0)
    if not nuls:
        return False
    return nuls > _NUL_SHARE * len(head) or any(byte in _CONTROL_BYTES for byte in head if byte)


_LEGACY_ENCODINGS = (
    "cp1252",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1257",
)
"""The common legacy encodings of news text, most common first: ties go to the earlier."""
_TYPOGRAPHY = frozenset("€£¥°§©®™¿¡·…\u00a0")


def _odd_characters(text: str) -> int:
    """Non-ASCII characters that are neither letters nor typography: the marks of a wrong guess.

    A wrong code page turns letters into symbols ('Z³rich' for 'Zürich', 'będ±' for 'będą');
    the right one gives letters, quotation marks and dashes.
    """
    return sum(
        1
        for ch in text
        if ch > "\x7f"
        and not ch.isalpha()
        and ch not in _TYPOGRAPHY
        and unicodedata.category(ch) not in ("Pi", "Pf", "Pd", "Ps", "Pe", "Zs", "Mn")
    )


def _best_legacy_decoding(data: bytes) -> CharsetMatch | None:
    """The most plausible decoding of bytes that are not UTF-8.

    charset-normalizer ranks the code pages a text fits, but short texts fit several
    equally well and it may rank an obscure one first. So the common encodings are
    tried as well. A candidate much more chaotic than the cleanest is set aside; then the
    fewest odd characters win, then a common encoding over a rare one (cp775 reads German
    without odd characters, wrongly), then the better fit to a language's letter
    frequencies (Turkish in cp1254 over cp1252), then the commoner encoding.
    """
    found = from_bytes(data)
    candidates = {m.encoding: m for m in found}
    for encoding in _LEGACY_ENCODINGS:
        if encoding not in candidates and (match := from_bytes(data, cp_isolation=[encoding]).best()):
            candidates[encoding] = match
    if not candidates:
        return None
    cleanest = min(m.percent_chaos for m in candidates.values())
    order = list(dict.fromkeys([*_LEGACY_ENCODINGS, *(m.encoding for m in found)]))

    def key(match: CharsetMatch) -> tuple[bool, int, bool, float, int]:
        return (
            match.percent_chaos > cleanest + 1.0,
            _odd_characters(str(match)),
            match.encoding not in _LEGACY_ENCODINGS,
            -round(match.percent_coherence, 1),
            order.index(match.encoding),
        )

    return min(candidates.values(), key=key)


def _article_from_bytes(
    data: bytes, label: str, known: PageMeta | None = None
) -> tuple[Article | None, InputProblem | None]:
    text, note = read_text(data)
    if text is None:
        return None, InputProblem(path=label, reason=note or "not text", action="skipped")
    if not text.strip():
        reason = "empty file" if not text else "file has only whitespace"
        return None, InputProblem(path=label, reason=reason, action="skipped")
    notes = [note] if note else []
    article = article_from_text(text, label=label, notes=notes, known=known)
    if article is None:
        return None, InputProblem(path=label, reason="no article text left after cleaning", action="skipped")
    # How the file was read is worth a line (a wrong guess garbles names); routine cleaning
    # is kept in `Article.notes` for the JSON brief.
    read_as = [n for n in article.notes if n in (note, _HTML_NOTE)]
    problem = InputProblem(path=label, reason="; ".join(read_as), action="used") if read_as else None
    return article, problem


def article_from_text(
    text: str, *, label: str, notes: list[str] | None = None, known: PageMeta | None = None
) -> Article | None:
    """Clean raw text into an `Article`; None when nothing usable remains.

    `known` is what the caller already knows of the page (a URL's address and host, a
    feed entry's title, outlet and date); what the page says of itself comes first.
    """
    notes = list(notes or [])
    if nuls := text.count("\x00"):
        text = text.replace("\x00", "")
        notes.append(f"removed {nuls} NUL character(s)")
    known = known or PageMeta()
    page = PageMeta()
    if _HTML_HINT.search(text):
        text, page = html_to_text(text)
        web_page = known.url is not None or label.lower().endswith((".html", ".htm"))
        notes.append(_WEB_PAGE_NOTE if web_page else _HTML_NOTE)
    page = PageMeta(
        title=page.title or known.title,
        site=page.site or known.site,
        author=page.author or known.author,
        published=page.published or known.published,
        url=known.url,
    )
    text = strip_invisible(unicodedata.normalize("NFC", text)).replace("\r\n", "\n").replace("\r", "\n")
    text = _drop_html_comments(text)
    paragraphs = _paragraphs(collapse_spaces(text))
    paragraphs = [_strip_markdown(p) for p in paragraphs]

    source: str | None = None
    kept: list[str] = []
    debris = 0
    for paragraph in paragraphs:
        match = _SOURCE_LINE.match(paragraph)
        if match:
            source = match.group("name").strip()
            continue
        if _is_debris(paragraph):
            debris += 1
            continue
        kept.append(paragraph)
    while kept and _is_debris(kept[-1]):
        kept.pop()
    if debris:
        notes.append(f"removed {debris} line(s) of web debris")
    kept, repeats = _drop_repeats(kept)
    if repeats:
        notes.append(f"dropped {repeats} repeated paragraph(s)")
    if not kept:
        return None
    body = "\n\n".join(kept)
    stem = "stdin" if label == "-" else (page.site or label) if page.url else Path(label).stem
    return Article(
        id=hashlib.sha256(body.encode("utf-8")).hexdigest()[:12],
        source=source or page.site or stem,
        title=(page.title or _title(kept) or stem) if page.url else (_title(kept) or page.title or stem),
        path=label,
        text=body,
        notes=notes,
        author=page.author,
        published=page.published,
        url=page.url,
        language=detect_language(body),
    )


def _paragraphs(text: str) -> list[str]:
    """Split into paragraphs, re-joining lines broken in the middle of a sentence.

    Blank lines always separate paragraphs. Inside a block, a hard-wrapped paragraph
    (several long lines) is joined whole; otherwise each line is its own paragraph
    unless it visibly continues on the next one (the next line starts in lower case,
    or a capitalised name is split across the break). Whether the paragraph so far
    reads as a title is counted line by line, so a long run of joined lines costs
    linear time.
    """
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if _hard_wrapped(lines):
            out.append(" ".join(lines))
            continue
        current, words = [lines[0]], _Words(lines[0])
        for line in lines[1:]:
            if _continues(current[-1], words, line):
                current.append(line)
                words.add(line)
            else:
                out.append(" ".join(current))
                current, words = [line], _Words(line)
        out.append(" ".join(current))
    return out


def _hard_wrapped(lines: list[str]) -> bool:
    if len(lines) < 3:
        return False
    body = lines[:-1]
    return sum(55 <= len(line) <= 100 for line in body) >= 0.8 * len(body) and not all(
        line.endswith(_TERMINAL) for line in body
    )


class _Words:
    """Word counts of a paragraph being joined from lines: enough to tell whether it reads as a title."""

    def __init__(self, line: str) -> None:
        self.total = self.lettered = self.capitalised = 0
        self.add(line)

    def add(self, line: str) -> None:
        for word in line.split():
            self.total += 1
            if word[:1].isalpha():
                self.lettered += 1
                self.capitalised += word[:1].isupper()

    def title_like(self) -> bool:
        """Three words or fewer, or mostly capitalised, counting only words that start with a letter."""
        return self.lettered <= 3 or self.capitalised / self.lettered >= 0.6


def _continues(last_line: str, words: _Words, following: str) -> bool:
    """Whether `following` continues the paragraph that ends with `last_line` and has `words`."""
    if last_line.endswith(_TERMINAL) or words.title_like():
        return False
    if following[:1].islower():
        return True
    last = last_line.split()[-1]
    return last[:1].isupper() and following[:1].isupper() and words.total >= 4


def _strip_markdown(paragraph: str) -> str:
    paragraph = _MD_HEADING.sub("", paragraph)
    paragraph = _unlink_markdown(paragraph)
    return _MD_EMPHASIS.sub(r"\2", paragraph)


def _unlink_markdown(text: str) -> str:
    r"""Replace Markdown links and images, `[text](url)` and `![alt](url)`, by their text.

    The same as `re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)`, but in linear time:
    the regular expression rescans to the end of the text from every `[` that opens no
    link, which took minutes on a page of brackets.
    """
    parts: list[str] = []
    done = search = 0
    while (opening := text.find("[", search)) >= 0:
        closing = text.find("]", opening + 1)
        if closing < 0:
            break
        if not text.startswith("(", closing + 1):
            search = closing + 1  # every `[` before `closing` meets the same `]` first
            continue
        end = text.find(")", closing + 2)
        if end < 0:
            break
        start = opening - 1 if opening > done and text[opening - 1] == "!" else opening
        parts += (text[done:start], text[opening + 1 : closing])
        done = search = end + 1
    parts.append(text[done:])
    return "".join(parts)


def _drop_html_comments(text: str) -> str:
    """`text` without `<!-- ... -->` comments.

    The same as `re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)`, but in linear time: the
    regular expression rescans to the end from every `<!--` that is never closed.
    """
    parts: list[str] = []
    done = 0
    while (start := text.find("<!--", done)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[done:start])
        done = end + 3
    parts.append(text[done:])
    return "".join(parts)


def _is_debris(paragraph: str) -> bool:
    key = re.sub(r"[^\w\s©]", "", paragraph).strip().casefold()
    return key in DEBRIS_LINES or any(key.startswith(prefix) for prefix in _DEBRIS_PREFIXES)


_TRUNCATED_COPY = 40
"""Characters a paragraph needs before it counts as a truncated copy of a longer one."""


def _drop_repeats(paragraphs: list[str]) -> tuple[list[str], int]:
    """Drop a paragraph seen before, or a truncated copy of one (a prefix of an earlier paragraph).

    Whether a paragraph goes depends only on the paragraphs before it, kept or not: what
    repeats a dropped paragraph repeats the one it was dropped for. So all are decided
    at once, in near-linear time, instead of comparing each paragraph with every earlier
    one (which took minutes on a few megabytes of short paragraphs).
    """
    keys = [comparable(p) for p in paragraphs]
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    longer = _first_longer(first)
    kept = [
        paragraph
        for index, (paragraph, key) in enumerate(zip(paragraphs, keys, strict=True))
        if first[key] == index and not (len(key) >= _TRUNCATED_COPY and longer[key] < index)
    ]
    return kept, len(paragraphs) - len(kept)


def _first_longer(first: dict[str, int]) -> dict[str, int]:
    """For each key, the earliest position of a longer key that starts with it (past the last when none).

    In sorted order the keys that start with a key follow it, so one pass with a stack
    of the keys that are prefixes of the current one finds every key's extensions:
    a key is popped when the pass leaves its extensions, handing their earliest
    position to the key below it.
    """
    none = max(first.values(), default=0) + 1
    longer: dict[str, int] = {}
    stack: list[tuple[str, int]] = []  # (key, earliest position among its longer keys so far)

    def pop() -> None:
        key, earliest = stack.pop()
        longer[key] = earliest
        if stack:
            below, below_earliest = stack[-1]
            stack[-1] = (below, min(below_earliest, earliest, first[key]))

    for key in sorted(first):
        while stack and not key.startswith(stack[-1][0]):
            pop()
        stack.append((key, none))
    while stack:
        pop()
    return longer


def _title(paragraphs: list[str]) -> str | None:
    """The first short line that reads as a headline (a one-word section label is skipped)."""
    for paragraph in paragraphs[:3]:
        words = paragraph.split()
        if len(words) <= 1:
            continue
        if len(words) <= 25 and not paragraph.endswith((".", ",", ";")):
            return paragraph
        return None
    return None


class _TextOnly(HTMLParser):
    """Keep visible text, one paragraph per block element.

    Dropped: scripts, styles and page furniture, and every element a reader cannot see
    (`hidden`, `aria-hidden="true"`, inline `display:none`, `visibility:hidden`, zero
    font size), which is where instructions for a model are usually planted.
    """

    _SKIP = frozenset({"script", "style", "noscript", "template", "nav", "footer", "aside", "head"})
    _FRAME = frozenset({"nav", "footer", "aside", "head"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "tr"}
    )
    _VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "base", "col"})
    _INVISIBLE_STYLE = re.compile(
        r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])", re.IGNORECASE
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # open elements, and whether each hides its content
        self._skipping = 0

    @classmethod
    def hides(cls, tag: str, attrs: list[tuple[str, str | None]], *, keep_frame: bool = False) -> bool:
        """Whether an element hides its content from a reader (or is page furniture).

        `keep_frame` leaves `head`, `nav`, `footer` and `aside` in place, for trafilatura,
        which reads metadata from the head and tells furniture from text itself.
        """
        values = {name.lower(): (value or "") for name, value in attrs}
        skip = cls._SKIP - cls._FRAME if keep_frame else cls._SKIP
        return (
            tag in skip
            or "hidden" in values
            or values.get("aria-hidden", "").lower() == "true"
            or bool(cls._INVISIBLE_STYLE.search(values.get("style", "")))
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n\n")
        if tag in self._VOID:
            return
        hides = self.hides(tag, attrs)
        self._open.append((tag, hides))
        self._skipping += hides

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n\n")
        if not any(name == tag for name, _ in self._open):
            return  # a stray end tag
        while self._open:  # close what was left open inside it, as browsers do
            name, hides = self._open.pop()
            self._skipping -= hides
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


@dataclass(frozen=True)
class PageMeta:
    """What a web page says about itself, when it says it."""

    title: str | None = None
    site: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None


_MIN_MAIN_TEXT = 200
"""Characters of main text below which trafilatura's answer is not trusted (a fragment, not a page)."""


def html_to_text(html: str) -> tuple[str, PageMeta]:
    """The main text of a web page, one paragraph per block, and its metadata.

    trafilatura finds the article and leaves out navigation, related links, comments,
    cookie banners and footers, and reads the title, site name, author and date from
    the page's metadata. It keeps text a reader cannot see, though, which is where
    instructions for a model are planted, so every hidden element is removed first
    (`_TextOnly`'s rules). A fragment too small for trafilatura to call an article is
    read block by block instead.
    """
    visible = _visible_html(html)
    document = trafilatura.bare_extraction(
        visible, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    found: dict[str, object] = {}
    if isinstance(document, dict):
        found = document
    elif document is not None:
        found = document.as_dict()
    text = str(found.get("text") or "").strip()
    meta = PageMeta(
        title=_meta(found.get("title")),
        site=_meta(found.get("sitename")),
        author=_meta(found.get("author")),
        published=_meta(found.get("date")),
    )
    if len(text) < _MIN_MAIN_TEXT:
        return _html_to_text(visible), meta
    return re.sub(r"\n+", "\n\n", text), meta


def _meta(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text[:200] or None


def _visible_html(html: str) -> str:
    """`html` without comments, scripts and the elements a reader cannot see."""
    html = _drop_html_comments(html)
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return html
    hidden = [
        element
        for element in root.iter()
        if isinstance(element.tag, str)
        and _TextOnly.hides(element.tag.lower(), list(element.attrib.items()), keep_frame=True)
    ]
    for element in hidden:
        if element.getparent() is not None:
            element.drop_tree()
    return str(lxml.html.tostring(root, encoding="unicode"))


def _html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(_drop_html_comments(html))
    parser.close()
    return re.sub(r"[ \t]*\n[ \t\n]*\n[ \t\n]*", "\n\n", "".join(parser.parts)).strip()
