"""Move a job row through its life: claim or start, heartbeat, succeed or fail, requeue, retry.

Each move is one conditional UPDATE on the row (``statuses``: the states it may move from; None
for any), so two workers, a worker and a cancel, or a worker and the stale-job sweep never both
win, and every move is safe to repeat. The functions return whether the row moved. They work
on any ``AsyncJob`` model: exports, imports and reports (LLM runs hold a lease instead, see
``services.llm_runs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import F, Q
from django.utils import timezone

from llmops_core.models import JobStatus
from llmops_core.models.jobs import AsyncJob

# Errors a retry may cure: a lost database connection, a locked SQLite file, a failover.
TRANSIENT_ERRORS: Final[tuple[type[Exception], ...]] = (OperationalError, InterfaceError)
UNFINISHED: Final = (JobStatus.PENDING, JobStatus.RUNNING)
RUNNING: Final = (JobStatus.RUNNING,)

JobModel = type[AsyncJob]
Statuses = Sequence[str] | None


def _rows(model: JobModel, job_id: int, statuses: Statuses, **match: Any) -> Any:
    """Return the queryset of job ``job_id`` if it is in one of ``statuses`` (None: any)."""
    rows = model._default_manager.filter(pk=job_id, **match)
    return rows if statuses is None else rows.filter(status__in=statuses)


def quiet_since(cutoff: datetime) -> Q:
    """Match rows with no sign of life since ``cutoff``: heartbeat, else start, else creation."""
    return (
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, created_at__lt=cutoff)
    )


def job_claim(*, model: JobModel, job_id: int) -> bool:
    """Mark a job started by this worker; False if it is finished or another worker runs it.

    A pending job is claimed; so is a running one whose heartbeat is older than
    ``JOB_STALE_SECONDS`` (its worker died and the broker redelivered the message). Each
    claim counts an attempt, which is what bounds a job that kills its worker every time.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimable = Q(status=JobStatus.PENDING) | (Q(status=JobStatus.RUNNING) & quiet_since(stale))
    return bool(
        model._default_manager.filter(claimable, pk=job_id).update(
            status=JobStatus.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1
        )
    )


def job_start(
    *,
    model: JobModel,
    job_id: int,
    statuses: Statuses = UNFINISHED,
    progress: float = 0.0,
    count_attempt: bool = True,
    **match: Any,
) -> bool:
    """Mark the job running, started and beating now, with no error; count an attempt.

    ``match`` narrows the row further (a report's ``kind``). Jobs claimed first
    (``job_claim`` counted the attempt) start with ``count_attempt=False``.
    """
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": JobStatus.RUNNING,
        "started_at": now,
        "heartbeat_at": now,
        "progress": progress,
        "error": "",
    }
    if count_attempt:
        fields["attempts"] = F("attempts") + 1
    return bool(_rows(model, job_id, statuses, **match).update(**fields))


def job_heartbeat(
    *,
    model: JobModel,
    job_id: int,
    progress: float | None = None,
    statuses: Statuses = RUNNING,
    **fields: Any,
) -> bool:
    """Record a sign of life (and the share done, and ``fields``); False if the job stopped.

    A False return under the default ``statuses`` means the job was cancelled or finished by
    someone else meanwhile: the caller stops.
    """
    if progress is not None:
        fields["progress"] = progress
    return bool(_rows(model, job_id, statuses).update(heartbeat_at=timezone.now(), **fields))


def job_finish(
    *, model: JobModel, job_id: int, status: str, statuses: Statuses = RUNNING, **fields: Any
) -> bool:
    """Move the job to the final ``status`` (finished now, unless ``fields`` say when)."""
    values: dict[str, Any] = {"status": status, "finished_at": timezone.now(), **fields}
    return bool(_rows(model, job_id, statuses).update(**values))


def job_succeed(
    *, model: JobModel, job_id: int, statuses: Statuses = RUNNING, **fields: Any
) -> bool:
    """Mark the job succeeded (progress 1.0) with its results in ``fields``."""
    return job_finish(
        model=model,
        job_id=job_id,
        status=JobStatus.SUCCEEDED,
        statuses=statuses,
        **{"progress": 1.0, **fields},
    )


def job_fail(
    *, model: JobModel, job_id: int, reason: str, statuses: Statuses = RUNNING, **fields: Any
) -> bool:
    """Mark the job failed, saying why in ``reason`` (the row's error)."""
    return job_finish(
        model=model,
        job_id=job_id,
        status=JobStatus.FAILED,
        statuses=statuses,
        error=reason,
        **fields,
    )


def job_requeue(
    *, model: JobModel, job_id: int, note: str, statuses: Statuses = UNFINISHED
) -> bool:
    """Put an unfinished job back to pending for its task to retry, noting why."""
    return bool(_rows(model, job_id, statuses).update(status=JobStatus.PENDING, error=note))


def job_retry(*, model: JobModel, job_id: int) -> bool:
    """Put a failed job back to pending as if new (its attempts stay counted)."""
    return bool(
        _rows(model, job_id, (JobStatus.FAILED,)).update(
            status=JobStatus.PENDING, progress=0.0, error="", started_at=None, finished_at=None
        )
    )
