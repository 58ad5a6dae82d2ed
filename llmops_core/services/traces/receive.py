"""Accept an OTLP export request: check it, store it as received in one insert, dispatch it."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from llmops_core.io.otlp.decode import OtlpError, decode_request, encoding_of, inflate
from llmops_core.io.otlp.spans import spans_check
from llmops_core.models import IngestKey, JobStatus, SpanBatch
from llmops_core.services.jobs import JobKind, job_enqueue


class Overloaded(OtlpError):
    """Too many batches wait for a worker: the client should retry after ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(503, message)
        self.retry_after = retry_after


@dataclass
class Receipt:
    """What the answer to an accepted request says: spans taken and refused, and why."""

    encoding: str
    received: int
    rejected: int
    message: str
    batch_id: int | None


def _check_backlog() -> None:
    waiting = SpanBatch.objects.filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING]).count()
    if waiting >= settings.OTLP_MAX_PENDING_BATCHES:
        raise Overloaded(
            f"{waiting:,} batches are waiting for a worker (OTLP_MAX_PENDING_BATCHES); "
            "send this one again later",
            retry_after=settings.OTLP_RETRY_AFTER_SECONDS,
        )


def span_batch_receive(
    *, key: IngestKey, body: bytes, content_type: str, content_encoding: str = ""
) -> Receipt:
    """Check an export request and store it for a worker; raise ``OtlpError`` to refuse it.

    A request whose every span is refused gets 400 with the reasons; one with some refused
    spans is stored without them being counted as taken, and the answer's ``partial_success``
    says how many and why. The body is stored as it came (still compressed).
    """
    encoding = encoding_of(content_type)
    if encoding is None:
        raise OtlpError(
            415,
            f'Content-Type "{content_type[:80]}" is not an OTLP encoding; send '
            "application/x-protobuf or application/json",
        )
    limit = settings.OTLP_MAX_BODY_BYTES
    if len(body) > limit:
        raise OtlpError(
            413,
            f"the request body is {len(body):,} bytes; the limit is {limit:,} bytes "
            "(OTLP_MAX_BODY_BYTES); export smaller batches",
        )
    _check_backlog()
    data = inflate(body, content_encoding=content_encoding, limit=settings.OTLP_MAX_INFLATED_BYTES)
    check = spans_check(
        decode_request(data, encoding=encoding),
        max_attribute_bytes=settings.OTLP_MAX_ATTRIBUTE_BYTES,
    )
    if check.received and check.rejected == check.received:
        raise OtlpError(400, check.message)
    receipt = Receipt(encoding, check.received, check.rejected, check.message, None)
    if not check.received:
        return receipt
    with transaction.atomic():
        batch = SpanBatch.objects.create(
            project=key.project,
            ingest_key=key,
            encoding=encoding,
            gzipped=content_encoding.strip().lower() in {"gzip", "x-gzip"},
            body=body,
            body_bytes=len(body),
            spans_received=check.received,
            spans_rejected=check.rejected,
            rejection=check.message,
        )
        job_enqueue(JobKind.SPAN_BATCH, batch.pk)
    receipt.batch_id = batch.pk
    return receipt
