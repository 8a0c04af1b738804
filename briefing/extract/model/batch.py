"""Batch mode: every extraction of a run as one job on the provider's Batch API.

For the daily run nobody is waiting, so the requests can go as one batch: OpenAI bills
them at half the price and runs them in parallel on its side. The requests are exactly
the ones the online path sends (`briefing.extract.model.request.Requests.body_for`), one
line per article, or per part of a split article, in a JSONL file.

Nothing is paid for twice:

- The job is named by a hash of its requests. Its batch id is written to the cache
  database the moment the batch is created, and also sent as the batch's metadata; a
  run that stops while the batch is in progress (or crashes between creating it and
  writing it down) finds it again, by either, and polls it instead of submitting anew.
- Answers are read and checked by the reader online answers go through
  (`briefing.extract.model.answers.Answers`), and each good extraction goes into the
  extraction cache before the job is forgotten.
- An article whose answer is missing or unusable is not resubmitted here: the caller
  extracts it on the online path, which can re-ask.

Polling backs off from `poll_initial_s` to `poll_max_s` and gives up waiting after
`max_wait_s`; the job is then kept, and the next run resumes it.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import openai
from openai.types.chat import ChatCompletion

from briefing.contracts import Article, ArticleExtraction, ExtractionMeta, Usage
from briefing.errors import FatalProviderError, ProviderError
from briefing.extract.model.answers import usage_of
from briefing.extract.model.prompt import prepare_article_text

if TYPE_CHECKING:
    from briefing.extract.model.backend import ModelBackend
    from briefing.store.cache import ExtractionCache

__all__ = ["BatchOutcome", "BatchSettings", "job_name", "run_batch"]

ENDPOINT: Final = "/v1/chat/completions"
_DEAD = frozenset({"failed", "expired", "cancelled"})
"""Ended without a chance of answers still to come: never resumed."""
_ENDED = _DEAD | {"completed"}
_METADATA_KEY = "briefing_job"


@dataclass
class BatchSettings:
    """How a run uses the Batch API: where jobs are recorded and how it polls."""

    jobs: ExtractionCache
    poll_initial_s: float = 10.0
    poll_max_s: float = 120.0
    max_wait_s: float = 25 * 3600.0
    """A batch has 24 hours; past that it has expired and its answers are collected as they are."""
    on_status: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass
class BatchOutcome:
    """What a batch gave: extractions by article id, and why the others have none."""

    extracted: dict[str, tuple[ArticleExtraction, ExtractionMeta]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    batch_id: str | None = None
    resumed: bool = False
    waiting: bool = False
    """The batch had not ended when waiting stopped; it stays recorded for the next run."""


def _requests(
    articles: list[Article], model: ModelBackend
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The request lines, and each article's parts' texts by article id (in part order)."""
    requests = model.requests
    lines: list[dict[str, Any]] = []
    parts_of: dict[str, list[str]] = {}
    for article in articles:
        if article.id in parts_of:
            continue
        parts = requests.parts(prepare_article_text(article.text))
        parts_of[article.id] = parts
        for number, part in enumerate(parts, start=1):
            body = requests.body_for(part, translate=requests.translation_for(article))
            lines.append(
                {"custom_id": f"{article.id}:{number}", "method": "POST", "url": ENDPOINT, "body": body}
            )
    return lines, parts_of


