"""Import jobs: the row behind every import, run inline for small files, by Celery for big ones.

The row moves through ``services.jobs`` (start, heartbeat, finish); a big file's job is
enqueued there too, by kind.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.contrib.auth.models import User
from django.core.files.base import File
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.io.imports import FileError, RowError, detect_format, iter_records
from llmops_core.models import ImportJob, ImportJobOutput, JobStatus, Project
from llmops_core.services.imports import ImportResult, outputs_import
from llmops_core.services.jobs import JobKind, job_enqueue, job_finish, job_heartbeat, job_start

Opener = Callable[[], IO[bytes]]


class _PositionTracker:
    """Open the file for each pass and remember it, so progress can read its position."""

    def __init__(self, opener: Opener, size: int) -> None:
        self.opener = opener
        self.size = max(size, 1)
        self.current: IO[bytes] | None = None

    def open(self) -> IO[bytes]:
        if self.current is not None:
            self.current.close()
        self.current = self.opener()
        return self.current

    def fraction(self) -> float:
        if self.current is None or self.current.closed:
            return 1.0
        try:
            return min(self.current.tell() / self.size, 1.0)
        except (OSError, ValueError):
            return 0.0

    def close(self) -> None:
        if self.current is not None:
            self.current.close()


def import_job_create(
    *,
    project: Project,
    created_by: User | None,
    content: IO[bytes] | None = None,
    filename: str,
    partial: bool,
    source: str,
    create_prompts: bool = False,
    fmt: str | None = None,
    keep_file: bool = True,
) -> ImportJob:
    """Create the job row for an import, storing the uploaded file with it if asked."""
    if fmt is None:
        head = b""
        if content is not None:
            head = content.read(4096)
            content.seek(0)
        try:
            fmt = detect_format(filename, head)
        except FileError as exc:
            raise DomainError(str(exc)) from exc
    job = ImportJob(
        project=project,
        created_by=created_by,
        source=source,
        format=fmt,
        original_name=Path(filename).name[:255],
        partial=partial,
        create_prompts=create_prompts,
    )
    if content is not None and keep_file:
        job.file.save(Path(filename).name or f"import.{fmt}", File(content), save=False)
        job.total_bytes = job.file.size
    job.save()
    return job


def import_job_run(
    *,
    job: ImportJob,
    opener: Opener | None = None,
    size: int | None = None,
    on_error: Callable[[RowError], None] | None = None,
) -> ImportResult:
    """Run ``job`` over its stored file (or ``opener``) and record the outcome on the row."""
    if opener is None:
        if not job.file:
            raise DomainError(f"import job {job.pk} has no file to read")
        path = job.file.path
        opener = lambda: open(path, "rb")  # noqa: E731, SIM115
        size = Path(path).stat().st_size
    tracker = _PositionTracker(opener, size or job.total_bytes)
    # The task claimed the job (one attempt); an inline import starts the row it just made.
    job_start(model=ImportJob, job_id=job.pk, statuses=None, count_attempt=False)
    # A run that resumes a lost one records every row's output again, from the first row.
    ImportJobOutput.objects.filter(job=job).delete()

    def on_progress(phase: str, result: ImportResult) -> None:
        share = tracker.fraction()
        if not job.partial:
            share = share / 2 if phase == "validate" else 0.5 + share / 2
        job_heartbeat(
            model=ImportJob,
            job_id=job.pk,
            progress=round(min(share, 0.99), 4),
            statuses=None,
            rows_seen=result.rows_seen,
        )

    try:
        result = outputs_import(
            project=job.project,
            source=lambda: iter_records(tracker.open(), job.format),
            partial=job.partial,
            create_prompts=job.create_prompts,
            job_id=job.pk,
            on_error=on_error,
            on_progress=on_progress,
        )
    except FileError as exc:
        _finish(job, ImportResult(rejected=True), error=str(exc))
        raise DomainError(str(exc)) from exc
    finally:
        tracker.close()
    error = ""
    if result.rejected:
        error = f"{result.rows_failed} bad row(s); nothing was imported"
    _finish(job, result, error=error)
    return result


def _finish(job: ImportJob, result: ImportResult, *, error: str) -> None:
    """Record the outcome on the row (and on ``job``): succeeded, or failed with ``error``."""
    fields = {
        "error": error,
        "progress": 1.0,
        "rows_seen": result.rows_seen,
        "rows_created": result.rows_created,
        "rows_existing": result.rows_existing,
        "rows_failed": result.rows_failed,
        "rows_skipped": result.rows_skipped,
        "row_errors": result.error_groups.messages(),
        "row_skips": result.skip_groups.messages(),
        "prompts_missing": result.prompts_missing,
        "finished_at": timezone.now(),
    }
    status = JobStatus.FAILED if (result.rejected or error) else JobStatus.SUCCEEDED
    job_finish(model=ImportJob, job_id=job.pk, status=status, statuses=None, **fields)
    for name, value in {"status": status, **fields}.items():
        setattr(job, name, value)


def import_job_enqueue(*, job: ImportJob) -> None:
    """Queue ``job`` for a Celery worker once the current transaction commits."""
    job_enqueue(JobKind.IMPORT, job.pk)


def import_bytes(
    *,
    project: Project,
    created_by: User | None,
    data: bytes,
    fmt: str,
    partial: bool,
    source: str,
    filename: str = "",
    create_prompts: bool = False,
) -> tuple[ImportJob, ImportResult]:
    """Import a small in-memory body (an API request) inline and return the job and result."""
    job = import_job_create(
        project=project,
        created_by=created_by,
        filename=filename or f"request.{fmt}",
        partial=partial,
        source=source,
        fmt=fmt,
        create_prompts=create_prompts,
    )
    result = import_job_run(job=job, opener=lambda: io.BytesIO(data), size=len(data))
    return job, result
