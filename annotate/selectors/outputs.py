"""Named reads of what the annotation app knows about model outputs, for the outputs pages.

Which outputs are rated or queued (as id lists the core's filter narrows by), and per output
its queues and labels, as plain rows: the core never queries annotate's tables itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from annotate.models import Annotation, QueueItem, QueueStatus


def output_ids_rated(*, project_id: int) -> list[int]:
    """Return the ids of the project's outputs with at least one submitted label, in id order.

    A label is an annotation (scores and/or flags); a skip is not one.
    """
    return list(
        Annotation.objects.filter(item__queue__project_id=project_id)
        .order_by("item__output_id")
        .values_list("item__output_id", flat=True)
        .distinct()
    )


def output_ids_queued(*, project_id: int, queue_ids: Sequence[int] | None = None) -> list[int]:
    """Return the ids of the project's outputs in any of ``queue_ids`` (None: in any queue)."""
    items = QueueItem.objects.filter(queue__project_id=project_id)
    if queue_ids is not None:
        items = items.filter(queue_id__in=list(queue_ids))
    return list(items.order_by("output_id").values_list("output_id", flat=True).distinct())


@dataclass(frozen=True)
class OutputQueueRow:
    """One queue an output is in, with that item's progress."""

    queue_id: int
    queue_name: str
    queue_status: str
    blind: bool
    item_id: int
    done_count: int
    target_reviews: int

    @property
    def status_label(self) -> str:
        return str(QueueStatus(self.queue_status).label)


def output_queues(*, output_ids: Sequence[int]) -> dict[int, list[OutputQueueRow]]:
    """Return the queues each output is in, by output id, each list by queue name (one query)."""
    rows = (
        QueueItem.objects.filter(output_id__in=list(output_ids))
        .order_by("queue__name", "queue_id")
        .values_list(
            "output_id",
            "queue_id",
            "queue__name",
            "queue__status",
            "queue__blind",
            "id",
            "done_count",
            "target_reviews",
        )
    )
    found: dict[int, list[OutputQueueRow]] = defaultdict(list)
    for output_id, queue_id, name, status, blind, item_id, done, target in rows:
        found[output_id].append(
            OutputQueueRow(queue_id, name, status, blind, item_id, done, target)
        )
    return dict(found)


def output_label_counts(*, output_ids: Sequence[int]) -> dict[int, int]:
    """Return how many labels (annotations) each output has, over all queues (one query)."""
    rows = (
        Annotation.objects.filter(item__output_id__in=list(output_ids))
        .values("item__output_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("item__output_id", "n")
    )
    return dict(rows)


@dataclass(frozen=True)
class OutputLabel:
    """One reviewer's label of an output in one queue: scores, flags and comment."""

    annotation_id: int
    queue_id: int
    queue_name: str
    reviewer: str
    rubric_version: int
    scores: dict[str, int]
    flags: list[str]
    comment: str
    created_at: datetime


def output_labels(*, output_id: int) -> list[OutputLabel]:
    """Return every label of output ``output_id``, oldest first.

    Callers decide who may read whose labels; this only reads.
    """
    annotations = (
        Annotation.objects.filter(item__output_id=output_id)
        .select_related("item__queue", "reviewer", "rubric_version")
        .prefetch_related("ratings__criterion")
        .order_by("created_at", "id")
    )
    return [
        OutputLabel(
            annotation_id=a.pk,
            queue_id=a.item.queue_id,
            queue_name=a.item.queue.name,
            reviewer=a.reviewer.get_username(),
            rubric_version=a.rubric_version.number,
            scores={r.criterion.name: r.score for r in a.ratings.all()},
            flags=[str(f) for f in a.flags],
            comment=a.comment,
            created_at=a.created_at,
        )
        for a in annotations
    ]
