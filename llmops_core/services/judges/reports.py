"""Judge comparison reports: request one (a ``Report`` row), compute it in Celery, resume it."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.hashing import canonical_json
from llmops_core.models import JobStatus, JudgeRun, JudgeVersion, Project, Report, ReportKind
from llmops_core.services.audit import audit_record
from llmops_core.services.judges.report_data import comparison_data

logger = logging.getLogger(__name__)
MAX_DRAWS = 10_000
STALE_REPORT = timedelta(minutes=30)


def _enqueue(report_id: int) -> None:
    from llmops_core.services.dispatch import dispatch
    from llmops_core.tasks.judges import judge_report_compute_task

    transaction.on_commit(lambda: dispatch(judge_report_compute_task, report_id))


def _run_outputs(run: JudgeRun) -> list[int]:
    """Return the outputs a run judged (for runs over explicit outputs, without a queue)."""
    if "pairs" in run.parameters:
        return sorted({pk for pair in run.parameters["pairs"] for pk in pair})
    return list(run.parameters.get("output_ids", []))


@transaction.atomic
def judge_report_request(
    *,
    project: Project,
    judge_version: JudgeVersion | None = None,
    run: JudgeRun | None = None,
    queue_id: int | None = None,
    requested_by: User | None = None,
    bootstrap_draws: int | None = None,
    seed: int = 0,
) -> Report:
    """Create a judge-vs-humans report for a judge version on a queue, and enqueue it.

    Given a run, the version and the queue (or the run's outputs) come from it.
    """
    if run is not None:
        judge_version = run.judge_version
        queue_id = queue_id if queue_id is not None else run.parameters.get("queue_id")
    if judge_version is None:
        raise DomainError("say which judge to compare: a judge version or a run")
    if judge_version.config.project_id != project.pk:
        raise DomainError("the judge belongs to another project")
    draws = (
        bootstrap_draws
        if bootstrap_draws is not None
        else int(getattr(settings, "REPORT_BOOTSTRAP_DRAWS", 1000))
    )
    if not 0 <= draws <= MAX_DRAWS:
        raise DomainError(f'field "bootstrap_draws": {draws} is outside 0-{MAX_DRAWS}')
    parameters: dict[str, Any] = {
        "judge_version_id": judge_version.pk,
        "queue_id": queue_id,
        "run_id": run.pk if run is not None else None,
        "bootstrap_draws": draws,
        "seed": seed,
    }
    if queue_id is None:
        if run is None:
            raise DomainError("say which human ratings to compare with: a queue or a run")
        parameters["output_ids"] = _run_outputs(run)
    label = f"{judge_version.config.name} v{judge_version.number}"
    report = Report.objects.create(
        project=project,
        kind=ReportKind.JUDGE_COMPARISON,
        title=f"{label} vs humans",
        parameters=parameters,
        requested_by=requested_by,
    )
    audit_record(
        actor=requested_by,
        action="judge_report.request",
        obj=report,
        project=project,
        after=parameters | {"output_ids": None},
    )
    _enqueue(report.pk)
    return report


def _start(report_id: int) -> Report | None:
    """Mark the report running and count the attempt; None if it is gone or done."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .filter(pk=report_id, kind=ReportKind.JUDGE_COMPARISON)
            .first()
        )
        if report is None or report.status in (JobStatus.SUCCEEDED, JobStatus.CANCELLED):
            return None
        report.status, report.started_at = JobStatus.RUNNING, timezone.now()
        report.heartbeat_at = report.started_at
        report.attempts += 1
        report.error, report.progress = "", 0.0
        report.save(
            update_fields=["status", "started_at", "heartbeat_at", "attempts", "error", "progress"]
        )
    return report


def judge_report_compute(*, report_id: int) -> Report | None:
    """Compute the report from a fresh snapshot; a failure is stored on the row, not raised."""
    report = _start(report_id)
    if report is None:
        return None
    params = report.parameters
    try:
        version = JudgeVersion.objects.select_related("config", "rubric_version").get(
            pk=params["judge_version_id"]
        )
        data, ratings_sha = comparison_data(
            project=report.project,
            version=version,
            queue_id=params.get("queue_id"),
            output_ids=params.get("output_ids"),
        )

        def progress(value: float) -> None:
            Report.objects.filter(pk=report.pk).update(
                progress=min(max(value, 0.0), 1.0), heartbeat_at=timezone.now()
            )

        # The statistics (scipy) load in the worker that computes, not in the web pages
        # that import this module to request a report.
        from llmops_core.services.judges.report_build import build_report

        results = build_report(
            data,
            draws=int(params.get("bootstrap_draws", 1000)),
            seed=int(params.get("seed", 0)),
            progress=progress,
        )
    except (DomainError, JudgeVersion.DoesNotExist) as exc:
        return _fail(report, str(exc))
    except Exception as exc:
        logger.exception("judge report %s failed", report.pk)
        return _fail(report, f"{type(exc).__name__}: {exc}")
    judged = hashlib.sha256(canonical_json(results["versions"]).encode()).hexdigest()
    report.results = results
    report.snapshot_hash = hashlib.sha256(f"{ratings_sha}:{judged}".encode()).hexdigest()
    report.snapshot_counts = {
        "ratings": data.n_ratings,
        "items": len(data.items),
        "judged": results["n_judged"],
        "versions": len(data.versions),
    }
    report.status, report.progress, report.finished_at = (JobStatus.SUCCEEDED, 1.0, timezone.now())
    report.save(
        update_fields=[
            "results",
            "snapshot_hash",
            "snapshot_counts",
            "status",
            "progress",
            "finished_at",
        ]
    )
    return report


def _fail(report: Report, message: str) -> Report:
    report.status, report.error, report.finished_at = JobStatus.FAILED, message, timezone.now()
    report.save(update_fields=["status", "error", "finished_at"])
    return report


def judge_reports_resume_stale() -> list[int]:
    """Re-enqueue judge reports left pending or running by a worker that died."""
    cutoff = timezone.now() - STALE_REPORT
    stale = (
        Report.objects.filter(kind=ReportKind.JUDGE_COMPARISON)
        .filter(status__in=[JobStatus.PENDING, JobStatus.RUNNING], created_at__lt=cutoff)
        .exclude(started_at__gte=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True)[:100])
    for report_id in ids:
        _enqueue(report_id)
    return ids
