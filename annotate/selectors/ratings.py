"""Named reads of ratings as plain rows: what reports, the judge comparison and exports consume.

The LLMOps core reads ratings only through the annotation app's selectors; these return plain
dicts and tuples, never model instances, and stream in chunks so memory stays flat.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet

from annotate.models import (
    Adjudication,
    Annotation,
    Assignment,
    AssignmentStatus,
    QueueItem,
    Rating,
)


@dataclass(frozen=True)
class RatingFilter:
    """Which ratings a report or export covers. Empty fields mean "no restriction"."""

    project_id: int
    queue_ids: Sequence[int] = ()
    prompt_version_ids: Sequence[int] = ()
    output_ids: Sequence[int] = ()
    reviewer_ids: Sequence[int] = ()
    rubric_version_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    # A half-open range of output ids [min, max): how an export splits into parallel shards.
    output_id_min: int | None = None
    output_id_max: int | None = None

    def annotation_q(self, prefix: str = "") -> Q:
        p = prefix
        q = Q(**{f"{p}item__queue__project_id": self.project_id})
        if self.queue_ids:
            q &= Q(**{f"{p}item__queue_id__in": list(self.queue_ids)})
        if self.prompt_version_ids:
            q &= Q(**{f"{p}item__output__prompt_version_id__in": list(self.prompt_version_ids)})
        if self.output_ids:
            q &= Q(**{f"{p}item__output_id__in": list(self.output_ids)})
        if self.reviewer_ids:
            q &= Q(**{f"{p}reviewer_id__in": list(self.reviewer_ids)})
        if self.rubric_version_id is not None:
            q &= Q(**{f"{p}rubric_version_id": self.rubric_version_id})
        if self.since is not None:
            q &= Q(**{f"{p}created_at__gte": self.since})
        if self.until is not None:
            q &= Q(**{f"{p}created_at__lt": self.until})
        if self.output_id_min is not None:
            q &= Q(**{f"{p}item__output_id__gte": self.output_id_min})
        if self.output_id_max is not None:
            q &= Q(**{f"{p}item__output_id__lt": self.output_id_max})
        return q


RATING_FIELDS = {
    "rating_id": F("id"),
    "score": F("score"),
    "criterion": F("criterion__name"),
    "criterion_id": F("criterion_id"),
    "scale_min": F("criterion__scale_min"),
    "scale_max": F("criterion__scale_max"),
    "annotation_id": F("annotation_id"),
    "item_id": F("annotation__item_id"),
    "queue_id": F("annotation__item__queue_id"),
    "output_id": F("annotation__item__output_id"),
    "is_gold": F("annotation__item__is_gold"),
    "prompt_version_id": F("annotation__item__output__prompt_version_id"),
    "reviewer_id": F("annotation__reviewer_id"),
    "reviewer": F("annotation__reviewer__username"),
    "rubric_version_id": F("annotation__rubric_version_id"),
    "flags": F("annotation__flags"),
    "active_ms": F("annotation__active_ms"),
    "created_at": F("annotation__created_at"),
    "updated_at": F("annotation__updated_at"),
}


def rating_queryset(flt: RatingFilter) -> QuerySet[Rating]:
    """Return the ratings the filter covers, ordered by id (stable for hashing and paging).

    Inside the annotation app only: the door hands out rows, never this queryset.
    """
    return Rating.objects.filter(flt.annotation_q("annotation__")).order_by("id")


def rating_rows(
    flt: RatingFilter, *, chunk_size: int = 5000, extra: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Yield one plain dict per rating (see ``RATING_FIELDS``), streaming in id order.

    Exports and reports can read millions of rows this way in constant memory.
    """
    fields = {**RATING_FIELDS, **(extra or {})}
    names = list(fields)
    # values_list, not values(**fields): aliases such as "score" clash with model field names.
    rows = rating_queryset(flt).values_list(*fields.values()).iterator(chunk_size=chunk_size)
    for values in rows:
        yield dict(zip(names, values, strict=True))


def rating_fingerprint(flt: RatingFilter) -> dict[str, Any]:
    """Return a cheap fingerprint of the filter's ratings: count, last id, last edit time.

    One aggregate query; a changed fingerprint means a report read from them is out of date.
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


def rating_counts_by_rubric_version(flt: RatingFilter) -> dict[int, int]:
    """Return ``{rubric version id: number of ratings}`` of the filter's ratings (one query)."""
    return dict(
        rating_queryset(flt)
        .order_by()
        .values("annotation__rubric_version_id")
        .annotate(n=Count("id"))
        .values_list("annotation__rubric_version_id", "n")
    )


