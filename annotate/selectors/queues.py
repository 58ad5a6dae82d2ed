"""Named reads of queues and their items, for the rating, queue and home pages and the door."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from annotate.models import (
    Adjudication,
    Annotation,
    ItemPin,
    Queue,
    QueueItem,
    QueueReviewer,
    QueueStatus,
)
from annotate.permissions import sees_every_queue
from llmops_core.models import Membership, Project, Role
from llmops_core.selectors.projects import output_list, project_role, role_allows


def queue_list_for_user(*, user: User, project: Project) -> QuerySet[Queue]:
    """Return the project's queues the user may see (``annotate.permissions.sees_every_queue``).

    Inside the annotation app only; ``llmops_core`` reads ``queue_rows_for_user``.
    """
    qs = Queue.objects.filter(project=project).select_related("rubric_version__rubric")
    if sees_every_queue(project_role(user=user, project=project)):
        return qs
    return qs.filter(reviewers=user)


@dataclass(frozen=True)
class QueueRow:
    """A queue as the LLMOps core's pages and reports see it: its own columns, no model."""

    id: int
    project_id: int
    name: str
    status: str
    overlap: int
    rubric_version_id: int
    item_count: int
    complete_count: int

    @property
    def status_label(self) -> str:
        return str(QueueStatus(self.status).label)

    @property
    def percent(self) -> int:
        return int(100 * self.complete_count / self.item_count) if self.item_count else 0


_QUEUE_ROW_FIELDS = (
    "id",
    "project_id",
    "name",
    "status",
    "overlap",
    "rubric_version_id",
    "item_count",
    "complete_count",
)


def queue_rows_for_user(
    *,
    user: User,
    project: Project,
    open_only: bool = False,
    by_name: bool = False,
    limit: int = 500,
) -> list[QueueRow]:
    """Return up to ``limit`` of the project's queues the user may see, as plain rows.

    Newest first (or by name with ``by_name``); ``open_only`` leaves out closed queues.
    Archived queues are left out.
    """
    queues = queue_list_for_user(user=user, project=project).filter(archived_at__isnull=True)
    if open_only:
        queues = queues.exclude(status=QueueStatus.CLOSED)
    if by_name:
        queues = queues.order_by("name")
    rows = queues.values_list(*_QUEUE_ROW_FIELDS)[:limit]
    return [QueueRow(*row) for row in rows]


def queue_row(*, queue_id: int, project_id: int | None = None) -> QueueRow | None:
    """Return queue ``queue_id`` as a plain row (None if it does not exist in ``project_id``)."""
    queues = Queue.objects.filter(pk=queue_id)
    if project_id is not None:
        queues = queues.filter(project_id=project_id)
    row = queues.values_list(*_QUEUE_ROW_FIELDS).first()
    return QueueRow(*row) if row is not None else None


def queue_output_ids(*, project_id: int, queue_id: int) -> list[int]:
    """Return the ids of the project's outputs in queue ``queue_id``, in id order."""
    return list(
        QueueItem.objects.filter(queue_id=queue_id, output__project_id=project_id)
        .order_by("output_id")
        .values_list("output_id", flat=True)
        .distinct()
    )


