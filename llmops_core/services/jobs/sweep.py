"""The stale-job sweep: dispatch again the jobs whose message or worker was lost.

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
  ``REPORT_MAX_ATTEMPTS`` times fails, saying so; judge reports left for 30 minutes are
  dispatched again too (``_judge_reports_resume``);
* judge and generation runs: ``llm_runs_resume_stale`` (stale lease); a run whose step died
  ``JOB_MAX_ATTEMPTS`` times in a row without finishing a chunk fails instead
  (``llm_runs_fail_exhausted``);
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

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from llmops_core.models import ExportJob, ImportJob, JobStatus, Report, ReportKind, SpanBatch
from llmops_core.services.generation import (
    generation_run_followups,
    generation_runs_followups_due,
)
from llmops_core.services.jobs.dispatch import (
    JobKind,
    job_dispatch,
    job_enqueue,
    report_job_kind,
)
from llmops_core.services.jobs.lifecycle import quiet_since
from llmops_core.services.llm_runs import llm_runs_fail_exhausted, llm_runs_resume_stale

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 500  # rows per kind per sweep; the next sweep takes the rest
STALE_JUDGE_REPORT = timedelta(minutes=30)
JUDGE_REPORTS_LIMIT = 100


@dataclass
class SweepResult:
    """What one sweep did, by ``"kind:id"``: dispatched again, failed for good, LLM runs resumed."""

    dispatched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    resumed_runs: list[str] = field(default_factory=list)
    resumed_judge_reports: list[int] = field(default_factory=list)


def jobs_resume_stale(*, now: datetime | None = None) -> SweepResult:
    """Dispatch again every job whose message or worker was lost (the periodic task's call)."""
    now = now or timezone.now()
    result = SweepResult()
    _sweep_worker_jobs("export", ExportJob, JobKind.EXPORT, now, result)
    _sweep_worker_jobs("import", ImportJob, JobKind.IMPORT, now, result)
    _sweep_worker_jobs("span-batch", SpanBatch, JobKind.SPAN_BATCH, now, result)
    _sweep_reports(now, result)
    for kind, pk in llm_runs_fail_exhausted(max_attempts=settings.JOB_MAX_ATTEMPTS):
        result.failed.append(f"{kind}:{pk}")
    result.resumed_runs = [f"{kind}:{pk}" for kind, pk in llm_runs_resume_stale()]
    result.resumed_judge_reports = _judge_reports_resume()
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


def _lost(now: datetime) -> Q:
    """Match jobs pending past the grace (message lost) or running without a heartbeat."""
    grace = now - timedelta(seconds=settings.JOB_PENDING_GRACE_SECONDS)
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    return Q(status=JobStatus.PENDING) & quiet_since(grace) | Q(
        status=JobStatus.RUNNING
    ) & quiet_since(stale)


def _sweep_worker_jobs(
    kind: str,
    model: type[ExportJob] | type[ImportJob] | type[SpanBatch],
    job_kind: JobKind,
    now: datetime,
    result: SweepResult,
) -> None:
    """Dispatch lost exports, imports or span batches again, or fail them past their attempts."""
    max_attempts = settings.JOB_MAX_ATTEMPTS
    fields = ["file"] if model is ImportJob else []
    rows = (
        model.objects.filter(_lost(now))
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
                job_dispatch(job_kind, row["pk"])
                result.dispatched.append(label)
            continue
        if unchanged.update(status=JobStatus.FAILED, error=reason, finished_at=now):
            result.failed.append(label)


def _sweep_reports(now: datetime, result: SweepResult) -> None:
    """Dispatch again the reports of every kind whose message or worker was lost.

    Pending past the grace period: the message was lost. Running with no heartbeat (a report
    beats it at every progress step) for ``JOB_STALE_SECONDS``: the worker died; after
    ``REPORT_MAX_ATTEMPTS`` starts the report fails instead. A report's task starts a pending
    or running report alike, so the dispatch is all it takes.
    """
    rows = (
        Report.objects.filter(_lost(now))
        .order_by("pk")
        .values("pk", "kind", "status", "heartbeat_at", "attempts")[:SWEEP_LIMIT]
    )
    max_attempts = int(getattr(settings, "REPORT_MAX_ATTEMPTS", 3))
    for row in rows:
        job_kind = report_job_kind(row["kind"])
        if job_kind is None:
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
            job_dispatch(job_kind, row["pk"])
            result.dispatched.append(label)


def _judge_reports_resume() -> list[int]:
    """Enqueue again judge reports left pending or running for 30 minutes by a dead worker."""
    cutoff = timezone.now() - STALE_JUDGE_REPORT
    stale = (
        Report.objects.filter(kind=ReportKind.JUDGE_COMPARISON)
        .filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING], created_at__lt=cutoff)
        .exclude(started_at__gte=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True)[:JUDGE_REPORTS_LIMIT])
    for report_id in ids:
        job_enqueue(JobKind.JUDGE_REPORT, report_id)
    return ids
