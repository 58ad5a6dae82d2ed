"""Models of the reviewer-facing app: queues, items, leases, annotations and ratings."""

from annotate.models.labels import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Rating,
    RatingRevision,
)
from annotate.models.queues import Queue, QueueItem, QueueStatus

__all__ = [
    "Annotation",
    "Assignment",
    "AssignmentStatus",
    "Queue",
    "QueueItem",
    "QueueStatus",
    "Rating",
    "RatingRevision",
]
