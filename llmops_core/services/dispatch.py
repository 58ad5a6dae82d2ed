"""Publish tasks without trusting the broker, and sweep up jobs whose message or worker was lost.

The job rows are the source of truth, not the broker. A message can be lost (Redis restarted
with nothing on disk; a publish that failed while the broker was down) and a worker can die
mid-job (SIGKILL, OOM: its ``acks_late`` message comes back only after Redis' visibility
timeout, or never on the filesystem broker). Either way a row is left pending or running with
no sign of life, and ``jobs_resume_stale`` (Celery beat, every minute) dispatches it again:

* exports, imports and span batches (traces in): pending with no dispatch for
  ``JOB_PENDING_GRACE_SECONDS``, or running with no heartbeat for ``JOB_STALE_SECONDS``, are
  dispatched again; a job a worker started
  ``JOB_MAX_ATTEMPTS`` times without finishing fails, saying so, instead of looping;
* reports of every kind: pending past the grace, or running with no heartbeat for
  ``JOB_STALE_SECONDS`` (their worker died), are dispatched again; one whose worker died
  ``REPORT_MAX_ATTEMPTS`` times fails, saying so;
* judge and generation runs: ``llm_runs_resume_stale`` (stale lease); a run whose step died
  ``JOB_MAX_ATTEMPTS`` times in a row without finishing a chunk fails instead
  (``llm_runs_fail_exhausted``); judge reports: ``judge_reports_resume_stale``;
* succeeded generation runs whose followups (judge run, queueing the outputs, reports) are not
  all done after the grace: ``generation_run_followups`` again (a lost queue message, or a
  worker that died between finishing the run and starting what follows).

A job dispatched twice still runs once: export, import and span batch tasks ``job_claim`` the
row first, LLM runs take a lease, and reports skip finished rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from llmops_core.models import (
    ExportJob,
    ImportJob,
    JobStatus,
    Report,
    ReportKind,
    SpanBatch,
)

logger = logging.getLogger(__name__)

# A web request that enqueues waits at most about half a second for a broker that is down.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.3}
PUBLISH_ERRORS = (BrokerError, OSError)
SWEEP_LIMIT = 500  # rows per kind per sweep; the next sweep takes the rest

EXPORT_TASK = "llmops_core.tasks.exports.export_job_run_task"
IMPORT_TASK = "llmops_core.tasks.imports.import_job_run_task"
SPAN_BATCH_TASK = "llmops_core.tasks.traces.span_batch_process_task"
WorkerJob = type[ExportJob] | type[ImportJob] | type[SpanBatch]
REPORT_TASKS: dict[str, str] = {
    ReportKind.AGREEMENT: "llmops_core.tasks.reports.report_compute_task",
    ReportKind.JUDGE_COMPARISON: "llmops_core.tasks.judges.judge_report_compute_task",
    ReportKind.SCORECARD: "llmops_core.tasks.versions.version_report_compute_task",
    ReportKind.VERSION_COMPARISON: "llmops_core.tasks.versions.version_report_compute_task",
}


def dispatch(task: Task | str, *args: Any) -> bool:
    """Publish ``task`` (a task or its name) with ``args``; return whether the broker took it.

    When the broker is unreachable the error is logged, not raised: the job's row is already
    committed and stays pending, and ``jobs_resume_stale`` dispatches it once the broker is
    back. Raising here (from ``transaction.on_commit``) would turn a saved job into a 500.
    """
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            current_app.send_task(task, args=list(args), retry=True, retry_policy=PUBLISH_RETRY)
        else:
            task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY)
    except PUBLISH_ERRORS as exc:
        logger.error(
            "could not publish %s%r (%s); the job stays pending until the stale-job "
            "sweep dispatches it again",
            name,
            args,
            exc,
        )
        return False
    return True


def _quiet_since(cutoff: datetime) -> Q:
    """Match rows with no sign of life since ``cutoff``: heartbeat, else start, else creation."""
    return (
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, created_at__lt=cutoff)
    )


def job_claim(*, model: WorkerJob, job_id: int) -> bool:
    """Mark a job started by this worker; False if it is finished or another worker runs it.

    A pending job is claimed; so is a running one whose heartbeat is older than
    ``JOB_STALE_SECONDS`` (its worker died and the broker redelivered the message). Each
    claim counts an attempt, which is what bounds a job that kills its worker every time.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimable = Q(status=JobStatus.PENDING) | (Q(status=JobStatus.RUNNING) & _quiet_since(stale))
    return bool(
        model.objects.filter(claimable, pk=job_id).update(
            status=JobStatus.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1
        )
    )


@dataclass
class SweepResult:
    """What one sweep did, by ``"kind:id"``: dispatched again, failed for good, LLM runs resumed."""

    dispatched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    resumed_runs: list[str] = field(default_factory=list)
    resumed_judge_reports: list[int] = field(default_factory=list)


