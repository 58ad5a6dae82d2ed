"""Celery tasks of generation runs: one chunk a task, the next one enqueued by the last."""

from __future__ import annotations

from celery import shared_task

from llmops_core.services.generation import generation_run_step
from llmops_core.services.jobs import TRANSIENT_ERRORS, JobKind, job_dispatch
from llmops_core.services.llm_runs import StepOutcome


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def generation_run_step_task(run_id: int) -> None:
    """Do one chunk of generation run ``run_id`` and enqueue the next; safe to run twice."""
    if generation_run_step(run_id=run_id) is StepOutcome.MORE:
        job_dispatch(JobKind.GENERATION_RUN_STEP, run_id)
