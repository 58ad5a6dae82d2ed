"""Celery task of the stale-job sweep: dispatch again the jobs whose message or worker was lost."""

from __future__ import annotations

from celery import shared_task

from llmops_core.services.jobs import TRANSIENT_ERRORS
from llmops_core.services.jobs.sweep import jobs_resume_stale


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def jobs_resume_stale_task() -> None:
    """Resume exports, imports, reports and LLM runs left behind (periodic, from Celery beat)."""
    jobs_resume_stale()
