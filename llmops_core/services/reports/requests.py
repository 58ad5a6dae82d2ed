"""Ask for agreement reports: on request, on retry, when a queue closes, and on a schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from annotate.selectors import QueueRow, queue_row, rating_fingerprint
from llmops_core.errors import DomainError
from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.selectors.reports import report_recent, report_unfinished
from llmops_core.services.audit import audit_record
from llmops_core.services.jobs import JobKind, job_enqueue, job_retry
from llmops_core.services.reports.compute import report_fail
from llmops_core.services.reports.scope import (
    ReportScope,
    scope_check,
    scope_filter,
    scope_key,
)

Actor = User | AnonymousUser | None


class Trigger:
    """Why a report was computed (stored as ``parameters["trigger"]``)."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    QUEUE_CLOSED = "queue_closed"


def report_enqueue(*, report_id: int) -> None:
    """Queue the computation of ``report_id`` for a worker once the transaction commits."""
    job_enqueue(JobKind.AGREEMENT_REPORT, report_id)


def _title(scope: ReportScope, queue: QueueRow | None) -> str:
    """Return a short title saying what the report covers."""
    parts = [f"queue {queue.name}" if queue else "all queues"]
    if scope.prompt_version_ids:
        n = len(scope.prompt_version_ids)
        parts.append(f"{n} prompt version{'s' if n > 1 else ''}")
    if scope.reviewers:
        parts.append("reviewers " + ", ".join(sorted(scope.reviewers)))
    if scope.since or scope.until:
        since = scope.since.date().isoformat() if scope.since else "…"
        until = scope.until.date().isoformat() if scope.until else "…"
        parts.append(f"{since} to {until}")
    return ("Agreement: " + "; ".join(parts))[:200]


@transaction.atomic
def report_request(
    *, project: Project, requested_by: Actor, scope: ReportScope, trigger: str = Trigger.MANUAL
) -> tuple[Report, bool]:
    """Ask for an agreement report on ``scope``; return it and whether it is new.

    A report with the same scope that is still pending or running is returned instead of
    starting a second one (a double click, or a queue closed twice).
    """
    queue = scope_check(project=project, scope=scope)
    Project.objects.select_for_update().filter(pk=project.pk).first()  # serialise per project
    parameters = {**scope.as_parameters(), "trigger": trigger}
    key = scope_key(parameters)
    for existing in report_unfinished(project_id=project.pk, kind=ReportKind.AGREEMENT):
        if scope_key(existing.parameters) == key:
            return existing, False
    user = requested_by if isinstance(requested_by, get_user_model()) else None
    report = Report.objects.create(
        project=project,
        kind=ReportKind.AGREEMENT,
        title=_title(scope, queue),
        parameters=parameters,
        requested_by=user,
    )
    audit_record(
        actor=requested_by,
        action="report.request",
        obj=report,
        project=project,
        after={"parameters": parameters},
    )
    report_enqueue(report_id=report.pk)
    return report, True


@transaction.atomic
def report_retry(*, report: Report, actor: Actor) -> Report:
    """Put a failed report back in the queue with its parameters unchanged."""
    row = Report.objects.select_for_update().get(pk=report.pk)
    if row.status != JobStatus.FAILED:
        raise DomainError(f"only a failed report can be retried; report {row.pk} is {row.status}")
    before = {"error": row.error, "attempts": row.attempts}
    job_retry(model=Report, job_id=row.pk)
    audit_record(actor=actor, action="report.retry", obj=row, project=row.project, before=before)
    report_enqueue(report_id=row.pk)
    row.refresh_from_db()
    return row


def report_recompute(*, report: Report, requested_by: Actor) -> tuple[Report, bool]:
    """Ask for a fresh report over the same scope as ``report`` (a new row; the old one stays)."""
    return report_request(
        project=report.project,
        requested_by=requested_by,
        scope=ReportScope.from_parameters(report.parameters),
    )


def report_request_on_queue_close(*, queue_id: int) -> Report | None:
    """Ask for the agreement report of a queue that has just closed (call it from the closing
    transaction: the task is enqueued when it commits). Returns None for an unknown queue."""
    queue = queue_row(queue_id=queue_id)
    if queue is None:
        return None
    project = Project.objects.get(pk=queue.project_id)
    report, _ = report_request(
        project=project,
        requested_by=None,
        scope=ReportScope(queue_id=queue_id),
        trigger=Trigger.QUEUE_CLOSED,
    )
    return report


@dataclass
class RefreshResult:
    """What one stale sweep did."""

    refreshed: list[int]
    requeued: list[int]
    gave_up: list[int]


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def report_refresh_stale(*, now: datetime | None = None) -> RefreshResult:
    """Recompute reports whose ratings changed, and rescue reports a lost worker left behind.

    Looks at the agreement reports asked for in the last ``REPORT_REFRESH_WINDOW_DAYS``: for
    each scope, the newest report is recomputed if its ratings' fingerprint changed since.
    Reports pending or running for longer than ``REPORT_STUCK_MINUTES`` are queued again, or
    marked failed after ``REPORT_MAX_ATTEMPTS`` attempts.
    """
    now = now or timezone.now()
    since = now - timedelta(days=_setting("REPORT_REFRESH_WINDOW_DAYS", 30))
    stuck_before = now - timedelta(minutes=_setting("REPORT_STUCK_MINUTES", 60))
    max_attempts = _setting("REPORT_MAX_ATTEMPTS", 3)
    result = RefreshResult([], [], [])
    newest: dict[tuple[int, str], Report] = {}
    for report in report_recent(kind=ReportKind.AGREEMENT, since=since):
        newest[(report.project_id, scope_key(report.parameters))] = report
        if report.is_finished or (report.started_at or report.created_at) >= stuck_before:
            continue
        if report.attempts >= max_attempts:
            report_fail(
                report_id=report.pk,
                reason=f"gave up after {report.attempts} attempts: "
                "the worker never finished (it may have been stopped); retry it",
            )
            result.gave_up.append(report.pk)
        else:
            report_enqueue(report_id=report.pk)
            result.requeued.append(report.pk)
    for report in newest.values():
        if report.status == JobStatus.SUCCEEDED and _changed(report):
            fresh, created = report_request(
                project=report.project,
                requested_by=None,
                scope=ReportScope.from_parameters(report.parameters),
                trigger=Trigger.SCHEDULE,
            )
            if created:
                result.refreshed.append(fresh.pk)
    return result


def _changed(report: Report) -> bool:
    """Return whether the ratings under the report's scope changed since it was computed."""
    try:
        flt = scope_filter(
            project=report.project, scope=ReportScope.from_parameters(report.parameters)
        )
    except DomainError:
        return False  # a reviewer left: a recomputation would fail; a lead decides
    return rating_fingerprint(flt) != (report.snapshot_counts or {}).get("fingerprint")
