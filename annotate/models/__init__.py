"""Models of the reviewer-facing app: queues, items, leases, annotations and ratings."""

from annotate.models.labels import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Flag,
    Rating,
    RatingRevision,
)
from annotate.models.preferences import PairwisePreference, PreferenceChoice
from annotate.models.queues import (
    ItemPin,
    Queue,
    QueueItem,
    QueueOrder,
    QueueReviewer,
    QueueSampling,
    QueueStatus,
)
from annotate.models.review import Adjudication, GoldCheck

__all__ = [
    "Adjudication",
    "Annotation",
    "Assignment",
    "AssignmentStatus",
    "Flag",
    "GoldCheck",
    "ItemPin",
    "PairwisePreference",
    "PreferenceChoice",
    "Queue",
    "QueueItem",
    "QueueOrder",
    "QueueReviewer",
    "QueueSampling",
    "QueueStatus",
    "Rating",
    "RatingRevision",
]
