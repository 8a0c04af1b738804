"""Article text built to be slow: the extractive backend stays near-linear on it.

Each long case runs in a child process with a timeout far above what it takes now and
far below what it took before, so a return of the quadratic cost fails the test
instead of stalling the suite; the fast functions are checked against the slow
definitions they replaced on small inputs.
"""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_input_limits import run_limited

from briefing.extract.extractive import leads
from briefing.extract.extractive.attribution import QuoteSpan, quotation_spans
from briefing.extract.extractive.leads import shorten

_CHILD = (
    "import sys\n"
    "from briefing.extract.extractive.backend import ExtractiveBackend\n"
    "from briefing.ingest.article import article_from_text\n"
    "article = article_from_text(sys.stdin.read(), label='x.txt')\n"
    "extraction = ExtractiveBackend().extract(article)\n"
    "print(len(extraction.claims), len(extraction.quotes))\n"
)


def _quoted_sentences() -> str:
    return "Ferry Talks\n\n" + "".join(
        f'Minister Dahl said "the ferry number {i} will run on time" on Tuesday in Oslo. '
        for i in range(40_000)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: "Title\n\n" + '"' * 4_000_000,  # each mark searched to the end of its line (69 s)
        lambda: "Title\n\n" + "„a“" * 1_000_000,  # a German mark: the rarer closer searched to the end
        _quoted_sentences,  # every sentence's category checked against every quotation (minutes)
        lambda: (
            "Title\n\n" + "the ferry ran on time and " * 40_000 + "stopped."
        ),  # headline cut: a split per break
    ],
    ids=["quotation-marks", "german-quotations", "quoted-sentences", "one-long-sentence"],
)
def test_text_built_to_be_slow_is_extracted_in_bounded_time(make: object) -> None:
    assert callable(make)
    proc = run_limited([sys.executable, "-c", _CHILD], input=make())
    assert proc.returncode == 0, proc.stderr


_OLD_PAIRS = {"“": "”", "«": "»", "„": "“”", "‘": "’", '"': '"', "「": "」", "『": "』", "‹": "›"}


def _old_quotation_spans(text: str) -> list[QuoteSpan]:
    """The definition: the end of the line and every closing mark looked up afresh for each opening mark."""
    spans: list[QuoteSpan] = []
    hopeless: dict[str, int] = {}
    resume = 0
    n = len(text)
    for i, mark in enumerate(text):
        if mark not in _OLD_PAIRS:
            continue
        if i < resume or hopeless.get(mark, -1) > i or (mark in '‘"' and i > 0 and text[i - 1].isalnum()):
            continue
        line_end = text.find("\n", i)
        line_end = n if line_end < 0 else line_end
        found = [p for p in (text.find(c, i + 1, line_end) for c in _OLD_PAIRS[mark]) if p >= 0]
        close = min(found, default=-1)
        if mark == "‘":
            position = i + 1
            while True:
                close = text.find("’", position, line_end)
                if close < 0 or close + 1 >= len(text) or not text[close + 1].isalpha():
                    break
                position = close + 1
        if close < 0:
            hopeless[mark] = line_end
            continue
        spans.append(QuoteSpan(i, close, text[i + 1 : close]))
        resume = close + 1
    return spans


@settings(max_examples=1_500, deadline=None)
@given(st.text(alphabet='"“”„«»‘’「」‹›a 1.\n', max_size=40))
def test_quotations_are_found_exactly_as_defined(text: str) -> None:
    assert quotation_spans(text) == _old_quotation_spans(text)


def test_quotations_in_ordinary_text_are_found_as_defined() -> None:
    text = (
        '"We will reopen the route," said Minister Dahl. China’s reply, ‘a fair deal’, came late.\n'
        "„Wir bauen“, sagte sie. «C’est fini», a-t-il dit. He said \"yes\" and 'no'.\n"
        "An “open quotation that never closes\nand ‘another’s one"
    )
    assert quotation_spans(text) == _old_quotation_spans(text)
    assert len(quotation_spans(text)) == 5


def _old_shorten(sentence: str, limit: int) -> str:
    """The definition: the words before every break counted afresh."""
    text = sentence.strip().rstrip(leads._CLOSERS).rstrip(".!?。")
    if len(text.split()) <= limit:
        return text
    for pattern in (leads._CLAUSE_BREAKS, leads._PHRASE_BREAKS):
        cuts = [m.start() for m in pattern.finditer(text) if 4 <= len(text[: m.start()].split()) <= limit]
        if cuts:
            return leads._trim_weak(text[: max(cuts)])
    return leads._trim_weak(" ".join(text.split()[:limit]))


_HEADLINE_WORDS = [
    "the",
    "ferry",
    ",",
    ";",
    "-",
    "—",
    "and",
    "but",
    "on",
    "of",
    "x,",
    "\u00a0",
    "\u2009",
    ".",
]


@settings(max_examples=1_000, deadline=None)
@given(
    st.lists(st.sampled_from(_HEADLINE_WORDS), max_size=40).map(" ".join),
    st.sampled_from(["", " ", "\u00a0", "\t"]),
    st.integers(min_value=4, max_value=14),
)
def test_a_sentence_is_shortened_exactly_as_defined(words: str, glue: str, limit: int) -> None:
    sentence = re.sub(" ", lambda m: glue or " ", words, count=3)
    assert shorten(sentence, limit) == _old_shorten(sentence, limit)
