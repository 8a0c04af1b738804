"""Text normalisation and sentence splitting shared by ingest, extraction and the evidence check.

Sources differ in typography (curly or straight quotes, en or em dashes, non-breaking
spaces); comparing text across sources or against evidence spans only works after the
same normalisation is applied to both sides.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

import pysbd
from pysbd.languages import LANGUAGE_CODES

from briefing.merge.units import DIGIT_FINISHERS

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\f\v]+")


def strip_invisible(text: str) -> str:
    """Remove zero-width and soft-hyphen characters, which hide text and break matching."""
    return _ZERO_WIDTH.sub("", text)


# A fraction or a superscript digit right after a digit: NFKC would glue its digits to the number
# ("£0¼" -> "£01/4", "10²" -> "102"), so a space keeps the number as written.
_GLUED_TO_DIGIT = re.compile(rf"(?<=\d)(?=[{DIGIT_FINISHERS}])")


def normalize_typography(text: str) -> str:
    """Fold curly quotes, dashes and odd spaces to their ASCII forms (NFKC first)."""
    return strip_invisible(unicodedata.normalize("NFKC", _GLUED_TO_DIGIT.sub(" ", text))).translate(_QUOTES)


def collapse_spaces(text: str) -> str:
    """Collapse runs of horizontal whitespace to one space and trim each line."""
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())


@functools.lru_cache(maxsize=1 << 16)
def comparable(text: str) -> str:
    """The form used to compare spans: typography folded, whitespace collapsed, case folded.

    Cached: a merge asks for the same span's form several times (sorting, keys, digests).
    """
    return " ".join(normalize_typography(text).split()).casefold()


# ---------------------------------------------------------------------------
# sentences
# ---------------------------------------------------------------------------

# Languages pysbd has rules for; anything else goes to the regex splitter.
PYSBD_LANGUAGES = frozenset(LANGUAGE_CODES)
PYSBD_MAX_CHARS = 5000
"""Longer blocks go to the regex splitter: pysbd's time grows faster than the text (a wall of "a. a. a.")."""
# Abbreviations the regex splitter must not end a sentence after (case-folded, without the final dot).
_ABBREVIATIONS_TEXT = """
mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep rev hon pres vs etc inc ltd co corp no
nos vol fig jan feb mar apr jun jul aug sep sept oct nov dec approx est dept univ ave u.s u.k u.n e.u e.g i.e
a.m p.m
"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
_COURTESY_TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "st"})
# Full stops of scripts that do not put a space after them (Chinese, Japanese) or use their own marks.
_FULL_WIDTH_STOPS = "。！？｡"
_OTHER_STOPS = "؟।॥۔"
_TERMINAL_RUN = re.compile(rf"(?:[.!?…{_OTHER_STOPS}]+|[{_FULL_WIDTH_STOPS}]+)[\"'”’»」』)\]]*")
_LINE_END = ".!?…:;\"'”’»)]" + _FULL_WIDTH_STOPS + _OTHER_STOPS


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split text into sentences, each a verbatim substring of `text` (only outer whitespace stripped).

    Paragraphs (blank-line separated) never share a sentence, and neither do lines
    unless a line visibly continues on the next (no final punctuation, next line in
    lower case). Within a paragraph pysbd does the splitting (abbreviations, decimals,
    quotations); languages pysbd lacks, and scripts with their own full stops (Chinese
    '。', Arabic '؟', Hindi '।'), use a small regex splitter instead. Never raises on
    any input: empty text gives [].
    """
    return [text[start:end] for start, end in sentence_spans(text, language)]


