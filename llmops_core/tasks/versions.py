"""Celery tasks for prompt version reports: compute scorecards and comparisons, keep them fresh."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from llmops_core.services.charts import report_charts_draw
from llmops_core.services.comparisons import version_report_compute, version_reports_refresh
from llmops_core.services.jobs import TRANSIENT_ERRORS
from llmops_core.services.scorecards import version_report_fail_by_id

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def version_report_compute_task(self: Any, report_id: int) -> None:
    """Compute scorecard or comparison ``report_id`` and draw its charts; retry on transient
    database errors."""
    try:
        version_report_compute(report_id=report_id)
        report_charts_draw(report_id=report_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            version_report_fail_by_id(
                report_id=report_id, reason=f"the database failed {MAX_RETRIES + 1} times: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(acks_late=True, ignore_result=True)
def version_reports_refresh_task() -> None:
    """Recompute scorecards and comparisons whose data changed; rescue lost ones."""
    version_reports_refresh()
