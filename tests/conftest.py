"""Shared fixtures: the fault-injecting and SMTP servers, and cassette recording and replay.

Cassettes live in the top-level `cassettes/` folder and are replayed by default
(pytest-recording's record mode "none", network blocked for every `vcr` test), so CI
never reaches a model server. Re-recording is deliberate: `scripts/record_cassettes.sh`.

What is written to a cassette is scrubbed on the way in: request headers are cut down
to an allowlist (no Authorization, no api-key, no SDK fingerprint), response headers
likewise (no set-cookie, openai-organization, openai-project, x-request-id, cf-ray...),
and anything that looks like a key is masked in both bodies. JSON bodies are stored as
YAML structures rather than one escaped string, so a cassette can be read and reviewed.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fault_server import FaultServer
from servers import serve
from smtp_server import SmtpServer
from vcr.cassette import Cassette
from vcr.record_mode import RecordMode
from vcr.request import Request

from briefing.extract.model.providers import OPENAI_BASE_URL, is_openai_endpoint

ROOT = Path(__file__).resolve().parents[1]
CASSETTES = ROOT / "cassettes"
RECORDING_FILE = CASSETTES / "recording.json"
PLACEHOLDER_KEY = "placeholder-key"
DEFAULT_RECORDING_BASE_URL = "http://127.0.0.1:8765/v1"
DEFAULT_RECORDING_MODEL = "smollm2-135m"

KEEP_REQUEST_HEADERS = frozenset({"content-type", "accept"})
KEEP_RESPONSE_HEADERS = frozenset({"content-type", "retry-after", "retry-after-ms"})
KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[\w*.\-]{4,}|\bBearer\s+\S+", re.IGNORECASE)
PYDANTIC_DOCS = re.compile(r"errors\.pydantic\.dev/[\w.]+/")


# ---------------------------------------------------------------------------
# loopback servers with their default behaviour (others: `with serve(...)`, tests/servers.py)
# ---------------------------------------------------------------------------


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with serve(FaultServer()) as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with serve(SmtpServer()) as server:
        yield server


# ---------------------------------------------------------------------------
# what the cassette tests talk to
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingTarget:
    """The endpoint cassettes were (or are being) recorded against; the key is never stored."""

    base_url: str
    model: str
    mode: str | None
    api_key: str


@pytest.fixture(scope="session")
def recording_target(record_mode: str) -> RecordingTarget:
    """Replay: the endpoint named in cassettes/recording.json. Record: the one in the environment.

    Requests are matched on host, port and body (which names the model), so a replay
    must use exactly what the recording used; recording writes it down for that.
    """
    if record_mode == "none":
        stored = json.loads(RECORDING_FILE.read_text(encoding="utf-8")) if RECORDING_FILE.exists() else {}
        return RecordingTarget(
            base_url=stored.get("base_url", DEFAULT_RECORDING_BASE_URL),
            model=stored.get("model", DEFAULT_RECORDING_MODEL),
            mode=stored.get("mode"),
            api_key=PLACEHOLDER_KEY,
        )
    key = os.environ.get("OPENAI_API_KEY")
    base_url = os.environ.get("BRIEFING_TEST_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
    if base_url is None:
        base_url = OPENAI_BASE_URL if key else DEFAULT_RECORDING_BASE_URL
    default_model = "gpt-4o-mini" if is_openai_endpoint(base_url) else DEFAULT_RECORDING_MODEL
    target = RecordingTarget(
        base_url=base_url,
        model=os.environ.get("BRIEFING_TEST_MODEL") or default_model,
        mode=os.environ.get("BRIEFING_TEST_MODE") or None,
        api_key=key or PLACEHOLDER_KEY,
    )
    public = {k: v for k, v in asdict(target).items() if k != "api_key"}
    CASSETTES.mkdir(exist_ok=True)
    RECORDING_FILE.write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
    return target


# ---------------------------------------------------------------------------
# pytest-recording configuration
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "match_on": ["method", "scheme", "host", "port", "path", "json_body"],
        "filter_headers": ["authorization", "api-key", "openai-organization", "openai-project", "cookie"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
    }


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_serializer("yaml", ReadableYaml)
    vcr.register_matcher("json_body", json_body)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every cassette test runs with sockets blocked unless it is recording.
    for item in items:
        if item.get_closest_marker("vcr") and not item.get_closest_marker("block_network"):
            item.add_marker(pytest.mark.block_network)


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own extraction cache: never the user's, never another test's."""
    monkeypatch.setenv("BRIEFING_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def _cassette_played_in_full(vcr: Cassette | None) -> Iterator[None]:
    """A replayed test must use every interaction it recorded, or the recording is stale."""
    yield
    if vcr is not None and vcr.record_mode == RecordMode.NONE and not vcr.all_played:
        unplayed = len(vcr) - vcr.play_count
        pytest.fail(f"{unplayed} recorded interaction(s) of {vcr._path} were not replayed; re-record")


def _mask(text: str) -> str:
    secret = os.environ.get("OPENAI_API_KEY")
    if secret:
        text = text.replace(secret, "***")
    return KEY_LIKE.sub("***", text)


def scrub_request(request: Request) -> Request:
    request = copy.deepcopy(request)
    for name in list(request.headers):
        if name.lower() not in KEEP_REQUEST_HEADERS:
            del request.headers[name]
    if request.body:
        body = request.body.decode("utf-8") if isinstance(request.body, bytes) else str(request.body)
        request.body = _mask(body).encode("utf-8")
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response = copy.deepcopy(response)
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() in KEEP_RESPONSE_HEADERS}
    body = response["body"].get("string")
    if isinstance(body, bytes):
        response["body"]["string"] = _mask(body.decode("utf-8", errors="replace")).encode("utf-8")
    elif isinstance(body, str):
        response["body"]["string"] = _mask(body)
    return response


def _parsed(body: Any) -> Any:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not body:
        return body
    try:
        return json.loads(PYDANTIC_DOCS.sub("errors.pydantic.dev/VERSION/", body))
    except (TypeError, ValueError):
        return body


def json_body(r1: Request, r2: Request) -> None:
    """Bodies are equal as JSON; pydantic's versioned docs links in re-ask messages are ignored.

    instructor sends the text of a validation error back to the model, and pydantic puts
    its version in that text; without this, upgrading pydantic would invalidate every
    cassette that contains a re-ask.
    """
    left, right = _parsed(r1.body), _parsed(r2.body)
    if left != right:
        raise AssertionError("request bodies differ")


# ---------------------------------------------------------------------------
# a cassette serializer that keeps JSON readable
# ---------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _as_json(text: Any) -> Any:
    if not isinstance(text, str) or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


class ReadableYaml:
    """vcrpy serializer: YAML, with JSON bodies stored as data under `json:` instead of a string."""

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        data = copy.deepcopy(cassette_dict)
        for interaction in data["interactions"]:
            request, response = interaction["request"], interaction["response"]
            if (parsed := _as_json(request.get("body"))) is not None:
                request["body"] = {"json": parsed}
            if (parsed := _as_json(response["body"].get("string"))) is not None:
                response["body"] = {"json": parsed}
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)

    @staticmethod
    def deserialize(cassette_string: str) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load(cassette_string)
        for interaction in data["interactions"]:
            request, response = interaction["request"], interaction["response"]
            if isinstance(request.get("body"), dict) and "json" in request["body"]:
                request["body"] = json.dumps(request["body"]["json"])
            if "json" in response["body"]:
                response["body"] = {"string": json.dumps(response["body"]["json"])}
        return data
