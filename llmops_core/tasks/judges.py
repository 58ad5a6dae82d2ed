"""Celery tasks of judge runs and judge comparison reports; each calls one service."""

from __future__ import annotations

from celery import shared_task

from llmops_core.services.charts import report_charts_draw
from llmops_core.services.jobs import TRANSIENT_ERRORS, JobKind, job_dispatch
from llmops_core.services.judges.reports import judge_report_compute
from llmops_core.services.judges.runs import judge_run_step
from llmops_core.services.llm_runs import StepOutcome


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def judge_run_step_task(run_id: int) -> None:
    """Do one chunk of judge run ``run_id`` and enqueue the next; safe to run twice."""
    if judge_run_step(run_id=run_id) is StepOutcome.MORE:
        job_dispatch(JobKind.JUDGE_RUN_STEP, run_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def judge_report_compute_task(report_id: int) -> None:
    """Compute judge comparison report ``report_id`` and draw its charts; re-running recomputes
    it."""
    judge_report_compute(report_id=report_id)
    report_charts_draw(report_id=report_id)
