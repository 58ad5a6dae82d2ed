"""Map a stored batch of spans to model outputs and insert them, idempotently, at one commit."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from llmops_core.hashing import canonical_json
from llmops_core.io.otlp.decode import OtlpError, decode_request, inflate
from llmops_core.io.otlp.feedback import SpanFeedback, carries_feedback, span_feedback
from llmops_core.io.otlp.mapping import MappedOutput, map_span
from llmops_core.io.otlp.spans import span_views
from llmops_core.models import JobStatus, OutputSource, PromptVersion, SpanBatch
from llmops_core.services.feedback import span_feedback_store
from llmops_core.services.jobs import job_claim
from llmops_core.services.output_rows import output_rows_insert
from llmops_core.services.traces.links import outputs_ingested

logger = logging.getLogger(__name__)
PromptRef = tuple[str, int]
# A task whose batch is stored goes on with batches still waiting, oldest first, up to this
# many in all: when batches queue up the worker stores instead of waiting for the broker's next
# message (the filesystem transport polls once a second), and those messages, when they come,
# find their batch done. One at a time, so a killed worker holds only the batch it was in.
BATCHES_PER_TASK = 16
CLAIM_CANDIDATES = 4


def _mapped(batch: SpanBatch) -> tuple[list[MappedOutput], int, list[SpanFeedback]]:
    """Return the batch's LLM spans mapped, how many were not LLM calls, and their feedback."""
    data = inflate(
        bytes(batch.body or b""),
        content_encoding="gzip" if batch.gzipped else "",
        limit=settings.OTLP_MAX_INFLATED_BYTES,
    )
    request = decode_request(data, encoding=batch.encoding)
    outputs: list[MappedOutput] = []
    feedback: list[SpanFeedback] = []
    dropped = 0
    views = span_views(
        request,
        max_attribute_bytes=settings.OTLP_MAX_ATTRIBUTE_BYTES,
        checked=batch.spans_rejected == 0,
    )
    for view in views:
        if view is None:  # refused when received, and counted then
            continue
        mapped = map_span(view, prices=settings.LLM_PRICES)
        if mapped is None:
            dropped += 1
        else:
            outputs.append(mapped)
        if carries_feedback(view):
            feedback += span_feedback(view, is_output=mapped is not None)
    return outputs, dropped, feedback


def prompt_versions_known(*, project_id: int, refs: set[PromptRef]) -> dict[PromptRef, int]:
    """Return the id of each (prompt name, version number) registered in the project."""
    if not refs:
        return {}
    names = {name for name, _ in refs}
    rows = PromptVersion.objects.filter(
        template__project_id=project_id, template__name__in=names
    ).values_list("template__name", "number", "pk")
    return {(name, number): pk for name, number, pk in rows if (name, number) in refs}


def _sqlite_time(value: datetime | None) -> Any:
    """Return an aware datetime as SQLite stores it (naive UTC text), like Django's adapter."""
    return None if value is None else value.replace(tzinfo=None).isoformat(sep=" ")


def _json(value: Any) -> str:
    # Metadata and tags need no canonical form (nothing hashes them): orjson is much faster.
    text = orjson.dumps(value, default=str).decode()
    return orjson.dumps(_nul_free(value), default=str).decode() if _JSON_NUL in text else text


# PostgreSQL stores no NUL character, in text or in jsonb (where JSON writes it "\u0000"): a span
# that carries one would fail its whole batch on every try, so NUL becomes U+FFFD, on SQLite too.
_NUL, _JSON_NUL = "\x00", "\\u0000"
_TEXT_FIELDS = (
    *("output_text", "model_name", "session_id", "end_user_id"),
    *("error_type", "error_message", "prompt_name"),
)


def _nul_free(value: Any) -> Any:
    """Return ``value`` (JSON-like) with every NUL in its strings and keys replaced by U+FFFD."""
    if isinstance(value, str):
        return value.replace(_NUL, "\ufffd")
    if isinstance(value, list):
        return [_nul_free(item) for item in value]
    if isinstance(value, dict):
        return {_nul_free(key): _nul_free(item) for key, item in value.items()}
    return value


def _storable(out: MappedOutput) -> MappedOutput:
    """Replace NUL in the output's text fields in place; return it."""
    for name in _TEXT_FIELDS:
        text = getattr(out, name)
        if _NUL in text:
            setattr(out, name, _nul_free(text))
    return out


