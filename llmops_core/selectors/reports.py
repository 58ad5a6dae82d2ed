"""Named reads behind reports: report rows and the scope a report covers.

Queues and ratings are read only through the door, ``annotate.selectors``; what comes back
from here is report rows or plain dicts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from annotate.selectors import RatingFilter, queue_rows_for_user, rating_counts_by_rubric_version
from llmops_core.models import Membership, Project, PromptVersion, Report, ReportKind, RubricVersion


def report_list(*, project: Project, kind: str | None = ReportKind.AGREEMENT) -> QuerySet[Report]:
    """Return the project's reports, newest first, without their (large) results."""
    qs = Report.objects.filter(project=project).select_related("requested_by").defer("results")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-id")


def report_get(*, project: Project, pk: int, kind: str = ReportKind.AGREEMENT) -> Report | None:
    """Return report ``pk`` of ``project`` (of ``kind``) with its results, or None."""
    return (
        Report.objects.filter(project=project, pk=pk, kind=kind)
        .select_related("project", "requested_by")
        .first()
    )


def report_unfinished(*, project_id: int, kind: str) -> QuerySet[Report]:
    """Return the project's pending and running reports of ``kind`` (few at any time)."""
    return Report.objects.filter(project_id=project_id, kind=kind, finished_at__isnull=True).defer(
        "results"
    )


def report_recent(*, kind: str, since: Any) -> QuerySet[Report]:
    """Return every report of ``kind`` created since ``since``, oldest first, without results."""
    return (
        Report.objects.filter(kind=kind, created_at__gte=since)
        .select_related("project")
        .defer("results")
        .order_by("id")
    )


def queue_choices(*, user: User, project: Project) -> list[tuple[int, str]]:
    """Return (id, name) of the project's queues the user may see, by name (reports, judges)."""
    return [(q.id, q.name) for q in queue_rows_for_user(user=user, project=project, by_name=True)]


def report_prompt_versions(*, project: Project) -> QuerySet[PromptVersion]:
    """Return the project's prompt versions, by template then number."""
    return (
        PromptVersion.objects.filter(template__project=project)
        .select_related("template")
        .order_by("template__name", "number")
    )


def report_reviewer_ids(*, project: Project, usernames: list[str]) -> dict[str, int]:
    """Return {username: user id} for the given usernames that are members of ``project``."""
    return dict(
        Membership.objects.filter(project=project, user__username__in=usernames).values_list(
            "user__username", "user_id"
        )
    )


def report_member_usernames(*, project: Project) -> list[str]:
    """Return the usernames of the project's members, sorted."""
    return sorted(
        Membership.objects.filter(project=project).values_list("user__username", flat=True)
    )


def report_rubric_versions(*, flt: RatingFilter) -> list[dict[str, Any]]:
    """Return the rubric versions the filter's ratings were made under, with rating counts.

    Ordered oldest version first (by creation, then id), so the last one is the latest.
    """
    counts = rating_counts_by_rubric_version(flt)
    versions = RubricVersion.objects.filter(pk__in=list(counts)).select_related("rubric")
    rows = [
        {
            "id": v.pk,
            "rubric": v.rubric.name,
            "number": v.number,
            "ratings": counts[v.pk],
            "created_at": v.created_at,
        }
        for v in versions
    ]
    rows.sort(key=lambda r: (r["created_at"], r["id"]))
    for row in rows:
        del row["created_at"]
    return rows


def report_rubric_version(*, project: Project, pk: int) -> RubricVersion | None:
    """Return rubric version ``pk`` of ``project`` with its criteria, or None."""
    return (
        RubricVersion.objects.filter(rubric__project=project, pk=pk)
        .select_related("rubric")
        .prefetch_related("criteria")
        .first()
    )
