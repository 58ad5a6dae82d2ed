"""Celery task of the stale-job sweep: dispatch again the jobs whose message or worker was lost."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from llmops_core.services.dispatch import jobs_resume_stale

# A lost database connection or a locked SQLite file is worth another try; nothing else is.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3
)
def jobs_resume_stale_task() -> None:
    """Resume exports, imports, reports and LLM runs left behind (periodic, from Celery beat)."""
    jobs_resume_stale()
