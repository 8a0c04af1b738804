"""Briefs built from recorded model answers over the labelled clusters, scored like the extractive ones.

Each cassette holds every exchange of one cluster with a real server (by default
llama-cpp-python's server running SmolLM2-135M; `scripts/record_cassettes.sh`). A model
that small invents freely: figures that are in no article, evidence that was never
written. What must hold for any model is that none of that reaches a reader: every
figure the brief shows is in the evidence of an article it cites, and every citation is
backed by evidence found in that article. The figures the answers made up are listed
from the recording itself, so the test shows what was caught, not only that nothing
leaked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cassettes import backend_for
from vcr.cassette import Cassette

from briefing.check.evaluate import load_cluster, score
from briefing.check.grounding import figure_in_text
from briefing.check.verify import shown_statements, verify
from briefing.contracts import Backend
from briefing.extract.extractive.backend import ExtractiveBackend
from briefing.extract.schedule import extract_all
from briefing.ingest.read import ingest
from briefing.merge.brief import merge
from briefing.merge.numbers import find_figures

EVAL = Path(__file__).parent / "eval"
# The clusters recorded in cassettes/. To score another, add its name and record it against a
# server with `scripts/record_cassettes.sh`.
RECORDED = ("london-talks", "turkey-syria-quake", "world-cup-final-2022")
CLUSTERS = [EVAL / name for name in RECORDED]


def answer_texts(cassette: Cassette) -> list[str]:
    """The model's answer in each recorded response: message content or forced tool arguments."""
    texts = []
    for response in cassette.responses:
        body = json.loads(response["body"]["string"])
        for choice in body.get("choices") or []:
            message = choice.get("message") or {}
            texts.append(message.get("content") or "")
            texts.extend(call["function"]["arguments"] for call in message.get("tool_calls") or [])
    return texts


def figure_values(answer: str) -> list[str]:
    """Every figure value an answer states, whether or not the answer parses as a whole."""
    try:
        data: Any = json.loads(answer)
    except json.JSONDecodeError:
        return [f.value for f in find_figures(answer)]
    values: list[str] = []
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("value"), str):
                values.append(node["value"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            values.extend(f.value for f in find_figures(node))
    return values


@pytest.mark.vcr
@pytest.mark.parametrize("folder", CLUSTERS, ids=lambda p: p.name)
def test_a_brief_from_recorded_model_answers_shows_only_what_its_sources_hold(
    vcr: Cassette, recording_target: Any, folder: Path
) -> None:
    cluster = load_cluster(folder)
    articles = ingest([str(p) for p in cluster.article_paths]).articles
    model = backend_for(recording_target, max_completion_tokens=1024, deadline_s=900.0)

    extracted = extract_all(articles, model=model, extractive=ExtractiveBackend())
    brief = merge(extracted)
    scores = score(brief, cluster, {a.id: a for a in articles})

    # Every recorded exchange is one counted attempt (an unplayed one fails the replay, see
    # conftest), and the report accounts for every article.
    assert sum(e.meta.attempts for e in extracted) == len(vcr) > 0
    fell_back = [e for e in extracted if e.meta.backend is Backend.extractive]
    assert all(e.meta.fallback_reason for e in fell_back)
    assert brief.report.fallbacks == len(fell_back)
    for used in (e for e in extracted if e.meta.backend is Backend.model):
        assert used.meta.model == recording_target.model and used.extraction.claims

    assert scores.figure_faithfulness.value == 1.0, scores.figure_faithfulness.missed
    assert scores.citation_precision.value == 1.0, scores.citation_precision.missed
    assert verify(brief, articles).unsupported == []

    sources = "\n\n".join(a.text for a in articles)
    stated = {v for text in answer_texts(vcr) for v in figure_values(text)}
    invented = {v for v in stated if not figure_in_text(v, sources)}
    shown = "\n".join(s.text for s in shown_statements(brief))
    leaked = sorted(v for v in invented if figure_in_text(v, shown))
    assert leaked == [], f"figures the model made up reached the brief: {leaked}"
    print(
        f"{folder.name}: {len(extracted) - len(fell_back)} of {len(extracted)} articles from the model, "
        f"{len(vcr)} answers, {len(invented)} invented figure(s) kept out, "
        f"figures {scores.figure_faithfulness.hits}/{scores.figure_faithfulness.total}"
    )
