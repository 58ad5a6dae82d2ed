"""Celery tasks of generation runs: one chunk a task, the next one enqueued by the last."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from llmops_core.services.generation import generation_run_step
from llmops_core.services.llm_runs import StepOutcome

# A lost database connection or a locked SQLite file is worth another try; nothing else is.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
)
def generation_run_step_task(run_id: int) -> None:
    """Do one chunk of generation run ``run_id`` and enqueue the next; safe to run twice."""
    if generation_run_step(run_id=run_id) is StepOutcome.MORE:
        generation_run_step_task.delay(run_id)
