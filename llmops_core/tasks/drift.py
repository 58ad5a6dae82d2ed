"""Celery tasks for drift: compute a drift report, re-check a judge, and their schedules."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from llmops_core.services.charts import report_charts_draw
from llmops_core.services.drift import (
    drift_report_compute,
    drift_report_fail,
    drift_reports_schedule,
)
from llmops_core.services.drift.judges import (
    judge_staleness_compute,
    judge_staleness_fail,
    judge_staleness_schedule,
)
from llmops_core.services.jobs import TRANSIENT_ERRORS

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def drift_report_compute_task(self: Any, report_id: int) -> None:
    """Compute drift report ``report_id`` and draw its charts; retry on transient errors."""
    try:
        drift_report_compute(report_id=report_id)
        report_charts_draw(report_id=report_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            drift_report_fail(
                report_id=report_id, reason=f"the database failed {MAX_RETRIES + 1} times: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def judge_staleness_check_task(self: Any, report_id: int) -> None:
    """Re-check a judge version against fresh ratings; retry on transient errors."""
    try:
        judge_staleness_compute(report_id=report_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            judge_staleness_fail(
                report_id=report_id, reason=f"the database failed {MAX_RETRIES + 1} times: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(acks_late=True, ignore_result=True)
def drift_reports_schedule_task() -> None:
    """Ask for last week's drift report of every project with outputs (once per week)."""
    drift_reports_schedule()


@shared_task(acks_late=True, ignore_result=True)
def judge_staleness_schedule_task() -> None:
    """Ask for today's re-check of every judge version with freshly rated outputs."""
    judge_staleness_schedule()