def sentence_spans(text: str, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences `split_sentences` returns, so callers can map back to `text`."""
    spans: list[tuple[int, int]] = []
    for start, end in _block_spans(text):
        block = text[start:end]
        spans.extend((start + s, start + e) for s, e in _sentences_in_block(block, language))
    return spans


def _block_spans(text: str) -> list[tuple[int, int]]:
    """Paragraph-like blocks: split on blank lines, and on line breaks that end a sentence or heading."""
    blocks: list[tuple[int, int]] = []
    block_start: int | None = None
    previous = ""
    previous_end = 0
    position = 0
    for line in text.split("\n"):
        start, end = position, position + len(line)
        position = end + 1
        stripped = line.strip()
        if block_start is not None and (not stripped or _breaks_before(previous, stripped)):
            blocks.append((block_start, previous_end))
            block_start = None
        if stripped:
            if block_start is None:
                block_start = start
            previous, previous_end = stripped, end
    if block_start is not None:
        blocks.append((block_start, previous_end))
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in blocks) if e > s]


def _breaks_before(previous: str, line: str) -> bool:
    """Whether the break between two lines ends a sentence (the test ingest uses to re-join lines)."""
    if previous.endswith(tuple(_LINE_END)):
        return True
    if line[:1].islower():
        return False
    words = [w for w in previous.split() if w[:1].isalpha()]
    capitalised = sum(w[:1].isupper() for w in words)
    heading = len(words) <= 3 or capitalised >= 0.6 * len(words)
    # A name broken over two lines ("between President / Donald Trump") continues the sentence.
    return heading or not words[-1][:1].isupper()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentences_in_block(block: str, language: str) -> list[tuple[int, int]]:
    if not any(ch.isalnum() for ch in block):
        return []
    code = (language or "en").split("-")[0].split("_")[0].casefold()
    uses_own_stops = any(ch in block for ch in _FULL_WIDTH_STOPS + _OTHER_STOPS)
    if (
        code in PYSBD_LANGUAGES
        and not uses_own_stops
        and len(block) <= PYSBD_MAX_CHARS
        and _needs_pysbd(block)
    ):
        spans = _pysbd_spans(block, code)
        if spans is not None:
            return spans
    return _regex_spans(block)


def _needs_pysbd(block: str) -> bool:
    """Whether the block has a stop whose meaning the regex splitter might get wrong.

    pysbd is the slow part of extraction, so it only sees blocks with a full stop that
    is followed by a capital and preceded by something that may be an abbreviation
    ("to the U.S. The talks"). Stops inside numbers ("3.5"), before lower case, after
    a courtesy title ("Mr. Smit") or after an ordinary word split the same either way.
    """
    for match in _TERMINAL_RUN.finditer(block):
        end = match.end()
        if "." not in match.group() or end >= len(block) or not block[end].isspace():
            continue
        following = _next_visible(block, end)
        if not following or following.islower() or following.isdigit():
            continue
        word = _word_before(block, match.start())
        if word.casefold() in _COURTESY_TITLES or (len(word) > 3 and word.isalpha() and word[:1].islower()):
            continue
        if match.group().count(".") > 1:
            return True
        if len(word) <= 3 or not word.isalpha() or word.casefold() in ABBREVIATIONS:
            return True
    return False


def _pysbd_spans(block: str, language: str) -> list[tuple[int, int]] | None:
    try:
        pieces = _segmenter(language).segment(block)
    except Exception:  # pysbd's rules are regex soup; any failure falls back to the regex splitter
        return None
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        sentence = piece.strip()
        if not sentence:
            continue
        found = block.find(sentence, cursor)
        if found < 0:
            return None
        spans.append((found, found + len(sentence)))
        cursor = found + len(sentence)
    return spans


@functools.lru_cache(maxsize=32)
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language, clean=False)


def _regex_spans(block: str) -> list[tuple[int, int]]:
    """Split after '.', '!', '?' and other scripts' stops, unless an abbreviation, an initial or a quotation.

    Like pysbd, a closed quotation is never split ('He said: "We agree. It is done." Then...'
    keeps the quotation in one sentence); an unclosed one is, so a stray quotation mark
    cannot swallow the rest of the paragraph.
    """
    quoted = _quoted_ranges(block)
    openings = [open_ for open_, _ in quoted]
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _TERMINAL_RUN.finditer(block):
        end = match.end()
        inside = bisect.bisect_left(openings, match.start()) - 1
        if inside >= 0 and end <= quoted[inside][1]:
            continue
        full_width = any(ch in _FULL_WIDTH_STOPS for ch in match.group())
        if not full_width:
            if end < len(block) and not block[end].isspace():
                continue
            stop = match.group().rstrip("\"'”’»」』)]")
            if stop.endswith(".") and _abbreviation_before(block, match.start()):
                continue
            nxt = _next_visible(block, end)
            if nxt and nxt.islower():
                continue
        s, e = _trim(block, start, end)
        if e > s:
            spans.append((s, e))
        start = end
    s, e = _trim(block, start, len(block))
    if e > s:
        spans.append((s, e))
    return spans


_OPENING_QUOTES = {"“": "”", "«": "»", "„": "“”", "「": "」", "『": "』", '"': '"'}


def _quoted_ranges(block: str) -> list[tuple[int, int]]:
    """(opening, closing) positions of the double quotations closed within the block."""
    ranges: list[tuple[int, int]] = []
    opened: int | None = None
    closers = ""
    for i, ch in enumerate(block):
        if opened is None:
            if ch in _OPENING_QUOTES and (ch != '"' or i == 0 or not block[i - 1].isalnum()):
                opened, closers = i, _OPENING_QUOTES[ch]
        elif ch in closers:
            ranges.append((opened, i))
            opened = None
    return ranges


_VISIBLE = re.compile(r"\s*(\S?)")


def _next_visible(block: str, position: int) -> str:
    """The first non-space character at or after `position` ('' if none), without copying the rest.

    `block[position:].lstrip()[:1]` copies the rest of the block for every sentence,
    which makes a long block quadratic.
    """
    match = _VISIBLE.match(block, position)
    return match.group(1) if match else ""


def _word_before(block: str, stop: int) -> str:
    """The word that ends at `stop`, scanning back only as far as its start."""
    start = stop
    while start > 0 and not block[start - 1].isspace() and block[start - 1] not in "\"'“‘([":
        start -= 1
    return block[start:stop]


def _abbreviation_before(block: str, stop: int) -> bool:
    token = _word_before(block, stop).casefold().rstrip(".")
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())
