"""Named reads of queues, their items and reviewers, for the rating, queue and home pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from annotate.models import (
    Adjudication,
    Annotation,
    GoldCheck,
    ItemPin,
    Queue,
    QueueItem,
    QueueReviewer,
    Rating,
)
from llmops_core.models import Membership, Project, Role
from llmops_core.selectors.projects import output_list, project_role, role_allows

AnyUser = User | AnonymousUser


def queue_list_for_user(*, user: User, project: Project) -> QuerySet[Queue]:
    """Return the project's queues: all of them for adjudicators and leads, else the assigned."""
    qs = Queue.objects.filter(project=project).select_related("rubric_version__rubric")
    if role_allows(project_role(user=user, project=project), Role.ADJUDICATOR):
        return qs
    return qs.filter(reviewers=user)


def queue_membership(*, queue: Queue, user: AnyUser) -> QueueReviewer | None:
    """Return ``user``'s membership of ``queue`` (None if they are not one of its reviewers)."""
    if not user.is_authenticated:
        return None
    return QueueReviewer.objects.filter(queue=queue, reviewer=user).first()


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
    """Return the queues ``user`` rates in, and those of projects they lead, with progress."""
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
    queues = Queue.objects.filter(where).select_related("project").order_by("project__name", "name")
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


@dataclass(frozen=True)
class ReviewerRow:
    """One reviewer's progress and quality in a queue, for the lead's queue page."""

    username: str
    quota: int | None
    done: int
    done_today: int
    skipped: int
    flagged: int
    mean_active_s: float | None
    gold_checked: int
    gold_exact: float | None  # share of gold criteria scored exactly right
    gold_within_one: float | None


def reviewer_rows(*, queue: Queue, now: datetime | None = None) -> list[ReviewerRow]:
    """Return per-reviewer progress, skips, flags, time and gold accuracy (three queries)."""
    memberships = list(
        QueueReviewer.objects.filter(queue=queue)
        .select_related("reviewer")
        .order_by("reviewer__username")
    )
    today = dict(
        Annotation.objects.filter(item__queue=queue, created_at__gte=start_of_today(now))
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .values_list("reviewer_id", "n")
    )
    gold = {
        row["reviewer_id"]: row
        for row in GoldCheck.objects.filter(queue=queue)
        .values("reviewer_id")
        .annotate(
            checks=Count("id"),
            criteria=Sum("criteria"),
            exact=Sum("exact"),
            within=Sum("within_one"),
        )
    }
    rows = []
    for m in memberships:
        g = gold.get(m.reviewer_id)
        rows.append(
            ReviewerRow(
                username=m.reviewer.get_username(),
                quota=m.quota,
                done=m.done_count,
                done_today=today.get(m.reviewer_id, 0),
                skipped=m.skipped_count,
                flagged=m.flagged_count,
                mean_active_s=(
                    round(m.active_ms_total / m.done_count / 1000, 1) if m.done_count else None
                ),
                gold_checked=g["checks"] if g else 0,
                gold_exact=round(g["exact"] / g["criteria"], 3) if g and g["criteria"] else None,
                gold_within_one=round(g["within"] / g["criteria"], 3)
                if g and g["criteria"]
                else None,
            )
        )
    return rows


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


