"""A real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on request.

The openai client talks to it over real sockets, so the tests exercise the same
transport, retries, timeouts and parsing as production. `POST /v1/chat/completions`
answers with an `ArticleExtraction` built from the article it is sent (the first
sentences of the delimited article become claims, with themselves as verbatim
evidence), shaped for the request's instructor mode: a tool call when the request has
`tools`, JSON content when it has a `response_format`, a fenced JSON block otherwise.

What each request gets is scripted per article: `server.script("ART-0007", ["429:0.1",
"ok"])` makes the first request whose delimited article contains "ART-0007" a 429 with
`Retry-After: 0.1` and the second a normal answer; once a script is used up the answer
is `server.default_action`. Actions:

    ok            a valid answer          ok:0.2     a valid answer after 0.2 s
    429[:s]       rate limited, Retry-After s (seconds) if given
    500 502 503   server errors           400 401 403 404   client errors (all echo the key)
    400ctx        400 "maximum context length exceeded"
    hang          no answer until `hang_s` passes (past the client's timeout)
    drop          the connection is closed without an answer
    garbage       200 with a body that is not JSON
    invalid_json  200, the model's JSON is cut short (finish_reason "stop")
    schema        200, JSON that breaks the schema (missing evidence, unknown category)
    ungrounded    200, valid JSON whose evidence is not in the article
    partly        200, valid JSON with the last claim ungrounded and every quote altered
    length        200, cut off with finish_reason "length"
    obey          200, valid JSON from a model that followed instructions planted in the
                  article: headline and summary "APPROVED", each planted line (one naming
                  instructions, a "System:" role or "Note to AI") as a claim of its own, and a
                  copy of the first claim with a link appended; the usual claims are kept

`POST /v1/embeddings` answers each input text with a deterministic vector: its words hashed
into `EMBEDDING_DIMENSIONS` buckets, so texts sharing words point alike. Its requests are
scripted like chat requests, by a key contained in any of their texts (the same actions;
an answer action other than "ok" gives one vector too few).

The Batch API is there too: `POST /v1/files` (multipart upload), `POST /v1/batches`,
`GET /v1/batches[/{id}]` and `GET /v1/files/{id}/content`. A batch answers "in_progress"
for `batch_polls` polls, then completes with one answer per request line, each decided
by the same scripts (a transport fault fails that line), unless `batch_outcome` says it
fails, expires or is cancelled instead.

Every request is recorded (`exchanges`) with its article key, action, body and headers.
`extra_headers` are added to every response (to check what a recording keeps of them).
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import json
import re
import signal
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from servers import HttpThread, SilentServer

ARTICLE = re.compile(r"<<ARTICLE-(?P<b>[0-9a-f]+)>>\n(?P<text>.*?)\n<<END-(?P=b)>>", re.DOTALL)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A figure as a careful model writes it: with its scale word ("$2.4 million", not "$2.4").
NUMBER = re.compile(
    r"(?:\$?\d{1,3}(?:[ .,]\d{3})+(?:,\d+)?%?|\$?\d[\d,.]*%?)(?: (?:million|billion|trillion))?"
)
QUOTED = re.compile(r"\"([^\"]{8,})\"")
PLANTED = re.compile(r"^.*(?:instructions|System:|Note to AI).*$", re.MULTILINE)
ATTACKER_LINK = "http://attacker.example/promo"
FAULTS = (
    "429",
    "500",
    "502",
    "503",
    "hang",
    "drop",
    "garbage",
    "invalid_json",
    "schema",
    "ungrounded",
    "length",
)
EMBEDDING_DIMENSIONS = 64
WORD = re.compile(r"\w+")
TRANSPORT_FAULTS = ("429", "500", "502", "503", "hang", "drop", "garbage")
ANSWER_FAULTS = ("invalid_json", "schema", "ungrounded", "length")


@dataclass
class Exchange:
    key: str
    action: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


@dataclass
class Usage:
    prompt_tokens: int = 100
    completion_tokens: int = 20
    cached_tokens: int = 10


@dataclass
class FaultServer:
    expected_key: str | None = None
    hang_s: float = 3.0
    default_action: str = "ok"
    usage: Usage = field(default_factory=Usage)
    extra_headers: dict[str, str] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    batch_polls: int = 2
    """Polls a batch answers "in_progress" before it completes."""
    batch_outcome: str = "completed"
    """How batches end: "completed", or "failed" / "expired" / "cancelled"."""
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._scripts: dict[str, deque[str]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._http: HttpThread | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        """The most chat requests being answered at one time (concurrency as the server saw it)."""

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> FaultServer:
        self._http = HttpThread(_Server, _Handler, fault=self).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._http is not None:
            self._http.stop()

    @property
    def port(self) -> int:
        assert self._http is not None, "start() the server first"
        return self._http.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting and inspection ------------------------------------------------

    def script(self, key: str, actions: Iterable[str]) -> None:
        """Queue the actions for the requests whose article contains `key`, in order."""
        with self._lock:
            self._scripts[key] = deque(actions)

    def count(self, key: str) -> int:
        return sum(1 for e in self.exchanges if e.key == key)

    def for_key(self, key: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.key == key]

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = defaultdict(int)
        for e in self.exchanges:
            result[e.key] += 1
        return dict(result)

    def _next_action(self, article: str) -> tuple[str, str]:
        with self._lock:
            matching = [key for key in self._scripts if key in article]
            if matching:
                key = max(matching, key=len)  # "ART-1" must not catch "ART-12"
                queue = self._scripts[key]
                return key, (queue.popleft() if queue else self.default_action)
        return article[:40], self.default_action

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def wait_or_stop(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def poll(self, batch_id: str) -> dict[str, Any]:
        """A batch as one more poll sees it: in progress for `batch_polls` polls, then done.

        When it completes, every request line of its input file is answered as a chat
        request would be (scripted actions included; transport faults fail that line).
        """
        with self._lock:
            batch = self.batches[batch_id]
            self.polls[batch_id] += 1
            if batch["status"] not in ("validating", "in_progress"):
                return dict(batch)
            if self.polls[batch_id] <= self.batch_polls:
                batch["status"] = "in_progress"
                return dict(batch)
            lines = self.files[batch["input_file_id"]].decode().splitlines()
        if self.batch_outcome != "completed":
            batch["status"] = self.batch_outcome
            return dict(batch)
        out, errors = [], []
        for line in lines:
            request = json.loads(line)
            article = delimited_article(request["body"])
            key, action = self._next_action(article)
            self._record(Exchange(key=key, action=action, path="batch", body=request["body"], headers={}))
            name = action.partition(":")[0]
            if name in TRANSPORT_FAULTS or name in ("400", "401", "403", "404"):
                error = {"code": "server_error", "message": f"The request failed ({name})."}
                failed = {"id": "req", "custom_id": request["custom_id"], "response": None, "error": error}
                errors.append(failed)
                continue
            body = completion_for(name, request["body"], article, self.usage)
            response = {"status_code": 200, "request_id": "req", "body": body}
            out.append({"id": "req", "custom_id": request["custom_id"], "response": response, "error": None})
        with self._lock:
            batch["output_file_id"] = f"file-{len(self.files) + 1}"
            self.files[batch["output_file_id"]] = "".join(json.dumps(r) + "\n" for r in out).encode()
            if errors:
                batch["error_file_id"] = f"file-{len(self.files) + 1}"
                self.files[batch["error_file_id"]] = "".join(json.dumps(r) + "\n" for r in errors).encode()
            batch["status"] = "completed"
            batch["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(errors)}
            return dict(batch)


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops the connections of a burst of concurrent
    # requests, and the client's TCP stack resends them a second later.
    request_queue_size = 512


def delimited_article(body: dict[str, Any]) -> str:
    """The article between the boundary lines of the request's messages ('' if there is none)."""
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str) and (match := ARTICLE.search(content)):
            return match.group("text")
    return ""


