"""Ask for drift reports: on demand (a lead, the API) and weekly (Celery beat)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from llmops_core.models import Project, Report, ReportKind
from llmops_core.selectors.drift import drift_report_for_key, projects_with_outputs
from llmops_core.services.audit import audit_record
from llmops_core.services.drift.spec import DriftSpec, last_two_weeks, spec_check
from llmops_core.services.jobs import JobKind, job_enqueue

Actor = User | AnonymousUser | None


class Trigger:
    """Why a drift report was computed (``parameters["trigger"]``)."""

    MANUAL = "manual"
    SCHEDULE = "schedule"


def drift_report_enqueue(*, report_id: int) -> None:
    """Queue the computation of ``report_id`` once the transaction commits."""
    job_enqueue(JobKind.DRIFT_REPORT, report_id)


def _title(spec: DriftSpec) -> str:
    b, a = spec.before, spec.after
    after = f"{a.since:%Y-%m-%d} to {a.until:%Y-%m-%d}"
    return f"Drift: {after} against {b.since:%Y-%m-%d} to {b.until:%Y-%m-%d}"[:200]


@transaction.atomic
def drift_report_request(
    *, project: Project, requested_by: Actor, spec: DriftSpec, trigger: str = Trigger.MANUAL
) -> tuple[Report, bool]:
    """Ask for a drift report of ``spec``; return it and whether it is new.

    A report of the same spec that is pending, running or succeeded is returned instead of a
    second one (a double click, a schedule that runs twice); a failed one is asked again.
    """
    spec_check(project=project, spec=spec)
    Project.objects.select_for_update().filter(pk=project.pk).first()  # serialise per project
    existing = drift_report_for_key(project_id=project.pk, key=spec.key)
    if existing is not None:
        return existing, False
    user = requested_by if isinstance(requested_by, get_user_model()) else None
    parameters = {"spec": spec.as_parameters(), "key": spec.key, "trigger": trigger}
    report = Report.objects.create(
        project=project,
        kind=ReportKind.DRIFT,
        title=_title(spec),
        parameters=parameters,
        requested_by=user,
        subject_version_id=spec.after.prompt_version_id,
        baseline_version_id=spec.before.prompt_version_id,
    )
    audit_record(
        actor=requested_by,
        action="drift_report.request",
        obj=report,
        project=project,
        after={"parameters": parameters},
    )
    drift_report_enqueue(report_id=report.pk)
    return report, True


def drift_reports_schedule(*, now: datetime | None = None) -> list[int]:
    """Ask for last week's drift report of every project with outputs last week.

    Idempotent per window: the week is fixed by ``now`` (Monday to Monday), so running this
    any number of times in a week asks for each project's report once.
    """
    spec = last_two_weeks(now or timezone.now())
    created = []
    for project in projects_with_outputs(since=spec.after.since, until=spec.after.until):
        report, new = drift_report_request(
            project=project, requested_by=None, spec=spec, trigger=Trigger.SCHEDULE
        )
        if new:
            created.append(report.pk)
    return created
