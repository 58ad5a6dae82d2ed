"""Celery task for export jobs."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from llmops_core.models import ExportJob
from llmops_core.services.exports import export_job_run


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,),
             retry_backoff=True, max_retries=5)
def export_job_run_task(job_id: int) -> None:
    """Run export job ``job_id``; re-running is safe (the file is replaced)."""
    job = ExportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    export_job_run(job=job)
