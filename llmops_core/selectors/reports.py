"""Named reads behind reports: report rows, the scope a report covers, and an item's ratings.

Ratings are read only through ``annotate.selectors.ratings`` and ``annotate.selectors``; what comes
back from here is report rows or plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, QuerySet

from annotate.selectors import (
    RatingFilter,
    item_for_rating,
    item_ratings,
    queue_list_for_user,
    rating_queryset,
)
from llmops_core.models import Membership, Project, PromptVersion, Report, ReportKind, RubricVersion

AnyUser = User | AnonymousUser


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


def report_queue_row(*, project_id: int | None = None, queue_id: int) -> dict[str, Any] | None:
    """Return a queue's id, name, project, status and rubric version as a plain dict.

    Reads only the queue's own columns through the project's reverse relation (no annotate
    model is imported); None if the queue does not exist (or is not in ``project_id``).
    """
    qs = Project.objects.filter(queues__id=queue_id)
    if project_id is not None:
        qs = qs.filter(pk=project_id)
    row = qs.values("id", "queues__name", "queues__status", "queues__rubric_version_id").first()
    if row is None:
        return None
    return {
        "id": queue_id,
        "project_id": row["id"],
        "name": row["queues__name"],
        "status": row["queues__status"],
        "rubric_version_id": row["queues__rubric_version_id"],
    }


def report_queue_choices(*, user: User, project: Project) -> list[tuple[int, str]]:
    """Return (id, name) of the queues a lead may report on."""
    return list(
        queue_list_for_user(user=user, project=project)
        .order_by("name")
        .values_list("id", "name")[:500]
    )


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
    counts = dict(
        rating_queryset(flt)
        .order_by()
        .values("annotation__rubric_version_id")
        .annotate(n=Count("id"))
        .values_list("annotation__rubric_version_id", "n")
    )
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


def report_fingerprint(*, flt: RatingFilter) -> dict[str, Any]:
    """Return a cheap fingerprint of the filter's ratings: count, last id, last edit time.

    One aggregate query; a changed fingerprint means the report is out of date.
    """
    agg = (
        rating_queryset(flt)
        .order_by()
        .aggregate(ratings=Count("id"), max_id=Max("id"), latest=Max("annotation__updated_at"))
    )
    latest = agg["latest"]
    return {
        "ratings": agg["ratings"],
        "max_id": agg["max_id"],
        "latest": latest.isoformat() if latest else None,
    }


@dataclass(frozen=True)
class ItemRatings:
    """One queue item with its output and every rating, for the lead's read-only page."""

    queue_id: int
    queue_name: str
    item_id: int
    output_id: int
    external_id: str
    input: Any
    output_text: str
    prompt_version: str | None
    is_gold: bool
    gold_scores: dict[str, Any]
    annotations: list[dict[str, Any]]


def report_item_ratings(*, user: User, project: Project, item_id: int) -> ItemRatings | None:
    """Return queue item ``item_id`` of ``project`` with all its ratings, or None."""
    queue = queue_list_for_user(user=user, project=project).filter(items__id=item_id).first()
    if queue is None:
        return None
    item = item_for_rating(item_id=item_id, queue=queue)
    if item is None:
        return None
    output = item.output
    version = output.prompt_version
    return ItemRatings(
        queue_id=queue.pk,
        queue_name=queue.name,
        item_id=item.pk,
        output_id=output.pk,
        external_id=output.external_id,
        input=output.input,
        output_text=output.output_text,
        prompt_version=f"{version.template.name} v{version.number}" if version else None,
        is_gold=item.is_gold,
        gold_scores=dict(item.gold_scores or {}),
        annotations=item_ratings(item=item),
    )
