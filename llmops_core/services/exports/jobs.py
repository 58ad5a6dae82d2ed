"""Export jobs: create the row, run the pipeline into a stored file, record the snapshot.

A snapshot is the file plus what makes it checkable and repeatable: the filters, row counts,
app version, the file's SHA-256 and the datasheet.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.files import File
from django.db import OperationalError, transaction
from django.utils import timezone

from llmops_core.errors import NotAllowed
from llmops_core.io.writers import writer_for
from llmops_core.models import ExportJob, JobStatus, Project, Role
from llmops_core.selectors.exports import export_choices
from llmops_core.services.audit import audit_record
from llmops_core.services.exports.datasheet import app_version, datasheet_build
from llmops_core.services.exports.datasheet_md import datasheet_markdown
from llmops_core.services.exports.spec import ExportSpec, export_filters_parse
from llmops_core.services.exports.write import ExportOutcome, export_write
from llmops_core.services.jobs import (
    UNFINISHED,
    JobKind,
    job_enqueue,
    job_fail,
    job_finish,
    job_heartbeat,
    job_requeue,
    job_start,
    job_succeed,
)

logger = logging.getLogger(__name__)
REAL_NAMES_REFUSED = (
    "real reviewer names are for project admins only; export with pseudonyms or ask an admin"
)


def export_spec_build(
    *,
    project: Project,
    kind: str,
    fmt: str,
    filters: Mapping[str, Any] | None = None,
    real_names: bool = False,
    role: str | None,
) -> ExportSpec:
    """Return a checked export spec; ``role`` None means a trusted operator (the CLI).

    Raises NotAllowed when someone below admin asks for real names, DomainError for filters
    that name what the project does not have or values out of range.
    """
    if real_names and role is not None and role != Role.ADMIN:
        raise NotAllowed(REAL_NAMES_REFUSED)
    choices = export_choices(project_id=project.pk)
    parsed = export_filters_parse(
        filters or {},
        queue_ids={q for q, _ in choices.queues},
        prompt_version_ids={v for v, _ in choices.versions},
        criteria=set(choices.criteria),
    )
    return ExportSpec(
        project_id=project.pk, kind=kind, format=fmt, filters=parsed, real_names=real_names
    )


def export_spec_of(job: ExportJob) -> ExportSpec:
    """Return the spec a job row records (its filters were checked when it was created)."""
    return export_spec_build(
        project=job.project,
        kind=job.kind,
        fmt=job.format,
        filters=job.filters,
        real_names=job.real_names,
        role=None,
    )


@transaction.atomic
def export_job_create(
    *,
    spec: ExportSpec,
    project: Project,
    requested_by: User | AnonymousUser | None,
) -> ExportJob:
    """Create the row of an export job (pending) and audit it."""
    user = requested_by if requested_by is not None and requested_by.is_authenticated else None
    job = ExportJob.objects.create(
        project=project,
        kind=spec.kind,
        format=spec.format,
        filters=spec.filters.as_dict(spec.kind),
        real_names=spec.real_names,
        requested_by=user,
        app_version=app_version(),  # type: ignore[misc]
    )
    audit_record(
        actor=requested_by,
        action="export.create",
        obj=job,
        project=project,
        after={
            "kind": job.kind,
            "format": job.format,
            "filters": job.filters,
            "real_names": job.real_names,
        },
    )
    return job


def export_job_enqueue(*, job: ExportJob) -> None:
    """Queue the job for a Celery worker once the current transaction commits."""
    job_enqueue(JobKind.EXPORT, job.pk)


def export_file_name(job: ExportJob) -> str:
    """Return the name a job's file is downloaded under."""
    return f"{job.project.slug}-{job.kind}-{job.pk}{writer_for(job.format).extension}"


class ExportCancelled(Exception):
    """The job was cancelled while it ran; its partial file is thrown away."""


