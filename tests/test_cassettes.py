"""End-to-end model tests replayed from cassettes recorded against a real server.

The recordings come from `scripts/record_cassettes.sh` (by default llama-cpp-python's
server with SmolLM2-135M-Instruct; any OpenAI-compatible endpoint works). A model that
small rarely produces a usable extraction, so these tests check what must hold for any
model: the real HTTP exchange replays through openai's httpx2 transport, every answer is
validated and re-asked or falls back, and attempts, token usage, model name and
prompt/schema versions are recorded exactly as the cassette says they happened. Replays
run with the network blocked; an unrecorded request fails at once.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import openai
import pytest
import vcr as vcrpy
from conftest import ReadableYaml, json_body
from fault_server import FaultServer
from vcr.cassette import Cassette
from vcr.errors import CannotOverwriteExistingCassetteException

from briefing.check.grounding import find_evidence
from briefing.contracts import SCHEMA_VERSION, Article, ArticleExtraction, Backend, ExtractedArticle, Usage
from briefing.errors import FatalProviderError
from briefing.extract.model.backend import ModelBackend
from briefing.extract.model.prompt import PROMPT_VERSION
from briefing.extract.model.providers import make_client
from briefing.extract.model.request import mode_from_name
from briefing.extract.model.settings import ModelSettings
from briefing.extract.schedule import extract_all

PLACEHOLDER = "placeholder-key"
ARTICLE = Article(
    id="cassette0001",
    source="harbour-gazette",
    title="Ferry service resumes after storm repairs",
    text=(
        "Ferry service resumes after storm repairs\n\n"
        "The Northbay ferry returned to service on Tuesday after three weeks of repairs to the storm-damaged "
        "pier, the port authority said.\n\n"
        "Repairs cost $2.4 million, about 15% more than first estimated, according to the authority's "
        "figures.\n\n"
        '"We rebuilt the pier to take higher tides," said harbour master Lena Okafor.'
    ),
)


class StubExtractive:
    """Stands in for the offline backend: the fallback path is under test, not its output."""

    name = "extractive"

    def extract(self, article: Article) -> ArticleExtraction:
        return ArticleExtraction(headline=article.title, summary=article.title)


def backend_for(target: Any, **options: Any) -> ModelBackend:
    client = make_client(base_url=target.base_url, api_key=target.api_key, timeout=120.0)
    mode = mode_from_name(target.mode) if target.mode else None
    return ModelBackend(
        client, ModelSettings(model=target.model, mode=mode, backoff_initial_s=0.01, **options)
    )


def recorded_requests(cassette: Cassette) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in cassette.requests]


def recorded_usage(cassette: Cassette) -> Usage:
    total = Usage()
    for response in cassette.responses:
        usage = json.loads(response["body"]["string"]).get("usage") or {}
        details = usage.get("prompt_tokens_details") or {}
        total += Usage(
            prompt_tokens=usage.get("prompt_tokens") or 0,
            completion_tokens=usage.get("completion_tokens") or 0,
            cached_tokens=details.get("cached_tokens") or 0,
        )
    return total


def assert_recorded_provenance(result: ExtractedArticle, target: Any) -> None:
    assert result.meta.model == target.model
    assert result.meta.prompt_version == PROMPT_VERSION
    assert result.meta.schema_version == SCHEMA_VERSION


@pytest.mark.vcr
def test_extraction_or_fallback_is_recorded_with_its_provenance(vcr: Cassette, recording_target: Any) -> None:
    model = backend_for(recording_target, max_reasks=2, max_completion_tokens=768)

    [result] = extract_all([ARTICLE], model=model, extractive=StubExtractive())

    assert_recorded_provenance(result, recording_target)
    assert 1 <= result.meta.attempts == len(vcr) <= model.max_http_attempts
    assert result.meta.usage == recorded_usage(vcr)
    assert result.meta.usage.prompt_tokens > 0
    if result.meta.backend is Backend.model:
        assert result.meta.fallback_reason is None
        assert result.extraction.claims, "a model extraction keeps at least one grounded claim"
        for claim in result.extraction.claims:
            assert find_evidence(claim.evidence, ARTICLE.text)
    else:
        assert result.meta.fallback_reason
        assert result.meta.attempts == model.settings.max_reasks + 1, (
            "a validation fallback spends every re-ask"
        )
        assert result.extraction.headline == ARTICLE.title


@pytest.mark.vcr
def test_every_reask_sends_back_the_answer_and_the_errors(vcr: Cassette, recording_target: Any) -> None:
    model = backend_for(recording_target, max_reasks=1, max_completion_tokens=768)

    [result] = extract_all([ARTICLE], model=model, extractive=StubExtractive())

    requests = recorded_requests(vcr)
    finishes = [json.loads(r["body"]["string"])["choices"][0]["finish_reason"] for r in vcr.responses]
    assert len(requests) == result.meta.attempts
    first = requests[0]["messages"]
    assert [m["role"] for m in first] == ["system", "user"]
    assert ARTICLE.text.splitlines()[2] in first[1]["content"]
    if len(requests) == 1:
        assert result.meta.backend is Backend.model
    for (earlier, later), finish in zip(itertools.pairwise(requests), finishes, strict=False):
        previous, current = earlier["messages"], later["messages"]
        if finish == "length":
            assert len(current) == len(previous), "a cut-off answer is asked again from the start, shorter"
            assert "cut off at the length limit" in current[-1]["content"]
            continue
        assert current[: len(previous)] == previous, "a re-ask extends the conversation"
        added = current[len(previous) :]
        assert [m["role"] for m in added] == ["assistant", "user"]
        assert "Correct your JSON" in added[1]["content"]
    if result.meta.backend is Backend.extractive:
        assert (result.meta.fallback_reason or "").startswith("no valid answer in 2 tries; last")


@pytest.mark.vcr
def test_answers_cut_off_at_the_token_limit_are_reasked_shorter_then_fall_back(
    vcr: Cassette, recording_target: Any
) -> None:
    # Sixteen tokens cannot hold an ArticleExtraction for any model: every answer is cut off.
    model = backend_for(recording_target, max_reasks=1, max_completion_tokens=16)

    [result] = extract_all([ARTICLE], model=model, extractive=StubExtractive())

    assert result.meta.backend is Backend.extractive
    assert result.meta.fallback_reason == "no valid answer in 2 tries; last cut off at the 16-token limit"
    assert result.meta.attempts == len(vcr) == 2
    assert result.meta.usage == recorded_usage(vcr)
    first, second = (r["messages"] for r in recorded_requests(vcr))
    assert "at most 12 claims" in first[0]["content"]
    assert "at most 6 claims" in second[0]["content"]
    assert "cut off at the length limit" in second[-1]["content"]
    assert_recorded_provenance(result, recording_target)


@pytest.mark.vcr(record_mode="none")
def test_an_unrecorded_request_fails_at_once_and_reaches_no_server(fault_server: FaultServer) -> None:
    # No cassette exists for this test, so any request is unrecorded. The server is live
    # and would answer: it must see nothing.
    client = make_client(base_url=fault_server.base_url, api_key=PLACEHOLDER, timeout=5.0)
    model = ModelBackend(client, ModelSettings(model="fault-model", backoff_initial_s=0.01))
    started = time.monotonic()

    with pytest.raises(openai.APIConnectionError) as caught:
        model.extract(ARTICLE)

    assert isinstance(caught.value.__cause__, CannotOverwriteExistingCassetteException)
    assert time.monotonic() - started < 2.0
    assert fault_server.exchanges == []


@pytest.mark.block_network
def test_sockets_are_blocked_outside_recording(fault_server: FaultServer) -> None:
    client = make_client(base_url=fault_server.base_url, api_key=PLACEHOLDER, timeout=5.0)

    with pytest.raises(openai.APIConnectionError) as caught:
        client.models.list()

    assert "Network is disabled" in str(caught.value.__cause__)
    assert fault_server.exchanges == []


def test_a_recording_keeps_no_credentials_and_replays_through_httpx2(
    tmp_path: Path, fault_server: FaultServer, vcr_config: dict[str, Any]
) -> None:
    # A recording made here, against the fault server posing as a provider that sets
    # cookies and ids and echoes the key, then replayed with that server stopped.
    key = "sk-live-0123456789abcdef"
    fault_server.expected_key = key
    fault_server.extra_headers = {
        "Set-Cookie": "__cf_bm=tracking-cookie",
        "OpenAI-Organization": "org-private",
        "OpenAI-Project": "proj_private",
        "X-Request-Id": "req_private",
        "CF-Ray": "ray-private",
    }
    fault_server.script("ART-REC", ["ok", "400"])
    recorder = vcrpy.VCR(cassette_library_dir=str(tmp_path))
    recorder.register_serializer("yaml", ReadableYaml)
    recorder.register_matcher("json_body", json_body)
    config = {**vcr_config, "serializer": "yaml"}
    client = make_client(base_url=fault_server.base_url, api_key=key, timeout=5.0)
    model = ModelBackend(client, ModelSettings(model="fault-model", backoff_initial_s=0.01))
    source = Article(id="rec", source="s", title="t", text="ART-REC: " + ARTICLE.text)

    with recorder.use_cassette("scrub.yaml", record_mode="all", **config):
        recorded, _ = model.extract(source)
        with pytest.raises(FatalProviderError):
            model.extract(source)

    text = (tmp_path / "scrub.yaml").read_text(encoding="utf-8")
    for secret in (key, "Bearer", "sk-live", "private", "tracking-cookie"):
        assert secret not in text, secret
    assert "x-stainless" not in text.lower() and "authorization" not in text.lower()
    assert "    body:\n      json:\n        messages:\n" in text, "JSON bodies are stored as YAML data"
    assert "message: Request refused with 400 for key ***\n" in text

    fault_server.stop()
    replay_client = make_client(base_url=fault_server.base_url, api_key=PLACEHOLDER, timeout=5.0)
    replay = ModelBackend(replay_client, ModelSettings(model="fault-model", backoff_initial_s=0.01))
    with recorder.use_cassette("scrub.yaml", record_mode="none", **config) as cassette:
        replayed, meta = replay.extract(source)
        with pytest.raises(FatalProviderError):
            replay.extract(source)
        assert cassette.all_played
    assert replayed == recorded and meta.attempts == 1
