"""Celery task of traces in: store the model outputs of one received batch of spans."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from llmops_core.services.traces import span_batch_process

# A lost database connection or a locked SQLite file is worth another try; nothing else is.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
)
def span_batch_process_task(batch_id: int) -> None:
    """Map batch ``batch_id`` to model outputs; safe to run twice and to kill on any line."""
    span_batch_process(batch_id=batch_id)
