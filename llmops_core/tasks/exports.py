"""Celery task for export jobs."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from llmops_core.models import ExportJob
from llmops_core.services.exports import export_job_run, exports_expire
from llmops_core.services.exports.shards import export_parts_sweep
from llmops_core.services.jobs import job_claim


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def export_job_run_task(job_id: int) -> None:
    """Run export job ``job_id``; re-running is safe (the file is replaced).

    The claim makes a second message for the same job (a redelivery, or a dispatch by the
    stale-job sweep) a no-op while the first one runs with a fresh heartbeat.
    """
    job = ExportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or job.is_finished or not job_claim(model=ExportJob, job_id=job_id):
        return
    export_job_run(job=job, block_ratings=settings.EXPORT_BLOCK_RATINGS or None)


@shared_task(ignore_result=True)
def exports_expire_task() -> int:
    """Delete export files past the retention period and parts folders left by killed exports.

    Return how many export files were deleted.
    """
    export_parts_sweep()
    return len(exports_expire())