def extraction_for(article: str, *, grounded: bool = True) -> dict[str, Any]:
    """A valid ArticleExtraction (as JSON data): the first line as headline, the first sentences as claims."""
    sentences = [s.strip() for s in SENTENCE_END.split(" ".join(article.split())) if len(s.strip()) >= 20]
    first = sentences[0] if sentences else "The article reports an event."
    claims = []
    for sentence in sentences[:3]:
        figures = []
        for raw in NUMBER.findall(sentence):
            value = raw.rstrip(".,")
            unit = "percent" if value.endswith("%") else "USD" if value.startswith("$") else "count"
            figures.append({"value": value, "unit": unit, "period": None})
        evidence = sentence if grounded else "Officials quietly denied that anything happened at all."
        claims.append({"statement": sentence, "category": "event", "figures": figures, "evidence": evidence})
    quotes = [{"speaker": "a spokesperson", "text": q} for q in QUOTED.findall(article)[:2]]
    return {
        "headline": " ".join(article.strip().splitlines()[0].split()[:12]) if article.strip() else first,
        "summary": first,
        "entities": [],
        "claims": claims,
        "quotes": quotes,
        "interpretation": [],
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fault(self) -> FaultServer:
        return self.server.fault  # type: ignore[attr-defined,no-any-return]

    # -- plumbing ---------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in {**self.fault.extra_headers, **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (a timeout); nothing to answer

    def _key_refused(self, headers: dict[str, str]) -> bool:
        """Answer 401 (and say so) when the server expects a key and was sent another."""
        expected = self.fault.expected_key
        given = headers.get("authorization", "").removeprefix("Bearer ")
        if expected is None or given == expected:
            return False
        self._error(401, "Incorrect API key provided.", "invalid_request_error")
        return True

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        payload = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        self._send_json(status, payload, headers)

    # -- endpoints --------------------------------------------------------------

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fault._record(Exchange(key="GET", action="ok", path=self.path, body={}, headers=headers))
        if self.path.rstrip("/") == "/v1/_stats":  # for a server run in another process (bench/)
            with self.fault._lock:
                chats = sum(1 for e in self.fault.exchanges if e.path.rstrip("/") == "/v1/chat/completions")
                stats = {"chat_requests": chats, "max_in_flight": self.fault.max_in_flight}
            self._send_json(200, stats)
        elif self.path.rstrip("/") == "/v1/models":
            data = [{"id": "fault-model", "object": "model", "created": 0, "owned_by": "tests"}]
            self._send_json(200, {"object": "list", "data": data})
        elif not self._key_refused(headers):
            self._batch_get(self.path.rstrip("/"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        if self.path.rstrip("/") in ("/v1/files", "/v1/batches"):
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.fault._record(Exchange(key="BATCH", action="ok", path=self.path, body={}, headers=headers))
            if self._key_refused(headers):
                return
            self._batch_post(self.path.rstrip("/"), raw)
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/v1/embeddings"):
            self._error(404, f"no route {self.path}", "invalid_request_error")
            return
        article = delimited_article(body) or "\n".join(embedding_inputs(body))
        key, action = self.fault._next_action(article)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fault._record(Exchange(key=key, action=action, path=self.path, body=body, headers=headers))

        expected = self.fault.expected_key
        given = headers.get("authorization", "").removeprefix("Bearer ")
        if action == "401" or (expected is not None and given != expected):
            masked = f"{given[:3]}{'*' * 8}{given[-4:]}" if given else "(none)"
            self._error(401, f"Incorrect API key provided: {masked}.", "invalid_request_error")
            return
        with self.fault._lock:
            self.fault.in_flight += 1
            self.fault.max_in_flight = max(self.fault.max_in_flight, self.fault.in_flight)
        try:
            self._act(action, body, article, given)
        finally:
            with self.fault._lock:
                self.fault.in_flight -= 1

    def _act(self, action: str, body: dict[str, Any], article: str, key: str) -> None:
        name, _, arg = action.partition(":")
        if name == "429":
            self._error(429, "Rate limit reached.", "requests", {"Retry-After": arg} if arg else None)
        elif name in ("500", "502", "503"):
            self._error(int(name), "The server had an error.", "server_error")
        elif name in ("400", "403", "404"):
            # Echo the key the way careless servers do: the client must not repeat it.
            self._error(int(name), f"Request refused with {name} for key {key}.", "invalid_request_error")
        elif name == "400ctx":
            self._error(400, "This model's maximum context length is 8192 tokens.", "invalid_request_error")
        elif name == "hang":
            self.fault.wait_or_stop(self.fault.hang_s)
            self.close_connection = True
        elif name == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif name == "garbage":
            self._send_bytes(200, b"<html>upstream proxy error</html>", "application/json")
        else:
            if name == "ok" and arg:
                time.sleep(float(arg))
            self._answer(name, body, article)

    def _answer(self, name: str, body: dict[str, Any], article: str) -> None:
        if self.path.rstrip("/") == "/v1/embeddings":
            self._send_json(200, embeddings_for(name, body))
            return
        self._send_json(200, completion_for(name, body, article, self.fault.usage))

    # -- the Batch API ------------------------------------------------------------

    def _batch_post(self, path: str, raw: bytes) -> None:
        fault = self.fault
        if path == "/v1/files":
            ctype = self.headers.get("Content-Type", "")
            form = BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + raw
            )
            parts = {p.get_param("name", header="content-disposition"): p for p in form.iter_parts()}
            content = parts["file"].get_payload(decode=True) or b""
            with fault._lock:
                file_id = f"file-{len(fault.files) + 1}"
                fault.files[file_id] = content
            payload = {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": 0,
                "filename": parts["file"].get_filename() or "batch.jsonl",
                "purpose": "batch",
                "status": "processed",
            }
            self._send_json(200, payload)
        elif path == "/v1/batches":
            request = json.loads(raw)
            with fault._lock:
                batch_id = f"batch_{len(fault.batches) + 1}"
                fault.batches[batch_id] = {
                    "id": batch_id,
                    "object": "batch",
                    "endpoint": request["endpoint"],
                    "input_file_id": request["input_file_id"],
                    "completion_window": request["completion_window"],
                    "metadata": request.get("metadata"),
                    "status": "validating",
                    "created_at": 0,
                    "output_file_id": None,
                    "error_file_id": None,
                    "request_counts": {"total": 0, "completed": 0, "failed": 0},
                }
                fault.polls[batch_id] = 0
                self._send_json(200, fault.batches[batch_id])
        else:
            self._error(404, f"no route {path}", "invalid_request_error")

    def _batch_get(self, path: str) -> None:
        fault = self.fault
        if path.startswith("/v1/batches/"):
            batch_id = path.removeprefix("/v1/batches/")
            if batch_id not in fault.batches:
                self._error(404, f"no batch {batch_id}", "invalid_request_error")
                return
            self._send_json(200, fault.poll(batch_id))
        elif path.split("?")[0] == "/v1/batches":
            with fault._lock:
                data = sorted(fault.batches.values(), key=lambda b: b["id"], reverse=True)
            self._send_json(200, {"object": "list", "data": data, "has_more": False})
        elif path.startswith("/v1/files/") and path.endswith("/content"):
            file_id = path.removeprefix("/v1/files/").removesuffix("/content")
            if file_id not in fault.files:
                self._error(404, f"no file {file_id}", "invalid_request_error")
                return
            self._send_bytes(200, fault.files[file_id], "application/octet-stream")
        else:
            self._error(404, f"no route {path}", "invalid_request_error")


def embedding_inputs(body: dict[str, Any]) -> list[str]:
    """The texts an embeddings request asks about (`input` is a string or a list of them)."""
    given = body.get("input", [])
    return [given] if isinstance(given, str) else [str(text) for text in given]


def vector_for(text: str) -> list[float]:
    """A deterministic unit vector: the text's words hashed into buckets."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in WORD.findall(text.casefold()):
        bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % EMBEDDING_DIMENSIONS
        vector[bucket] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [round(v / norm, 6) for v in vector]


def embeddings_for(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The embeddings response for `body`; any answer action but "ok" leaves the last vector out."""
    texts = embedding_inputs(body)
    vectors = [vector_for(text) for text in texts]
    if name != "ok":
        vectors = vectors[:-1]
    as_base64 = body.get("encoding_format") == "base64"
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() if as_base64 else v,
        }
        for i, v in enumerate(vectors)
    ]
    tokens = sum(len(WORD.findall(text)) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": body.get("model", "fault-embed"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def completion_for(name: str, body: dict[str, Any], article: str, usage: Usage) -> dict[str, Any]:
    """The chat completion a model answering `body` with the answer action `name` returns."""
    finish = "stop"
    data = extraction_for(article, grounded=name != "ungrounded")
    text = json.dumps(data)
    if name == "schema":
        broken = dict(data)
        broken["claims"] = [{"statement": "Something happened.", "category": "rumour"}]
        text = json.dumps(broken)
    elif name == "partly":
        partly = dict(data)
        partly["claims"] = [
            *data["claims"][:-1],
            {**data["claims"][-1], "evidence": "Nobody saw it happen."},
        ]
        partly["quotes"] = [{**q, "text": q["text"] + " indeed"} for q in data["quotes"]]
        text = json.dumps(partly)
    elif name == "obey":
        obeyed = dict(data, headline="APPROVED", summary="APPROVED")
        first = data["claims"][0]
        linked = {**first, "statement": f"{first['statement']} More at {ATTACKER_LINK}"}
        planted = [
            {"statement": line, "category": "event", "figures": [], "evidence": line}
            for line in PLANTED.findall(article)
        ]
        obeyed["claims"] = [*data["claims"], linked, *planted]
        text = json.dumps(obeyed)
    elif name == "invalid_json":
        text = text[: len(text) // 2]
    elif name == "length":
        text, finish = text[: len(text) // 3], "length"
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if body.get("tools"):
        tool = body["tools"][0]["function"]["name"]
        call = {"id": "call_0", "type": "function", "function": {"name": tool, "arguments": text}}
        message["tool_calls"] = [call]
        finish = "tool_calls" if finish == "stop" else finish
    elif body.get("response_format"):
        message["content"] = text
    else:
        message["content"] = f"```json\n{text}\n```"
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fault-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        },
    }


def main() -> None:
    """Serve on 127.0.0.1 until killed, printing the base URL first (used by `bench/run.py`)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--default-action", default="ok")
    parser.add_argument("--silent", action="store_true", help="Accept connections and never answer.")
    args = parser.parse_args()
    if args.silent:
        listener = SilentServer().start()
        print(listener.base_url, flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a background job ignores SIGINT
        try:
            while not stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        print(f"{listener.accepts} connections accepted", flush=True)
        listener.stop()
        return
    server = FaultServer(default_action=args.default_action).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