def _rows(batch: SpanBatch, outputs: list[MappedOutput], known: dict[PromptRef, int]) -> list[Any]:
    """Return the insert's rows (``output_rows.COLUMNS`` order) for the mapped outputs."""
    # Resolved once: the connection proxy costs more than building a row.
    ops = connection.ops
    db_time = _sqlite_time if connection.vendor == "sqlite" else (lambda value: value)
    now = ops.adapt_datetimefield_value(timezone.now())
    otlp = OutputSource.OTLP.value
    rows = []
    for out in map(_storable, outputs):
        input_json = canonical_json(out.input)
        if _JSON_NUL in input_json:  # rare: only then walk the input
            out.input = _nul_free(out.input)
            input_json = canonical_json(out.input)
        version_id = known.get((out.prompt_name, out.prompt_version or 0))
        cost = ops.adapt_decimalfield_value(out.cost, 14, 8) if out.cost is not None else None
        rows.append(
            (
                *(batch.project_id, out.external_id, version_id, input_json),
                hashlib.sha256(input_json.encode()).hexdigest(),  # = content_hash(out.input)
                *(out.output_text, out.model_name, out.latency_ms, out.tokens_in, out.tokens_out),
                *(cost, _json(out.metadata), now, otlp, out.trace_id, out.span_id),
                *(out.parent_span_id, out.session_id, out.end_user_id),
                *(db_time(out.started_at), db_time(out.ended_at), out.status, out.error_type),
                *(out.error_message, _json(out.tags), out.prompt_name, out.prompt_version),
                "",  # reference: spans carry none
            )
        )
    return rows


def _fail(batch_id: int, reason: str) -> None:
    """Fail the batch for good, saying why (its body stays, for a look)."""
    SpanBatch.objects.filter(pk=batch_id).update(
        status=JobStatus.FAILED, error=reason, finished_at=timezone.now()
    )


def span_batch_process(*, batch_id: int) -> bool:
    """Store the model outputs of batch ``batch_id``; return False if another worker has it.

    Claims the batch (so a second message is a no-op), maps its spans, then inserts the
    outputs, calls ``outputs_ingested`` and marks the batch done in one transaction: killed
    before the commit, nothing is kept and the sweep dispatches it again; after, it is done.
    Then it takes the oldest batches still waiting, one at a time (see ``BATCHES_PER_TASK``).
    """
    stored = _claim_and_store(batch_id)
    for _ in range(BATCHES_PER_TASK - 1):
        waiting = span_batch_claim_next()
        if waiting is None:
            break
        _store_claimed(waiting)
    return stored


def span_batch_claim_next() -> int | None:
    """Claim the oldest batch waiting for a worker and return its id (None: none waits)."""
    candidates = SpanBatch.objects.filter(status=JobStatus.PENDING).order_by("pk")
    # Another worker may claim a candidate first: its claim wins and this one tries the next.
    for pk in candidates.values_list("pk", flat=True)[:CLAIM_CANDIDATES]:
        if job_claim(model=SpanBatch, job_id=pk):
            return pk
    return None


def _claim_and_store(batch_id: int) -> bool:
    if not job_claim(model=SpanBatch, job_id=batch_id):
        return False
    _store_claimed(batch_id)
    return True


def _store_claimed(batch_id: int) -> None:
    try:
        _store(batch_id)
    except (OperationalError, InterfaceError):
        # A transient database error: hand the batch back so the task's retry can claim it.
        SpanBatch.objects.filter(pk=batch_id, status=JobStatus.RUNNING).update(
            status=JobStatus.PENDING
        )
        raise


def _store(batch_id: int) -> None:
    """Map the batch and store its outputs; the one transaction is at the end."""
    batch = SpanBatch.objects.get(pk=batch_id)
    try:
        outputs, dropped, feedback = _mapped(batch)
    except OtlpError as exc:  # accepted once, so only a changed limit can bring this
        _fail(batch_id, f"the stored batch can no longer be read: {exc}")
        return
    refs = {(o.prompt_name, o.prompt_version) for o in outputs if o.prompt_name}
    known = prompt_versions_known(
        project_id=batch.project_id,
        refs={(name, number) for name, number in refs if number is not None},
    )
    rows = _rows(batch, outputs, known)
    with transaction.atomic():
        created = output_rows_insert(rows)
        outputs_ingested(project_id=batch.project_id, output_ids=created)
        span_feedback_store(project_id=batch.project_id, items=feedback, created=created)
        done = SpanBatch.objects.filter(pk=batch_id, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED,
            body=None,
            progress=1.0,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            spans_stored=len(outputs),
            spans_existing=len(outputs) - len(created),
            spans_dropped=dropped,
            error="",
        )
        if not done:  # failed by the sweep meanwhile: keep nothing of this run
            transaction.set_rollback(True)
