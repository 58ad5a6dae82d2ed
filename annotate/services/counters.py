"""Recounting the counters the services keep up to date, for bulk changes and repairs."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, F, Q, Sum

from annotate.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    ItemPin,
    Queue,
    QueueItem,
    QueueReviewer,
)


def queue_recount(*, queue: Queue) -> None:
    """Recompute the queue's counters from its items (after targets change in bulk)."""
    items = QueueItem.objects.filter(queue=queue).aggregate(
        items=Count("id"),
        complete=Count("id", filter=Q(done_count__gte=F("target_reviews"))),
        gold=Count("id", filter=Q(is_gold=True)),
    )
    Queue.objects.filter(pk=queue.pk).update(
        item_count=items["items"],
        complete_count=items["complete"],
        gold_count=items["gold"],
        review_count=Annotation.objects.filter(item__queue=queue).count(),
    )
    queue.refresh_from_db(fields=["item_count", "complete_count", "gold_count", "review_count"])


def queue_reviewer_recount(*, queue: Queue, reviewer: User) -> None:
    """Recompute one reviewer's counters in ``queue`` from their annotations and skips."""
    annotations = Annotation.objects.filter(item__queue=queue, reviewer=reviewer).aggregate(
        done=Count("id"),
        flagged=Count("id", filter=~Q(flags=[])),
        active=Sum("active_ms"),
    )
    QueueReviewer.objects.filter(queue=queue, reviewer=reviewer).update(
        done_count=annotations["done"],
        flagged_count=annotations["flagged"],
        active_ms_total=annotations["active"] or 0,
        skipped_count=Assignment.objects.filter(
            item__queue=queue, reviewer=reviewer, status=AssignmentStatus.SKIPPED
        ).count(),
        pin_count=ItemPin.objects.filter(item__queue=queue, reviewer=reviewer).count(),
    )