def rating_rows(
    *, project_id: int, queue_id: int | None = None, rubric_version_id: int | None = None
) -> Iterator[dict[str, Any]]:
    """Yield one plain row per rating: item, output, reviewer, criterion, score and provenance.

    Streams in id order, so exports and reports can read millions of rows in constant memory.
    """
    rows = Rating.objects.filter(annotation__item__queue__project_id=project_id)
    if queue_id is not None:
        rows = rows.filter(annotation__item__queue_id=queue_id)
    if rubric_version_id is not None:
        rows = rows.filter(annotation__rubric_version_id=rubric_version_id)
    fields = {
        "rating_id": "id",
        "queue_id": "annotation__item__queue_id",
        "item_id": "annotation__item_id",
        "output_id": "annotation__item__output_id",
        "is_gold": "annotation__item__is_gold",
        "reviewer_id": "annotation__reviewer_id",
        "reviewer": "annotation__reviewer__username",
        "rubric_version_id": "annotation__rubric_version_id",
        "criterion": "criterion__name",
        "score": "score",
        "flags": "annotation__flags",
        "annotation_id": "annotation_id",
        "active_ms": "annotation__active_ms",
        "created_at": "annotation__created_at",
    }
    for values in rows.order_by("id").values_list(*fields.values()).iterator(chunk_size=5000):
        yield dict(zip(fields, values, strict=True))


def adjudication_rows(*, project_id: int, queue_id: int | None = None) -> Iterator[dict[str, Any]]:
    """Yield one plain row per adjudicated criterion: the final label of a contested item."""
    adjudications = Adjudication.objects.filter(item__queue__project_id=project_id)
    if queue_id is not None:
        adjudications = adjudications.filter(item__queue_id=queue_id)
    for a in (
        adjudications.values(
            "item_id",
            "item__queue_id",
            "item__output_id",
            "rubric_version_id",
            "scores",
            "adjudicator__username",
            "updated_at",
        )
        .order_by("id")
        .iterator(chunk_size=2000)
    ):
        for criterion, score in sorted(a["scores"].items()):
            yield {
                "item_id": a["item_id"],
                "queue_id": a["item__queue_id"],
                "output_id": a["item__output_id"],
                "rubric_version_id": a["rubric_version_id"],
                "criterion": criterion,
                "score": score,
                "adjudicator": a["adjudicator__username"],
                "updated_at": a["updated_at"],
            }


def gold_accuracy_rows(*, queue_id: int) -> list[dict[str, Any]]:
    """Return each reviewer's accuracy on the queue's gold items as plain rows."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    checks = GoldCheck.objects.filter(queue_id=queue_id).values_list(
        "reviewer__username", "criteria", "exact", "within_one"
    )
    for username, criteria, exact, within in checks:
        t = totals[username]
        t["items"] += 1
        t["criteria"] += criteria
        t["exact"] += exact
        t["within_one"] += within
    return [
        {
            "reviewer": name,
            "items": t["items"],
            "criteria": t["criteria"],
            "exact": t["exact"] / t["criteria"] if t["criteria"] else None,
            "within_one": t["within_one"] / t["criteria"] if t["criteria"] else None,
        }
        for name, t in sorted(totals.items())
    ]


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


@dataclass(frozen=True)
class ReviewerCandidate:
    """A project member (or a current reviewer) on the lead's reviewers form."""

    user: Any
    role: str | None  # None: a reviewer of the queue who has left the project
    is_reviewer: bool
    quota: int | None
    done: int
    pins: int


def queue_reviewer_candidates(*, queue: Queue) -> list[ReviewerCandidate]:
    """Return the project's members and the queue's reviewers, by username (two queries)."""
    memberships = {
        m.reviewer_id: m
        for m in QueueReviewer.objects.filter(queue=queue).select_related("reviewer")
    }
    roles = {
        m.user_id: (m.user, m.role)
        for m in Membership.objects.filter(project_id=queue.project_id).select_related("user")
    }
    users = {pk: user for pk, (user, _) in roles.items()}
    users.update({pk: m.reviewer for pk, m in memberships.items()})
    rows = []
    for pk, user in users.items():
        m = memberships.get(pk)
        rows.append(
            ReviewerCandidate(
                user=user,
                role=roles[pk][1] if pk in roles else None,
                is_reviewer=m is not None,
                quota=m.quota if m else None,
                done=m.done_count if m else 0,
                pins=m.pin_count if m else 0,
            )
        )
    return sorted(rows, key=lambda r: r.user.get_username())


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