def job_name(lines: list[dict[str, Any]], model: ModelBackend) -> str:
    """A name for the job that changes with any request in it, and only then."""
    digest = hashlib.sha256(f"{model.endpoint}\n{model.model}\n".encode())
    for line in lines:
        digest.update(json.dumps(line, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def run_batch(
    articles: list[Article],
    *,
    model: ModelBackend,
    settings: BatchSettings,
    cache: ExtractionCache | None = None,
) -> BatchOutcome:
    """Extract `articles` through one batch job (resumed if one is already submitted).

    Good extractions are stored in `cache` as they are collected; the others are listed
    in `BatchOutcome.failed` with the reason, for the online path.

    Raises:
        FatalProviderError: The endpoint refuses the key, the file or the batch.
    """
    outcome = BatchOutcome()
    lines, parts_of = _requests(articles, model)
    for article_id, parts in parts_of.items():
        if not parts:
            outcome.failed[article_id] = "article is empty once hidden text is removed"
    if not lines:
        return outcome
    job = job_name(lines, model)
    tell = settings.on_status or (lambda _status: None)
    jobs = settings.jobs
    client = model.transport.sync_client()
    try:
        batch_id = jobs.batch_for(job) or _find_submitted(client, job)
        outcome.resumed = batch_id is not None
        if batch_id is None:
            batch_id = _submit(client, lines, job)
            tell(f"submitted batch {batch_id} ({len(lines)} requests)")
        else:
            tell(f"resuming batch {batch_id}")
        jobs.remember_batch(job, batch_id)
        outcome.batch_id = batch_id
        batch = _wait(client, batch_id, settings, tell)
        if batch.status not in _ENDED:
            outcome.waiting = True
            waited = settings.max_wait_s
            reason = f"batch {batch_id} still {batch.status} after {waited:g}s; the next run picks it up"
            outcome.failed.update({a: reason for a, parts in parts_of.items() if parts})
            return outcome
        answers = _answers(client, batch)
    except openai.APIStatusError as exc:
        raise _refused(model, exc) from None
    except openai.APIConnectionError as exc:
        # The job stays recorded: the next run polls it (or collects its answers) again.
        reason = f"batch API at {model.endpoint} unreachable ({type(exc).__name__})"
        outcome.failed.update({a: reason for a, parts in parts_of.items() if parts})
        return outcome
    finally:
        client.close()
    for article in articles:
        parts = parts_of.get(article.id) or []
        if not parts or article.id in outcome.extracted or article.id in outcome.failed:
            continue
        result = _extraction(model, article, parts, answers, batch)
        if isinstance(result, str):
            outcome.failed[article.id] = result
            continue
        outcome.extracted[article.id] = result
        if cache is not None:
            from briefing.extract.schedule import model_cache_key

            cache.put(model_cache_key(article, model), *result)
    jobs.forget_batch(job)
    return outcome


def _find_submitted(client: openai.OpenAI, job: str) -> str | None:
    """A batch for `job` submitted by a run that stopped before recording it, if still usable."""
    for batch in client.batches.list(limit=100):
        metadata = batch.metadata or {}
        if metadata.get(_METADATA_KEY) == job and batch.status not in _DEAD:
            return batch.id
    return None


def _submit(client: openai.OpenAI, lines: list[dict[str, Any]], job: str) -> str:
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
    uploaded = client.files.create(file=(f"briefing-{job}.jsonl", io.BytesIO(data)), purpose="batch")
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint=ENDPOINT,
        completion_window="24h",
        metadata={_METADATA_KEY: job},
    )
    return batch.id


def _wait(client: openai.OpenAI, batch_id: str, settings: BatchSettings, tell: Callable[[str], None]) -> Any:
    """The batch once it has ended, or as it is when `max_wait_s` would pass before the next poll."""
    started = settings.clock()
    delay = settings.poll_initial_s
    status = ""
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status != status:
            status = batch.status
            tell(status)
        if status in _ENDED or settings.clock() - started + delay > settings.max_wait_s:
            return batch
        settings.sleep(delay)
        delay = min(delay * 2, settings.poll_max_s)


def _answers(client: openai.OpenAI, batch: Any) -> dict[str, ChatCompletion | str]:
    """Each request's answer by custom id: a completion, or why there is none.

    A line that is not JSON names no request; the request it was for has no answer and
    its article takes the online path.
    """
    answers: dict[str, ChatCompletion | str] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        for raw in client.files.content(file_id).text.splitlines():
            try:
                line = json.loads(raw) if raw.strip() else None
            except ValueError:
                continue
            if isinstance(line, dict):
                custom_id, answer = _answer_line(line)
                answers[custom_id] = answer
    return answers


def _answer_line(line: dict[str, Any]) -> tuple[str, ChatCompletion | str]:
    custom_id = str(line.get("custom_id", ""))
    response = line.get("response") or {}
    error = line.get("error")
    if error or response.get("status_code") != 200:
        message = (error or {}).get("message") or f"HTTP {response.get('status_code')}"
        return custom_id, f"the batch request failed ({message})"
    try:
        return custom_id, ChatCompletion.model_validate(response.get("body"))
    except ValueError:
        return custom_id, "the batch answer is not a chat completion"


def _extraction(
    model: ModelBackend,
    article: Article,
    parts: list[str],
    answers: dict[str, ChatCompletion | str],
    batch: Any,
) -> tuple[ArticleExtraction, ExtractionMeta] | str:
    """The checked extraction of one article from its parts' answers, or why there is none."""
    usage = Usage()
    extractions: list[ArticleExtraction] = []
    for number, part in enumerate(parts, start=1):
        answer = answers.get(f"{article.id}:{number}")
        where = f"part {number} of {len(parts)}: " if len(parts) > 1 else ""
        if answer is None:
            return f"{where}batch {batch.id} ({batch.status}) has no answer for it"
        if isinstance(answer, str):
            return f"{where}{answer}"
        usage += usage_of(answer)
        try:
            extractions.append(model.answers.read_completion(answer, part, article))
        except ProviderError as exc:
            return f"{where}batch answer unusable: {exc}"
    extraction, meta = model.answers.checked(article, extractions, attempts=len(parts), usage=usage)
    return extraction, meta.model_copy(update={"batch": True})


def _refused(model: ModelBackend, exc: openai.APIStatusError) -> FatalProviderError:
    status = exc.status_code
    return FatalProviderError(
        f"{model.endpoint} refused the batch job (HTTP {status}): check OPENAI_API_KEY and that the "
        "endpoint offers the Batch API (OpenAI does; most local servers do not)",
        article_id=None,
        attempts=0,
    )
