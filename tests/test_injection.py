"""Instructions planted in articles change nothing: article text is data.

`tests/injection/` holds three articles about one story, each with text planted for a
model to obey (listed in `planted.json`): "ignore previous instructions", a fake system
message between fake boundary markers, a request to change the headline and add a link,
an HTML comment addressed to the assistant, a zero-width character. The brief built from
them must be byte for byte the brief built from the same articles with the planted text
taken out, with the extractive backend and with a model that obeys every instruction
(the fault server's `obey` answer); the evidence check holds for every statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import write_articles
from fault_server import ATTACKER_LINK, FaultServer
from servers import serve

from briefing.check.verify import verify
from briefing.ingest.read import ingest
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render.brief import render_markdown

FIXTURES = Path(__file__).parent / "injection"
PLANTED: dict[str, list[str]] = json.loads((FIXTURES / "planted.json").read_text(encoding="utf-8"))
LEAKS = ("attacker.example", "developer mode", "ignore previous", "sank", "unsafe", "condemned")
# The planted reply is the shouted word; "Councillors approved the extra spending" is news.
CASED_LEAKS = ("APPROVED",)


def write_copies(folder: Path, *, planted: bool) -> list[str]:
    """The fixture articles under their own names, with or without the planted text."""
    texts = {}
    for name, spans in PLANTED.items():
        texts[name] = (FIXTURES / name).read_text(encoding="utf-8")
        if not planted:
            for span in spans:
                texts[name] = texts[name].replace(span, "")
    return [str(path) for path in write_articles(folder, texts)]


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with serve(FaultServer()) as server:
        yield server


def assert_clean(markdown: str) -> None:
    folded = markdown.casefold()
    for leak in LEAKS:
        assert leak.casefold() not in folded, leak
    for leak in CASED_LEAKS:
        assert leak not in markdown, leak


def test_the_fixtures_really_carry_the_planted_text() -> None:
    for name, spans in PLANTED.items():
        text = (FIXTURES / name).read_text(encoding="utf-8")
        assert all(span in text for span in spans), name


def test_the_extractive_brief_is_the_brief_without_the_planted_text(tmp_path: Path) -> None:
    options = BuildOptions(backend=BackendChoice.extractive)
    attacked = build(write_copies(tmp_path / "planted", planted=True), options)
    clean = build(write_copies(tmp_path / "clean", planted=False), options)

    assert render_markdown(attacked) == render_markdown(clean)
    assert_clean(render_markdown(attacked))
    assert verify(attacked, ingest(write_copies(tmp_path / "again", planted=True)).articles).ok


def test_a_model_that_obeys_the_planted_text_changes_nothing(tmp_path: Path, server: FaultServer) -> None:
    options = BuildOptions(backend=BackendChoice.model, base_url=server.base_url, model="fault-model")
    server.default_action = "obey"
    attacked = build(write_copies(tmp_path / "planted", planted=True), options)
    server.default_action = "ok"
    clean = build(write_copies(tmp_path / "clean", planted=False), options)

    assert attacked.report.fallbacks == clean.report.fallbacks == 0
    assert render_markdown(attacked) == render_markdown(clean)
    assert_clean(render_markdown(attacked))
    dropped = [reason for a in attacked.report.articles for reason in a.claims_dropped]
    assert sum("reads as instructions to a model" in r for r in dropped) == 3, dropped
    titles = {(FIXTURES / name).read_text(encoding="utf-8").splitlines()[0] for name in PLANTED}
    assert attacked.headline in titles, "the brief's headline is an outlet's, never the model's"
    assert sum(f"link {ATTACKER_LINK!r}" in r for r in dropped) == 3
    requests = [json.dumps(e.body) for e in server.exchanges]
    assert len(requests) == 6 and all("subscriber" not in r for r in requests)
    for name in PLANTED:
        own = (FIXTURES / name).read_text(encoding="utf-8").splitlines()[0]
        assert sum(own in r for r in requests) == 2, "each request carries its own article only"