def export_job_run(*, job: ExportJob, block_ratings: int | None = None) -> ExportJob:
    """Run the job: stream the export into its file and record the snapshot on the row.

    Safe to run again: a rerun replaces the file. A database that is briefly unavailable
    leaves the job pending for the task to retry; any other error fails it with the message.
    A job cancelled before or while it runs stays cancelled and keeps no file. Every status
    change is conditional on the job still being active, so a cancel is never overwritten.
    """
    # The task's claim counted the attempt.
    if not job_start(model=ExportJob, job_id=job.pk, count_attempt=False):
        job.refresh_from_db()
        return job
    try:
        spec = export_spec_of(job)
        outcome = _write_file(job, spec, block_ratings)
    except ExportCancelled:
        job.refresh_from_db()
        return job
    except OperationalError as exc:
        job_requeue(model=ExportJob, job_id=job.pk, note=f"retrying: {exc}")
        raise
    except Exception as exc:
        logger.exception("export job %s failed", job.pk)
        job_fail(model=ExportJob, job_id=job.pk, reason=str(exc), statuses=UNFINISHED)
        job.refresh_from_db()
        return job
    job.rows, job.sha256 = outcome.result.rows, outcome.result.sha256
    job.datasheet = datasheet_build(outcome.run, outcome.result, file_name=export_file_name(job))
    job.app_version = job.datasheet["app_version"]
    job.status, job.progress, job.finished_at = JobStatus.SUCCEEDED, 1.0, timezone.now()
    stored = job_succeed(
        model=ExportJob,
        job_id=job.pk,
        statuses=UNFINISHED,  # anything but cancelled (a cancel is never overwritten)
        file=job.file.name,
        rows=job.rows,
        sha256=job.sha256,
        datasheet=job.datasheet,
        app_version=job.app_version,
        finished_at=job.finished_at,
    )
    if not stored:  # cancelled between the last block and now: drop the finished file
        job.file.delete(save=False)
        job.refresh_from_db()
    return job


def export_job_cancel(*, job: ExportJob, actor: User | AnonymousUser | None) -> bool:
    """Cancel a pending or running job; False if it had finished already.

    A running export notices at its next block (within a second or so), stops, and keeps no
    file; its worker is free again.
    """
    cancelled = job_finish(
        model=ExportJob,
        job_id=job.pk,
        status=JobStatus.CANCELLED,
        statuses=UNFINISHED,
        error="cancelled",
    )
    if cancelled:
        audit_record(
            actor=actor,
            action="export.cancel",
            obj=job,
            project=job.project,
            before={"status": job.status},
            after={"status": JobStatus.CANCELLED},
        )
        job.refresh_from_db()
    return bool(cancelled)


def export_job_delete(*, job: ExportJob, actor: User | AnonymousUser | None) -> None:
    """Delete an export: its file and its row (a running one is cancelled first)."""
    export_job_cancel(job=job, actor=actor)
    audit_record(
        actor=actor,
        action="export.delete",
        obj=job,
        project=job.project,
        before={
            "kind": job.kind,
            "format": job.format,
            "rows": job.rows,
            "sha256": job.sha256,
            "filters": job.filters,
        },
    )
    if job.file:
        job.file.delete(save=False)
    job.delete()


def exports_expire(*, now: datetime | None = None) -> list[int]:
    """Delete the files of exports finished more than EXPORT_RETENTION_DAYS ago.

    The job row stays, with its filters, row count, SHA-256 and datasheet, so what was
    exported remains on record; only the file goes (rerun the export to get it again).
    Returns the ids of the jobs whose file was deleted. EXPORT_RETENTION_DAYS=0 keeps files.
    """
    days = settings.EXPORT_RETENTION_DAYS
    if days <= 0:
        return []
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = []
    old = (
        ExportJob.objects.filter(finished_at__lt=cutoff)
        .exclude(file="")
        .select_related("project")
        .order_by("id")
    )
    for job in old.iterator(chunk_size=200):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        audit_record(
            actor=None,
            action="export.expire",
            obj=job,
            project=job.project,
            before={"sha256": job.sha256},
            after={"retention_days": days},
        )
        expired.append(job.pk)
    return expired


def _write_file(job: ExportJob, spec: ExportSpec, block_ratings: int | None) -> ExportOutcome:
    """Write the export to a temporary file, then store it as the job's file."""

    def progress(fraction: float) -> None:
        share = round(min(fraction, 0.99), 4)
        if not job_heartbeat(model=ExportJob, job_id=job.pk, progress=share):
            raise ExportCancelled

    options = {"block_ratings": block_ratings} if block_ratings else {}
    with tempfile.TemporaryFile() as handle:
        outcome = export_write(spec, handle, on_progress=progress, **options)
        handle.seek(0)
        if job.file:
            job.file.delete(save=False)
        job.file.save(export_file_name(job), File(handle), save=False)
    return outcome


def export_to_path(spec: ExportSpec, path: Path) -> tuple[ExportOutcome, dict[str, Any]]:
    """Write an export to ``path`` and its datasheet beside it (.datasheet.json and .md)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        outcome = export_write(spec, handle)
    sheet = datasheet_build(outcome.run, outcome.result, file_name=path.name)
    Path(f"{path}.datasheet.json").write_text(datasheet_json(sheet), encoding="utf-8")
    Path(f"{path}.datasheet.md").write_text(datasheet_markdown(sheet), encoding="utf-8")
    return outcome, sheet


def datasheet_json(sheet: Mapping[str, Any]) -> str:
    """Return a datasheet as stable, readable JSON text."""
    return json.dumps(sheet, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
