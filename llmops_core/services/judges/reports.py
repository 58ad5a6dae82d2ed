"""Judge comparison reports: request one (a ``Report`` row) and compute it in Celery.

``report_data`` reads what the report needs into plain data, ``metrics.judge_report.build``
computes it, and this module stores it. The row moves through ``services.jobs`` (start,
heartbeat, succeed or fail); the stale-job sweep there dispatches a report whose worker died.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.errors import DomainError
from llmops_core.hashing import canonical_json
from llmops_core.metrics.judge_report.build import build_report
from llmops_core.models import JobStatus, JudgeRun, JudgeVersion, Project, Report, ReportKind
from llmops_core.services.audit import audit_record
from llmops_core.services.jobs import (
    UNFINISHED,
    JobKind,
    job_enqueue,
    job_fail,
    job_heartbeat,
    job_start,
    job_succeed,
)
from llmops_core.services.judges.report_data import comparison_data

logger = logging.getLogger(__name__)
MAX_DRAWS = 10_000


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
    job_enqueue(JobKind.JUDGE_REPORT, report.pk)
    return report


def _start(report_id: int) -> Report | None:
    """Mark the report running and count the attempt; None if it is gone or done.

    A failed report starts again too: its message was redelivered, or it was asked for again.
    """
    startable = (*UNFINISHED, JobStatus.FAILED)
    kind = ReportKind.JUDGE_COMPARISON
    if not job_start(model=Report, job_id=report_id, statuses=startable, kind=kind):
        return None
    return Report.objects.get(pk=report_id)


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
            share = min(max(value, 0.0), 1.0)
            job_heartbeat(model=Report, job_id=report.pk, progress=share, statuses=None)

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
    job_succeed(
        model=Report,
        job_id=report.pk,
        statuses=None,
        results=results,
        snapshot_hash=hashlib.sha256(f"{ratings_sha}:{judged}".encode()).hexdigest(),
        snapshot_counts={
            "ratings": data.n_ratings,
            "items": len(data.items),
            "judged": results["n_judged"],
            "versions": len(data.versions),
        },
    )
    report.refresh_from_db()
    return report


def _fail(report: Report, message: str) -> Report:
    job_fail(model=Report, job_id=report.pk, reason=message, statuses=None)
    report.refresh_from_db()
    return report
