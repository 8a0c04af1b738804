"""The model's input budget: how an article too long for one request is split.

The rule, in full: an article whose estimated size is over the budget is cut into parts
that each fit, only between paragraphs; a paragraph over the budget by itself is cut
between sentences; a sentence over the budget by itself (no real sentence is: the default
budget is some 16,000 characters of English) is cut between words. Nothing is dropped:
the parts together hold every paragraph, in order, and each part is extracted on its own
and checked against the whole article (see `briefing.extract.model.answers`). The run report
names every article that was split and into how many parts.

Sizes are estimated, not counted: the tokenizer is the server's and differs per model.
The estimate errs high on purpose (ASCII at four characters per token, which is about
what English costs; anything else at one token per character, which is what Chinese or
Japanese can cost), so that a part never overflows a context the estimate said it fits.
"""

from __future__ import annotations

import itertools
import math
import re

from briefing.text import sentence_spans

__all__ = ["DEFAULT_MAX_INPUT_TOKENS", "estimate_tokens", "split_to_budget"]

DEFAULT_MAX_INPUT_TOKENS = 4000
"""Fits an 8k-context model beside the ~2k-token prompt and a 2k-token answer."""

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def estimate_tokens(text: str) -> int:
    """A high estimate of the tokens `text` costs a model (see the module docstring)."""
    ascii_chars = sum(1 for char in text if char < "\x80")
    return math.ceil(ascii_chars / 4) + len(text) - ascii_chars


def _pieces(block: str, max_tokens: int) -> list[str]:
    """`block` as pieces within the budget: itself, else its sentences, else runs of words."""
    if estimate_tokens(block) <= max_tokens:
        return [block]
    # Cut where sentences end; whatever lies between sentences stays with the one before.
    ends = [end for _, end in sentence_spans(block)][:-1]
    if ends:
        sentences = [block[a:b].strip() for a, b in itertools.pairwise([0, *ends, len(block)])]
        return [piece for sentence in sentences if sentence for piece in _pieces(sentence, max_tokens)]
    return _pack(block.split(), " ", max_tokens)


def _pack(items: list[str], separator: str, max_tokens: int) -> list[str]:
    """`items` joined by `separator` into as few runs as fit `max_tokens`, greedily, in order.

    A run's estimate is kept as character counts while it grows (the separator is ASCII),
    so packing stays linear instead of re-measuring the whole run at every item.
    """
    runs: list[str] = []
    current: list[str] = []
    ascii_chars = other_chars = 0
    for item in items:
        item_ascii = sum(1 for char in item if char < "\x80")
        item_other = len(item) - item_ascii
        joined_ascii = ascii_chars + item_ascii + (len(separator) if current else 0)
        if current and math.ceil(joined_ascii / 4) + other_chars + item_other > max_tokens:
            runs.append(separator.join(current))
            current, ascii_chars, other_chars = [], 0, 0
            joined_ascii = item_ascii
        current.append(item)
        ascii_chars, other_chars = joined_ascii, other_chars + item_other
    if current:
        runs.append(separator.join(current))
    return runs


def split_to_budget(text: str, max_tokens: int) -> list[str]:
    """`text` as one part, or as several that each fit `max_tokens`, cut by the module's rule.

    Parts are packed greedily in reading order: each takes whole paragraphs while they
    fit. Every part is text of the article (paragraphs rejoined with a blank line).

    Raises:
        ValueError: `max_tokens` is below 1.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if estimate_tokens(text) <= max_tokens:
        return [text]
    blocks = [b.strip() for b in _PARAGRAPH_BREAK.split(text) if b.strip()]
    return _pack([p for block in blocks for p in _pieces(block, max_tokens)], "\n\n", max_tokens)
