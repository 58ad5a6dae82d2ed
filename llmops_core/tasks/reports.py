"""Celery tasks for reports: compute one, and the periodic sweep that refreshes stale ones."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from llmops_core.services.charts import report_charts_draw
from llmops_core.services.jobs import TRANSIENT_ERRORS
from llmops_core.services.reports import report_compute, report_fail, report_refresh_stale

MAX_RETRIES = 3


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=MAX_RETRIES)
def report_compute_task(self: Any, report_id: int) -> None:
    """Compute report ``report_id`` and draw its charts; retry on transient database errors,
    then mark it failed."""
    try:
        report_compute(report_id=report_id)
        report_charts_draw(report_id=report_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            report_fail(
                report_id=report_id, reason=f"the database failed {MAX_RETRIES + 1} times: {exc}"
            )
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(acks_late=True, ignore_result=True)
def report_refresh_stale_task() -> None:
    """Recompute agreement reports whose ratings changed; rescue reports a lost worker left."""
    report_refresh_stale()
