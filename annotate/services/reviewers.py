"""Who rates what: a queue's reviewers, their quotas, and items pinned to specific reviewers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least

from annotate.models import ItemPin, Queue, QueueItem, QueueReviewer
from annotate.services.assignment import assignment_release, queue_reviewer_get
from annotate.services.counters import queue_recount, queue_reviewer_recount
from annotate.services.queues_state import queue_writable_check
from llmops_core.errors import DomainError
from llmops_core.models import Membership
from llmops_core.services.audit import audit_record


def _refresh_targets(queue: Queue, item_ids: Iterable[int]) -> None:
    """Recompute ``pinned`` and ``target_reviews`` of items after pins or reviewers change.

    A pinned item goes only to its reviewers, so its target is at most their number; a gold
    item is meant for every reviewer of the queue. No target drops below the reviews and
    leases an item already has.
    """
    pins = ItemPin.objects.filter(item=OuterRef("pk"))
    number = IntegerField()
    pin_count = Coalesce(
        Subquery(pins.values("item").annotate(n=Count("id")).values("n")[:1]),
        Value(0),
        output_field=number,
    )
    reviewers = QueueReviewer.objects.filter(queue=queue).count()
    taken = ExpressionWrapper(F("done_count") + F("leased_count"), output_field=number)
    QueueItem.objects.filter(queue=queue, pk__in=list(item_ids)).update(
        pinned=Exists(pins),
        target_reviews=Case(
            When(
                Exists(pins),
                then=Greatest(
                    Least(Value(queue.overlap), pin_count, output_field=number),
                    taken,
                    Value(1),
                    output_field=number,
                ),
            ),
            When(
                is_gold=True,
                then=Greatest(
                    Value(max(queue.overlap, reviewers)),
                    F("target_reviews"),
                    taken,
                    output_field=number,
                ),
            ),
            default=Greatest(Value(queue.overlap), taken, output_field=number),
            output_field=number,
        ),
    )
    queue_recount(queue=queue)


@transaction.atomic
def queue_set_reviewers(
    *,
    queue: Queue,
    reviewers: Sequence[User],
    actor: User | None = None,
) -> None:
    """Make ``reviewers`` the queue's reviewers; each must be a member of its project.

    A reviewer who leaves gives back their leases and pins; one who comes back finds their
    counters recounted from their past work.
    """
    member_ids = set(
        Membership.objects.filter(project=queue.project, user__in=reviewers).values_list(
            "user_id", flat=True
        )
    )
    outsiders = [r.get_username() for r in reviewers if r.pk not in member_ids]
    if outsiders:
        raise DomainError(f"not members of {queue.project.slug}: {', '.join(outsiders)}")
    wanted = {r.pk: r for r in reviewers}
    current = {
        m.reviewer_id: m
        for m in QueueReviewer.objects.filter(queue=queue).select_related("reviewer")
    }
    removed = [m for reviewer_id, m in current.items() if reviewer_id not in wanted]
    added = [r for reviewer_id, r in wanted.items() if reviewer_id not in current]
    affected = set(queue.items.filter(is_gold=True).values_list("id", flat=True))
    for membership in removed:
        leased = queue.items.filter(
            assignments__reviewer_id=membership.reviewer_id, assignments__status="active"
        ).values_list("id", flat=True)
        assignment_release(queue=queue, reviewer=membership.reviewer, item_ids=list(leased))
        pins = ItemPin.objects.filter(item__queue=queue, reviewer_id=membership.reviewer_id)
        affected.update(pins.values_list("item_id", flat=True))
        pins.delete()
        membership.delete()
    for reviewer in added:
        QueueReviewer.objects.create(queue=queue, reviewer=reviewer)
        queue_reviewer_recount(queue=queue, reviewer=reviewer)
    if removed or added:
        if affected:
            _refresh_targets(queue, affected)
        audit_record(
            actor=actor,
            action="queue.reviewers",
            obj=queue,
            project=queue.project,
            before=sorted(m.reviewer.get_username() for m in current.values()),
            after=sorted(r.get_username() for r in reviewers),
        )


@transaction.atomic
def queue_reviewer_set_quota(
    *,
    queue: Queue,
    reviewer: User,
    quota: int | None,
    actor: User | None = None,
) -> QueueReviewer:
    """Limit how many items ``reviewer`` rates in ``queue`` (None: no limit)."""
    if quota is not None and quota < 0:
        raise DomainError(f'field "quota": {quota} must be 0 or more')
    membership = queue_reviewer_get(queue=queue, reviewer=reviewer)
    before = membership.quota
    membership.quota = quota
    membership.save(update_fields=["quota"])
    audit_record(
        actor=actor,
        action="queue.quota",
        obj=queue,
        project=queue.project,
        before={"reviewer": reviewer.get_username(), "quota": before},
        after={"reviewer": reviewer.get_username(), "quota": quota},
    )
    return membership


@transaction.atomic
def queue_reviewers_update(
    *,
    queue: Queue,
    reviewers: Sequence[tuple[User, int | None]],
    actor: User | None = None,
) -> None:
    """Make ``reviewers`` the queue's reviewers with their quotas, all or nothing.

    Only quotas that change are written (and audited), so saving an unchanged form records
    nothing.
    """
    queue_writable_check(queue=queue)
    queue_set_reviewers(queue=queue, reviewers=[user for user, _ in reviewers], actor=actor)
    current = dict(QueueReviewer.objects.filter(queue=queue).values_list("reviewer_id", "quota"))
    for user, quota in reviewers:
        if current.get(user.pk) != quota:
            queue_reviewer_set_quota(queue=queue, reviewer=user, quota=quota, actor=actor)


def _queue_item_ids(queue: Queue, item_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(item_ids))
    found = set(QueueItem.objects.filter(queue=queue, pk__in=ids).values_list("id", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainError(f'items not in queue "{queue.name}": {missing[:10]}')
    return ids


@transaction.atomic
def items_pin(
    *,
    queue: Queue,
    reviewer: User,
    item_ids: Iterable[int],
    actor: User | None = None,
) -> int:
    """Assign items to ``reviewer``: they get them first, and only pinned reviewers get them."""
    queue_writable_check(queue=queue)
    membership = queue_reviewer_get(queue=queue, reviewer=reviewer)
    ids = _queue_item_ids(queue, item_ids)
    existing = set(
        ItemPin.objects.filter(item_id__in=ids, reviewer=reviewer).values_list("item_id", flat=True)
    )
    new = [i for i in ids if i not in existing]
    ItemPin.objects.bulk_create(
        ItemPin(item_id=i, reviewer=reviewer, created_by=actor) for i in new
    )
    QueueReviewer.objects.filter(pk=membership.pk).update(pin_count=F("pin_count") + len(new))
    _refresh_targets(queue, ids)
    audit_record(
        actor=actor,
        action="queue.pin",
        obj=queue,
        project=queue.project,
        after={"reviewer": reviewer.get_username(), "items": len(new)},
    )
    return len(new)


@transaction.atomic
def items_unpin(
    *,
    queue: Queue,
    reviewer: User,
    item_ids: Iterable[int],
    actor: User | None = None,
) -> int:
    """Take items back from ``reviewer``; items left without pins return to the common pool."""
    queue_writable_check(queue=queue)
    ids = _queue_item_ids(queue, item_ids)
    removed, _ = ItemPin.objects.filter(item_id__in=ids, reviewer=reviewer).delete()
    QueueReviewer.objects.filter(queue=queue, reviewer=reviewer).update(
        pin_count=Greatest(F("pin_count") - removed, 0)
    )
    _refresh_targets(queue, ids)
    audit_record(
        actor=actor,
        action="queue.unpin",
        obj=queue,
        project=queue.project,
        before={"reviewer": reviewer.get_username(), "items": removed},
    )
    return removed
