"""Checks shared by every writer of scores: criteria, scales, flags, and re-assessing an item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import F

from annotate.consensus import assess
from annotate.models import Annotation, Flag, QueueItem, Rating
from llmops_core.errors import DomainError
from llmops_core.models import Criterion, RubricVersion

MAX_COMMENT_CHARS = 5000
MAX_ACTIVE_MS = 6 * 60 * 60 * 1000


_criteria_cache: dict[tuple[int, str, str], list[Criterion]] = {}


def criteria_of(version: RubricVersion) -> list[Criterion]:
    """Return the criteria of a rubric version, cached: a version never changes once made.

    The key includes the content hash and creation time, so a reused id (a test database
    created again) never returns another version's criteria.
    """
    key = (version.pk, version.content_hash, version.created_at.isoformat())
    criteria = _criteria_cache.get(key)
    if criteria is None:
        if len(_criteria_cache) > 512:
            _criteria_cache.clear()
        criteria = list(Criterion.objects.filter(rubric_version_id=version.pk))
        _criteria_cache[key] = criteria
    return criteria


def flags_validate(flags: Iterable[str]) -> list[str]:
    """Return ``flags`` without duplicates, or raise if one is unknown."""
    clean = list(dict.fromkeys(flags))
    unknown = [f for f in clean if f not in Flag.values]
    if unknown:
        raise DomainError(f'field "flags": "{unknown[0]}" is not one of {", ".join(Flag.values)}')
    return clean


def scores_validate(
    *,
    criteria: Sequence[Criterion],
    scores: Mapping[str, Any],
    require_all: bool,
    field: str = "scores",
) -> dict[str, tuple[Criterion, int]]:
    """Return ``{name: (criterion, score)}`` or raise naming the criterion and the scale."""
    by_name = {c.name: c for c in criteria}
    clean: dict[str, tuple[Criterion, int]] = {}
    for name, raw in scores.items():
        criterion = by_name.get(name)
        if criterion is None:
            raise DomainError(
                f'field "{field}": no criterion "{name}" in this rubric version '
                f"(criteria: {', '.join(by_name)})"
            )
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise DomainError(f'field "{field}.{name}": {raw!r} is not a whole number')
        if not criterion.scale_min <= raw <= criterion.scale_max:
            raise DomainError(
                f'field "{field}.{name}": {raw} is outside '
                f"{criterion.scale_min}-{criterion.scale_max}"
            )
        clean[name] = (criterion, raw)
    missing = [name for name in by_name if name not in clean]
    if require_all and missing:
        raise DomainError(
            f'field "{field}": no score for {", ".join(missing)} '
            "(rate every criterion, or flag the item)"
        )
    return clean


def comment_validate(comment: str) -> str:
    if len(comment) > MAX_COMMENT_CHARS:
        raise DomainError(
            f'field "comment": {len(comment)} characters is over the {MAX_COMMENT_CHARS} limit'
        )
    return comment


def annotation_snapshot(annotation: Annotation) -> dict[str, Any]:
    """Return an annotation's scores, comment and flags as plain JSON (for history)."""
    scores = dict(
        Rating.objects.filter(annotation=annotation).values_list("criterion__name", "score")
    )
    return {"scores": scores, "comment": annotation.comment, "flags": list(annotation.flags)}


def _item_scores(item_id: int) -> list[tuple[int, str, int]]:
    """Return ``(rubric_version_id, criterion name, score)`` of every rating of an item.

    Written in SQL: it runs on every submission that completes an item.
    """
    ratings, annotations = Rating._meta.db_table, Annotation._meta.db_table
    criteria = Criterion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.rubric_version_id, c.name, r.score FROM {ratings} r "  # noqa: S608
            f"INNER JOIN {annotations} a ON r.annotation_id = a.id "
            f"INNER JOIN {criteria} c ON r.criterion_id = c.id WHERE a.item_id = %s",
            [item_id],
        )
        return [(int(v), str(name), int(score)) for v, name, score in cursor.fetchall()]


def item_reassess(*, item: QueueItem) -> int:
    """Re-check a complete item for disagreement; reopen it for one more reviewer if allowed.

    Only ratings made under the same rubric version are compared. Return the change to the
    queue's count of complete items: -1 if the item went back into the pool, else 0.
    """
    if item.is_gold or item.done_count < item.target_reviews:
        return 0
    queue = item.queue
    by_version: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for version_id, name, score in _item_scores(item.pk):
        by_version[version_id][name].append(score)
    contested = any(
        assess(ratings, threshold=queue.disagreement_threshold, overlap=queue.overlap).contested
        for ratings in by_version.values()
    )
    reopen = bool(contested and queue.max_overlap and item.target_reviews < queue.max_overlap)
    if contested != item.contested or reopen:
        QueueItem.objects.filter(pk=item.pk).update(
            contested=contested, target_reviews=F("target_reviews") + int(reopen)
        )
        item.contested = contested
        item.target_reviews += int(reopen)
    return -1 if reopen else 0
