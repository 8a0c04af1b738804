"""The model's input budget: how an article too long for one request is split.

The rule, in full: an article whose estimated size is over the budget is cut into parts
that each fit, only between paragraphs; a paragraph over the budget by itself is cut
between sentences; a sentence over the budget by itself (no real sentence is: the default
budget is some 16,000 characters of English) is cut between words. Nothing is dropped:
the parts together hold every paragraph, in order, and each part is extracted on its own
and checked against the whole article (see `briefing.extract.model`). The run report
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
    pieces: list[str] = []
    current: list[str] = []
    for word in block.split():
        if current and estimate_tokens(" ".join([*current, word])) > max_tokens:
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


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
    parts: list[str] = []
    current: list[str] = []
    for piece in (p for block in blocks for p in _pieces(block, max_tokens)):
        if current and estimate_tokens("\n\n".join([*current, piece])) > max_tokens:
            parts.append("\n\n".join(current))
            current = []
        current.append(piece)
    if current:
        parts.append("\n\n".join(current))
    return parts