@dataclass
class RatingsSnapshot:
    """Ratings in long format (one entry per rating in every list), and what was read.

    ``item`` is the queue item (an output rated in two queues is two items), ``output`` the
    output id for joins with judge scores, ``version`` the output's prompt version id.
    ``sha256`` hashes exactly the ratings read (id, score, last edit), in id order.
    """

    rating: list[int] = field(default_factory=list)
    annotation: list[int] = field(default_factory=list)
    item: list[int] = field(default_factory=list)
    output: list[int] = field(default_factory=list)
    version: list[int | None] = field(default_factory=list)
    reviewer_id: list[int] = field(default_factory=list)
    reviewer: list[str] = field(default_factory=list)
    criterion: list[str] = field(default_factory=list)
    score: list[int] = field(default_factory=list)
    timestamp: list[datetime] = field(default_factory=list)
    gold: dict[tuple[int, str], float] = field(default_factory=dict)
    scales: dict[str, tuple[int, int]] = field(default_factory=dict)
    rubric_version_id: int | None = None
    sha256: str = ""

    @property
    def n_ratings(self) -> int:
        return len(self.score)

    def reviewers(self) -> dict[int, str]:
        """Return {reviewer id: username} of everyone behind these ratings."""
        return dict(zip(self.reviewer_id, self.reviewer, strict=True))


# Plain field paths, one flat tuple per rating: the snapshot loop is the hot read of reports.
_SNAPSHOT_COLUMNS = (
    "id",
    "annotation_id",
    "annotation__item_id",
    "annotation__item__output_id",
    "annotation__item__output__prompt_version_id",
    "annotation__reviewer_id",
    "annotation__reviewer__username",
    "criterion__name",
    "score",
    "criterion__scale_min",
    "criterion__scale_max",
    "annotation__created_at",
    "annotation__updated_at",
)


def ratings_snapshot(flt: RatingFilter, *, with_gold: bool = True) -> RatingsSnapshot:
    """Read the filter's ratings in long format, with a SHA-256 of exactly what was read.

    ``with_gold`` also reads the known scores of the filter's gold items (one more query).
    """
    snap = RatingsSnapshot(rubric_version_id=flt.rubric_version_id)
    digest = hashlib.sha256()
    rows = rating_queryset(flt).values_list(*_SNAPSHOT_COLUMNS).iterator(chunk_size=5000)
    for (
        rating,
        annotation,
        item,
        output,
        version,
        reviewer_id,
        reviewer,
        criterion,
        score,
        scale_min,
        scale_max,
        created_at,
        updated_at,
    ) in rows:
        snap.rating.append(rating)
        snap.annotation.append(annotation)
        snap.item.append(item)
        snap.output.append(output)
        snap.version.append(version)
        snap.reviewer_id.append(reviewer_id)
        snap.reviewer.append(reviewer)
        snap.criterion.append(criterion)
        snap.score.append(score)
        snap.timestamp.append(created_at)
        snap.scales.setdefault(criterion, (scale_min, scale_max))
        digest.update(f"{rating}:{score}:{updated_at.isoformat()}\n".encode())
    snap.sha256 = digest.hexdigest()
    if with_gold:
        snap.gold = gold_scores(flt)
    return snap


def gold_scores(flt: RatingFilter) -> dict[tuple[int, str], float]:
    """Return the known scores of the filter's gold items, keyed by (queue item id, criterion)."""
    items = QueueItem.objects.filter(queue__project_id=flt.project_id, is_gold=True)
    if flt.queue_ids:
        items = items.filter(queue_id__in=list(flt.queue_ids))
    gold: dict[tuple[int, str], float] = {}
    for item_id, scores in items.values_list("id", "gold_scores"):
        for criterion, value in (scores or {}).items():
            gold[(item_id, criterion)] = float(value)
    return gold


def adjudicated_scores(flt: RatingFilter) -> dict[tuple[int, str], float]:
    """Return adjudicated final scores keyed by (queue item id, criterion)."""
    rows = Adjudication.objects.filter(item__queue__project_id=flt.project_id)
    if flt.queue_ids:
        rows = rows.filter(item__queue_id__in=list(flt.queue_ids))
    if flt.output_ids:
        rows = rows.filter(item__output_id__in=list(flt.output_ids))
    if flt.output_id_min is not None:
        rows = rows.filter(item__output_id__gte=flt.output_id_min)
    if flt.output_id_max is not None:
        rows = rows.filter(item__output_id__lt=flt.output_id_max)
    result: dict[tuple[int, str], float] = {}
    for item_id, scores in rows.values_list("item_id", "scores"):
        for criterion, value in (scores or {}).items():
            result[(item_id, criterion)] = float(value)
    return result


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


def flag_and_skip_counts(flt: RatingFilter) -> dict[str, int]:
    """Return counts of annotations, flagged annotations and skips under the filter."""
    annotations = Annotation.objects.filter(flt.annotation_q())
    # Assignments carry no rubric version: a skip is counted whatever the rubric.
    unversioned = RatingFilter(**{**flt.__dict__, "rubric_version_id": None})
    skips = Assignment.objects.filter(unversioned.annotation_q(), status=AssignmentStatus.SKIPPED)
    return {
        "annotations": annotations.count(),
        "flagged": annotations.exclude(flags=[]).count(),
        "skipped": skips.count(),
    }