def queue_output_counts(
    *, prompt_version_id: int, reviewer: Any = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Return the queues holding a prompt version's outputs: id, name and how many outputs each.

    ``mine`` says whether ``reviewer`` is one of the queue's reviewers: only they may open its
    rating and pairwise pages, so only they get links to them.
    """
    rows = list(
        QueueItem.objects.filter(output__prompt_version_id=prompt_version_id)
        .values("queue_id", "queue__name")
        .annotate(n=Count("output_id"))
        .order_by("queue__name")[:limit]
    )
    mine: set[int] = set()
    if reviewer is not None and rows:
        mine = set(
            QueueReviewer.objects.filter(
                reviewer_id=reviewer.pk, queue_id__in=[r["queue_id"] for r in rows]
            ).values_list("queue_id", flat=True)
        )
    return [
        {"id": r["queue_id"], "name": r["queue__name"], "n": r["n"], "mine": r["queue_id"] in mine}
        for r in rows
    ]


def start_of_today(now: datetime | None = None) -> datetime:
    """Return midnight of today in the site's time zone."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def done_today(*, queue: Queue, reviewer: User, now: datetime | None = None) -> int:
    """Return how many items ``reviewer`` rated in ``queue`` since midnight."""
    return Annotation.objects.filter(
        reviewer=reviewer, item__queue=queue, created_at__gte=start_of_today(now)
    ).count()


@dataclass(frozen=True)
class QueueCard:
    """One queue on a user's home page."""

    project_slug: str
    project_name: str
    queue_id: int
    name: str
    status: str
    item_count: int
    complete_count: int
    is_reviewer: bool
    is_lead: bool
    my_done: int
    my_quota: int | None

    @property
    def fraction(self) -> float:
        return self.complete_count / self.item_count if self.item_count else 0.0

    @property
    def percent(self) -> int:
        return int(100 * self.fraction)


def queue_cards_for_user(*, user: User) -> list[QueueCard]:
    """Return the queues ``user`` rates in, and those of projects they lead, with progress.

    Archived queues are left out.
    """
    if not user.is_authenticated:
        return []
    mine = {
        m.queue_id: m
        for m in QueueReviewer.objects.filter(reviewer=user).only("queue_id", "done_count", "quota")
    }
    superuser = bool(getattr(user, "is_superuser", False))
    roles = dict(Membership.objects.filter(user=user).values_list("project_id", "role"))
    led = [p for p, role in roles.items() if role_allows(role, Role.LEAD)]
    where = Q() if superuser else Q(pk__in=list(mine)) | Q(project_id__in=led)
    queues = (
        Queue.objects.filter(where, archived_at__isnull=True)
        .select_related("project")
        .order_by("project__name", "name")
    )
    cards = []
    for q in queues[:200]:
        membership = mine.get(q.pk)
        cards.append(
            QueueCard(
                project_slug=q.project.slug,
                project_name=q.project.name,
                queue_id=q.pk,
                name=q.name,
                status=q.status,
                item_count=q.item_count,
                complete_count=q.complete_count,
                is_reviewer=membership is not None,
                is_lead=superuser or role_allows(roles.get(q.project_id), Role.LEAD),
                my_done=membership.done_count if membership else 0,
                my_quota=membership.quota if membership else None,
            )
        )
    return cards


def queue_item_counts(*, queue: Queue) -> dict[str, int]:
    """Return counts of contested, adjudicated, flagged and skipped items (index-backed)."""
    items = QueueItem.objects.filter(queue=queue)
    return {
        "contested": items.filter(contested=True).count(),
        "adjudicated": Adjudication.objects.filter(item__queue=queue).count(),
        **items.aggregate(
            flagged=Count("id", filter=Q(flag_count__gt=0)),
            skipped=Sum("skip_count"),
            leased=Sum("leased_count"),
        ),
    }


def item_for_rating(*, item_id: int, queue: Queue) -> QueueItem | None:
    """Return the item with its output and prompt version loaded, or None if not in ``queue``."""
    return (
        QueueItem.objects.select_related("output__prompt_version__template")
        .filter(queue=queue, pk=item_id)
        .first()
    )


def annotation_list_for_reviewer(*, queue: Queue, reviewer: User) -> QuerySet[Annotation]:
    """Return the reviewer's annotations in ``queue`` with their ratings, newest first."""
    return (
        Annotation.objects.filter(item__queue=queue, reviewer=reviewer)
        .select_related("item__output")
        .prefetch_related("ratings__criterion")
        .order_by("-id")
    )


def item_ratings(*, item: QueueItem) -> list[dict[str, Any]]:
    """Return every annotation of ``item`` as a plain row, for leads and adjudicators."""
    annotations = (
        Annotation.objects.filter(item=item)
        .select_related("reviewer", "rubric_version")
        .prefetch_related("ratings__criterion")
        .order_by("created_at", "id")
    )
    return [
        {
            "annotation": a.pk,
            "reviewer": a.reviewer.get_username(),
            "rubric_version": a.rubric_version.number,
            "rubric_version_id": a.rubric_version_id,
            "scores": {r.criterion.name: r.score for r in a.ratings.all()},
            "comment": a.comment,
            "flags": list(a.flags),
            "active_ms": a.active_ms,
            "created_at": a.created_at.isoformat(),
            "updated_at": a.updated_at.isoformat(),
        }
        for a in annotations
    ]


@dataclass(frozen=True)
class ItemRatings:
    """One queue item with its output and every rating, for read-only pages of leads."""

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


def item_ratings_for_user(*, user: User, project: Project, item_id: int) -> ItemRatings | None:
    """Return queue item ``item_id`` of ``project`` with all its ratings, or None.

    None too when the item is in a queue the user may not see.
    """
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


def adjudication_candidates(*, queue: Queue) -> QuerySet[QueueItem]:
    """Return contested items that have all their reviews and no adjudication, in queue order."""
    return (
        QueueItem.objects.filter(queue=queue, contested=True)
        .filter(done_count__gte=F("target_reviews"))
        .filter(adjudication__isnull=True)
        .order_by("position", "id")
    )


def queue_items_for_lead(*, queue: Queue) -> QuerySet[QueueItem]:
    """Return the queue's items with their outputs, for a lead's keyset-paged list."""
    return QueueItem.objects.filter(queue=queue).select_related("output__prompt_version__template")


def output_ids_matching(
    *,
    project: Project,
    prompt: str | None = None,
    prompt_version_id: int | None = None,
    model_name: str | None = None,
) -> list[int]:
    """Return the ids of the project's outputs matching every given filter, in id order."""
    return list(
        output_list(
            project=project,
            prompt=prompt,
            prompt_version_id=prompt_version_id,
            model_name=model_name,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def queue_item_ids_by_external_id(*, queue: Queue, external_ids: list[str]) -> dict[str, int]:
    """Return ``{external id: item id}`` for the queue's items whose outputs have these ids."""
    return dict(
        QueueItem.objects.filter(queue=queue, output__external_id__in=external_ids).values_list(
            "output__external_id", "id"
        )
    )


def queue_gold_items(*, queue: Queue) -> QuerySet[QueueItem]:
    """Return the queue's gold items with their outputs, in queue order."""
    return (
        QueueItem.objects.filter(queue=queue, is_gold=True)
        .select_related("output")
        .order_by("position", "id")
    )


def item_pin_usernames(*, item_ids: list[int]) -> dict[int, list[str]]:
    """Return the usernames each item is pinned to, sorted (one query)."""
    pinned: dict[int, list[str]] = defaultdict(list)
    pins = ItemPin.objects.filter(item_id__in=item_ids).order_by("reviewer__username")
    for item_id, username in pins.values_list("item_id", "reviewer__username"):
        pinned[item_id].append(username)
    return dict(pinned)
