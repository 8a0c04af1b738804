"""Decoding: the bytes of an input -> text, or the reason they are not text.

UTF-8 (and UTF-16/32 with a byte-order mark) is read as it is; anything else is a
guess among legacy code pages, and the guess is reported, because a wrong one
garbles names. Binary data is told apart from text damaged by a few stray NULs.
"""

from __future__ import annotations

import unicodedata

from charset_normalizer import CharsetMatch, from_bytes

__all__ = ["read_text"]


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
