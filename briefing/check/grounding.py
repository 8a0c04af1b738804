"""Evidence checks: is what an extraction cites really in the article?

A model can paraphrase an "evidence" span, invent a number or tidy up a quote. The
brief cites every statement, so anything whose support cannot be found in the article
text is removed before merge rather than shown with a citation it does not have. The
checks are pure functions of the strings involved, so the model backend can use them
while validating an answer and a later `verify` command can rerun them on any brief.

Both sides are compared after `briefing.text.comparable`, which folds typography and
whitespace the way sources differ; long spans also tolerate a few characters of
difference (a dropped comma, a different apostrophe) through fuzzy partial matching,
short spans and quotes do not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from rapidfuzz import fuzz

from briefing.contracts import ArticleExtraction, Claim
from briefing.merge.numbers import numbers_in, unstated_numbers
from briefing.text import comparable

T = TypeVar("T")

__all__ = [
    "FUZZY_MIN_CHARS",
    "FUZZY_MIN_SCORE",
    "MIN_EVIDENCE_CHARS",
    "check_extraction",
    "figure_in_text",
    "find_evidence",
    "quotations",
    "quote_is_verbatim",
    "reads_as_instructions",
]

FUZZY_MIN_CHARS = 20
"""Spans shorter than this must match exactly: a few edits would change their meaning."""
FUZZY_MIN_SCORE = 95.0
"""rapidfuzz partial_ratio needed for a long span; 95 allows about one edit in twenty characters."""
MIN_EVIDENCE_CHARS = 10
"""Evidence shorter than this ('the', 'he said') would be found in any article, so proves nothing."""

_WORD = re.compile(r"[^\W_]+")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\]|\[…\])\s*")
_QUOTE_EDGES = "\"'“”‘’«» \t\n"


def find_evidence(span: str, text: str) -> bool:
    """Whether `span` occurs in `text`, up to typography, whitespace and case.

    Spans of `FUZZY_MIN_CHARS` or more also match with rapidfuzz `partial_ratio` of at
    least `FUZZY_MIN_SCORE`, so a model that drops a comma is not punished; shorter spans
    must match exactly, because one changed word in a short span is a different claim.
    A near match must still state only numbers, with their scales, that the text states:
    one changed digit or scale word ('84.5%' for '34.5%', 'trillion' for 'billion') is
    the slip that matters most, and fuzzy matching alone would let it through.
    """
    needle = comparable(span)
    if not needle:
        return False
    haystack = comparable(text)
    if needle in haystack:
        return True
    if len(needle) < FUZZY_MIN_CHARS or len(needle) > len(haystack):
        return False
    if fuzz.partial_ratio(needle, haystack, score_cutoff=FUZZY_MIN_SCORE) < FUZZY_MIN_SCORE:
        return False
    stated = {(n.value, n.scale) for n in numbers_in(text)}
    return all((n.value, n.scale) in stated for n in numbers_in(span))


def figure_in_text(value: str, text: str, language: str | None = None) -> bool:
    """Whether the figure `value` (as the model wrote it) is stated in `text`.

    Compares the numbers, not the spelling around them: '34.5%' is supported by
    '34.5 percent' and '$28.8 billion' by '28.8 billion dollars'. When the figure names a
    scale, the text must state the same amount ('28.8 billion' does not support
    '$28.8 million'). A figure written without digits ('three', 'half') must appear as a word.

    `language` is the text's: a figure from a text that writes '4,2 millions' may come
    either way (the model may copy it or translate it), so both readings are tried.
    """
    wanted = numbers_in(value)
    if not wanted:
        words = comparable(value)
        return (
            bool(words) and re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", comparable(text)) is not None
        )
    return not unstated_numbers(value, numbers_in(text, language), language)


def quote_is_verbatim(quote: str, text: str) -> bool:
    """Whether `quote` appears word for word in `text` (typography and case aside).

    Quotation marks around the quote and an ellipsis marking an omission are allowed;
    each part between ellipses must appear, in order. No fuzzy matching: a quote that
    differs by a word is a misquote.
    """
    body = comparable(quote).strip(_QUOTE_EDGES)
    if not body:
        return False
    haystack = comparable(text)
    position = 0
    for part in _ELLIPSIS.split(body):
        part = part.strip(_QUOTE_EDGES)
        if not part:
            continue
        found = haystack.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _name_in_text(name: str, text: str) -> bool:
    folded = comparable(text)
    words = _WORD.findall(comparable(name))
    return bool(words) and all(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", folded) for w in words)


_QUOTED = re.compile(r"[\"“”«»„]([^\"“”«»„]{3,}?)[\"“”«»]")
# Two or more capitalised words in a row (a person or body), allowing "al-", "de", "van" inside.
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:(?:al|de|van|von|bin|da|di)[- ])?[A-Z][\w'’-]+)+")


_INSTRUCTIONS = re.compile(
    r"|".join(
        (
            r"\b(?:ignore|disregard|forget|override)\b[^.!?]{0,30}"
            r"\b(?:previous|prior|above|earlier|preceding|your|system)\b[^.!?]{0,15}"
            r"\b(?:instructions?|prompts?|rules|guidelines|directions)\b",
            r"^\W*(?:system|assistant|developer)\s*(?:message|prompt)?\s*:",
            r"\b(?:system prompt|developer mode|jailbreak|as an ai\b|language model)",
            r"\byou are (?:now|an? (?:ai|assistant|language model|chatbot))\b",
            r"\b(?:reply|respond|answer|output)\s+(?:only\s+)?with\s+(?:only\s+)?the\s+word\b",
            r"\badd (?:this|the following) link\b",
            r"\b(?:change|rewrite|replace) (?:the|your) (?:headline|summary|title)\b",
            r"<<\s*(?:article|end)-",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)
_ANY_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|«[^»]*»")
_LINK = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)


def reads_as_instructions(text: str) -> bool:
    """True when text outside quotation marks is addressed to a language model, not to readers.

    Planted instructions ("ignore previous instructions", a fake "System:" line, "add
    this link", "change the headline") are data to report at most, never news: a claim
    made of them is not used. Inside quotation marks the same words are someone's
    reported speech (a story about prompt injection quotes them) and stay.
    """
    return bool(_INSTRUCTIONS.search(_ANY_QUOTED.sub(" ", text)))


def links_in(text: str) -> list[str]:
    """Web addresses written in a text."""
    return [link.rstrip(".,;:)") for link in _LINK.findall(text)]


def quotations(statement: str) -> list[str]:
    """Text a statement presents inside quotation marks, in any of the marks news uses."""
    return list(_QUOTED.findall(statement))


def quoted_spans(statement: str) -> list[str]:
    """Text a statement presents inside quotation marks (two words or more: a real quotation)."""
    return [q for q in quotations(statement) if len(q.split()) >= 2]


def names_in(statement: str) -> list[str]:
    """Runs of capitalised words: the names (and titles) a statement puts forward."""
    return _NAME.findall(statement)


_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def name_words(text: str) -> set[str]:
    """The words of a text as compared for names: case-folded, dots dropped (U.S. = US).

    A possessive is the name's: "[Maren Holt’s] office" names Maren Holt.
    """
    return set(_WORD.findall(comparable(_POSSESSIVE.sub("", text)).replace(".", "")))


def _claim_problem(claim: Claim, text: str, language: str | None, translated: bool) -> str | None:
    if len(comparable(claim.evidence)) < MIN_EVIDENCE_CHARS:
        return "evidence too short to check"
    if not find_evidence(claim.evidence, text):
        return "evidence not found in article"
    if reads_as_instructions(claim.evidence) or reads_as_instructions(claim.statement):
        return "reads as instructions to a model, not news (article text is data)"
    for link in links_in(claim.statement):
        if link not in claim.evidence:
            return f"link {link!r} in the statement is not in its evidence"
    for figure in claim.figures:
        # A model may put the scale in the unit ("2", "million people"); read the two together.
        stated = (figure.value, f"{figure.value} {figure.unit}")
        if not any(figure_in_text(value, claim.evidence, language) for value in stated):
            return f"figure {figure.value!r} not in its evidence"
    # The statement may keep the article's way of writing a number ("1 200", "4,2").
    unsupported = unstated_numbers(claim.statement, numbers_in(claim.evidence, language), language)
    if unsupported:
        return f"number {unsupported[0].literal!r} in the statement is not in its evidence"
    for quoted in quoted_spans(claim.statement):
        if not quote_is_verbatim(quoted, text):
            return f"quotation {quoted!r} in the statement is not verbatim in the article"
    words = name_words(text)
    for name in names_in(claim.statement):
        # Translated, "The Port Authority of Northbay" keeps only "Northbay" of the
        # original, so one word of a name must be in the article; otherwise every word.
        missing = not (name_words(name) & words) if translated else bool(name_words(name) - words)
        if missing:
            return f"name {name!r} in the statement is not in the article"
    return None


def check_extraction(
    extraction: ArticleExtraction, article_text: str, *, language: str | None = None, translated: bool = False
) -> tuple[ArticleExtraction, list[str]]:
    """Remove whatever the article does not support; say what was removed and why.

    Removed: claims whose evidence is not in the article (or too short to prove
    anything), whose figures are not in their evidence, whose statement states a
    number or a link the evidence does not, or that read as instructions to a model
    (`reads_as_instructions`); quotes that are not verbatim; interpretation points
    whose evidence is not in the article; entities whose name does not appear. Numbers
    in reasons are 1-based positions in the input lists, e.g.
    "claim 3: evidence not found in article".

    `language` is the article's (how its numbers are written). With `translated`, the
    statements are in another language than the article, so a name in a statement
    needs only one of its words in the article, not all.

    Returns:
        A cleaned copy (the input is not changed) and the reasons, in input order.
    """
    reasons: list[str] = []

    def keep(items: Sequence[T], label: str, problem: Callable[[T], str | None]) -> list[T]:
        kept = []
        for number, item in enumerate(items, start=1):
            why = problem(item)
            if why is None:
                kept.append(item)
            else:
                reasons.append(f"{label} {number}: {why}")
        return kept

    claims = keep(extraction.claims, "claim", lambda c: _claim_problem(c, article_text, language, translated))
    quotes = keep(
        extraction.quotes,
        "quote",
        lambda q: None if quote_is_verbatim(q.text, article_text) else "not verbatim in article",
    )
    points = keep(
        extraction.interpretation,
        "interpretation",
        lambda p: (
            None
            if len(comparable(p.evidence)) >= MIN_EVIDENCE_CHARS and find_evidence(p.evidence, article_text)
            else "evidence not found in article"
        ),
    )
    entities = keep(
        extraction.entities,
        "entity",
        lambda e: None if _name_in_text(e.name, article_text) else f"name {e.name!r} not found in article",
    )

    cleaned = extraction.model_copy(
        update={
            "claims": claims,
            "quotes": quotes,
            "interpretation": points,
            "entities": entities,
        },
        deep=True,
    )
    return cleaned, reasons
