"""Celery tasks for imports, and the ping task that proves a worker round trip."""

from __future__ import annotations

from celery import shared_task

from llmops_core.models import ImportJob
from llmops_core.services.import_jobs import import_job_run
from llmops_core.services.jobs import job_claim


@shared_task(acks_late=True, ignore_result=True)
def import_job_run_task(job_id: int) -> None:
    """Run import job ``job_id``; re-running is safe (existing rows are skipped).

    The claim makes a second message for the same job a no-op while the first one runs.
    """
    job = ImportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or job.is_finished or not job_claim(model=ImportJob, job_id=job_id):
        return
    import_job_run(job=job)


@shared_task(acks_late=True, ignore_result=True)
def ping_task(marker: str) -> None:
    """Write ``marker`` to the audit log: the smallest real round trip through a worker."""
    from llmops_core.services.audit import audit_record

    audit_record(actor=None, action="worker.ping", obj=None, after={"marker": marker})
