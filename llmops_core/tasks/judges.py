"""Celery tasks of judge runs and judge comparison reports; each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from llmops_core.services.judges.reports import judge_report_compute
from llmops_core.services.judges.runs import judge_run_step
from llmops_core.services.llm_runs import StepOutcome

# A lost database connection or a locked SQLite file is worth another try; nothing else is.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
)
def judge_run_step_task(run_id: int) -> None:
    """Do one chunk of judge run ``run_id`` and enqueue the next; safe to run twice."""
    if judge_run_step(run_id=run_id) is StepOutcome.MORE:
        judge_run_step_task.delay(run_id)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3
)
def judge_report_compute_task(report_id: int) -> None:
    """Compute judge comparison report ``report_id``; re-running recomputes it."""
    judge_report_compute(report_id=report_id)
