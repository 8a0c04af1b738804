"""Text normalisation shared by ingest, the extractive backend and the evidence check.

Sources differ in typography (curly or straight quotes, en or em dashes, non-breaking
spaces); comparing text across sources or against evidence spans only works after the
same normalisation is applied to both sides.
"""

from __future__ import annotations

import re
import unicodedata

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


def normalize_typography(text: str) -> str:
    """Fold curly quotes, dashes and odd spaces to their ASCII forms (NFKC first)."""
    return strip_invisible(unicodedata.normalize("NFKC", text)).translate(_QUOTES)


def collapse_spaces(text: str) -> str:
    """Collapse runs of horizontal whitespace to one space and trim each line."""
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())


def comparable(text: str) -> str:
    """The form used to compare spans: typography folded, whitespace collapsed, case folded."""
    return " ".join(normalize_typography(text).split()).casefold()