def jobs_resume_stale(*, now: datetime | None = None) -> SweepResult:
    """Dispatch again every job whose message or worker was lost (the periodic task's call)."""
    # Imported here: those modules enqueue through ``dispatch`` and import this module.
    from llmops_core.services.generation import (
        generation_run_followups,
        generation_runs_followups_due,
    )
    from llmops_core.services.judges.reports import judge_reports_resume_stale
    from llmops_core.services.llm_runs import llm_runs_fail_exhausted, llm_runs_resume_stale

    now = now or timezone.now()
    result = SweepResult()
    _sweep_worker_jobs("export", ExportJob, EXPORT_TASK, now, result)
    _sweep_worker_jobs("import", ImportJob, IMPORT_TASK, now, result)
    _sweep_worker_jobs("span-batch", SpanBatch, SPAN_BATCH_TASK, now, result)
    _sweep_pending_reports(now, result)
    for kind, pk in llm_runs_fail_exhausted(max_attempts=settings.JOB_MAX_ATTEMPTS):
        result.failed.append(f"{kind}:{pk}")
    result.resumed_runs = [f"{kind}:{pk}" for kind, pk in llm_runs_resume_stale()]
    result.resumed_judge_reports = judge_reports_resume_stale()
    grace = now - timedelta(seconds=settings.JOB_PENDING_GRACE_SECONDS)
    for pk in generation_runs_followups_due(finished_before=grace, limit=SWEEP_LIMIT):
        if generation_run_followups(run_id=pk):
            result.dispatched.append(f"generation-followups:{pk}")
    if result.dispatched or result.failed or result.resumed_runs:
        logger.warning(
            "stale-job sweep: dispatched %s, failed %s, resumed runs %s",
            result.dispatched,
            result.failed,
            result.resumed_runs,
        )
    return result


def _sweep_worker_jobs(
    kind: str,
    model: WorkerJob,
    task: str,
    now: datetime,
    result: SweepResult,
) -> None:
    """Dispatch lost exports, imports or span batches again, or fail them past their attempts."""
    grace = now - timedelta(seconds=settings.JOB_PENDING_GRACE_SECONDS)
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    max_attempts = settings.JOB_MAX_ATTEMPTS
    lost = Q(status=JobStatus.PENDING) & _quiet_since(grace) | Q(
        status=JobStatus.RUNNING
    ) & _quiet_since(stale)
    fields = ["file"] if model is ImportJob else []
    rows = (
        model.objects.filter(lost)
        .order_by("pk")
        .values("pk", "status", "heartbeat_at", "attempts", *fields)[:SWEEP_LIMIT]
    )
    for row in rows:
        label = f"{kind}:{row['pk']}"
        # Changed only if no worker or other sweep touched the row since it was read.
        unchanged = model.objects.filter(
            pk=row["pk"], status=row["status"], heartbeat_at=row["heartbeat_at"]
        )
        died = row["status"] == JobStatus.RUNNING
        if kind == "import" and not row["file"]:
            reason = (
                "the process importing it inline stopped before it finished; import the "
                "file again (rows already imported are skipped)"
            )
        elif died and row["attempts"] >= max_attempts:
            reason = (
                f"gave up after {row['attempts']} attempts: the worker running it stopped "
                "each time (killed, or out of memory); ask for it again"
            )
        else:
            note = (
                f"attempt {row['attempts']} stopped with its worker; dispatched again"
                if died
                else ""
            )
            if unchanged.update(status=JobStatus.PENDING, heartbeat_at=now, error=note):
                dispatch(task, row["pk"])
                result.dispatched.append(label)
            continue
        if unchanged.update(status=JobStatus.FAILED, error=reason, finished_at=now):
            result.failed.append(label)


def _sweep_pending_reports(now: datetime, result: SweepResult) -> None:
    """Dispatch again the reports of every kind whose message or worker was lost.

    Pending past the grace period: the message was lost. Running with no heartbeat (a report
    beats it at every progress step) for ``JOB_STALE_SECONDS``: the worker died; after
    ``REPORT_MAX_ATTEMPTS`` starts the report fails instead. A report's task starts a pending
    or running report alike, so the dispatch is all it takes.
    """
    grace = now - timedelta(seconds=settings.JOB_PENDING_GRACE_SECONDS)
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    lost = Q(status=JobStatus.PENDING) & _quiet_since(grace) | Q(
        status=JobStatus.RUNNING
    ) & _quiet_since(stale)
    rows = (
        Report.objects.filter(lost)
        .order_by("pk")
        .values("pk", "kind", "status", "heartbeat_at", "attempts")[:SWEEP_LIMIT]
    )
    max_attempts = int(getattr(settings, "REPORT_MAX_ATTEMPTS", 3))
    for row in rows:
        task = REPORT_TASKS.get(row["kind"])
        if task is None:
            continue
        label = f"report:{row['pk']}"
        unchanged = Report.objects.filter(
            pk=row["pk"], status=row["status"], heartbeat_at=row["heartbeat_at"]
        )
        if row["status"] == JobStatus.RUNNING and row["attempts"] >= max_attempts:
            reason = (
                f"gave up after {row['attempts']} attempts: the worker computing it "
                "stopped each time (killed, or out of memory); ask for it again"
            )
            if unchanged.update(status=JobStatus.FAILED, error=reason, finished_at=now):
                result.failed.append(label)
        elif unchanged.update(heartbeat_at=now):
            dispatch(task, row["pk"])
            result.dispatched.append(label)
