"""Submitting and skipping items: the writes at the heart of the rating page.

A submission is idempotent by its client token: the same token for the same item returns the
annotation already stored, so a double click or a retry after a network error never creates a
second one. Everything a submission writes happens in one transaction, or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotate import sql
from annotate.errors import AlreadyRated, LeaseLost, QueueNotOpen, RubricChanged, TokenReused
from annotate.models import (
    Annotation,
    Assignment,
    AssignmentStatus,
    Queue,
    QueueItem,
    QueueReviewer,
    QueueStatus,
    Rating,
)
from annotate.services.gold import gold_check_record
from annotate.services.leases import annotations_clashing, lease_close, leases_of_item
from annotate.services.returning import item_add_review, queue_add_review, reviewer_add_review
from annotate.services.scoring import (
    MAX_ACTIVE_MS,
    comment_validate,
    criteria_of,
    flags_validate,
    item_reassess,
    scores_validate,
)
from llmops_core.errors import NotAllowed


@dataclass(frozen=True)
class Submission:
    annotation: Annotation
    created: bool  # False when the client token was seen before (a replay)
    # The reviewer's membership with fresh counters (None for a replay: nothing changed).
    membership: QueueReviewer | None = None


def _locked_assignments(item: QueueItem, reviewer: User) -> list[Assignment]:
    """Lock the reviewer's assignments on ``item``: their concurrent submits queue up here."""
    return list(
        Assignment.objects.select_for_update().filter(item=item, reviewer=reviewer).order_by("-id")
    )


def _take_slot(
    item: QueueItem, assignments: list[tuple[int, str]], flagged: bool
) -> tuple[int, tuple[int, int, bool]]:
    """Turn the reviewer's lease into a review on the item's counters.

    ``assignments`` are the reviewer's ``(id, status)`` on the item, newest first. Return the
    lease's id and the item's new (done, target, is_gold).
    """
    statuses = {status for _, status in assignments}
    lease = next((pk for pk, status in assignments if status == AssignmentStatus.ACTIVE), None)
    if lease is not None:
        counts = item_add_review(item_id=item.pk, from_lease=True, flagged=flagged)
        assert counts is not None
        return lease, counts
    if AssignmentStatus.SKIPPED in statuses:
        raise NotAllowed(f"you skipped item {item.pk}; it cannot be rated now")
    late = next(
        (
            pk
            for pk, status in assignments
            if status in (AssignmentStatus.EXPIRED, AssignmentStatus.RELEASED)
        ),
        None,
    )
    if late is None:
        raise NotAllowed(f"item {item.pk} was not assigned to you")
    # The lease ran out: the review still counts if the item has a free slot.
    counts = item_add_review(item_id=item.pk, from_lease=False, flagged=flagged)
    if counts is None:
        raise LeaseLost(
            f"your lease on item {item.pk} expired and other reviewers took its places; "
            "your rating was not stored"
        )
    return late, counts


def _finishing(queue: Queue, assignments: list[tuple[int, str]], now: datetime) -> bool:
    """Return whether the reviewer holds a live lease a closed (not archived) queue honours.

    Only a closed queue asks, so the lease's expiry is read here, off the hot path.
    """
    active = [pk for pk, status in assignments if status == AssignmentStatus.ACTIVE]
    return (
        queue.archived_at is None
        and bool(active)
        and Assignment.objects.filter(pk__in=active, expires_at__gt=now).exists()
    )


def _existing(item: QueueItem, reviewer: User, token: uuid.UUID) -> Submission | None:
    found = annotations_clashing(item_id=item.pk, reviewer_id=reviewer.pk, client_token=token)
    replay = next(((pk, item_id) for pk, item_id, same in found if same), None)
    if replay is not None:
        if replay[1] != item.pk:
            raise TokenReused(
                f"client token {token} was already used for item {replay[1]}, not item {item.pk}"
            )
        return Submission(Annotation.objects.get(pk=replay[0]), created=False)
    if found:
        raise AlreadyRated(
            f"you already rated item {item.pk} (annotation {found[0][0]}); edit it instead"
        )
    return None


@transaction.atomic
def annotation_submit(
    *,
    item: QueueItem,
    reviewer: User,
    client_token: uuid.UUID,
    scores: Mapping[str, Any],
    comment: str = "",
    flags: Sequence[str] = (),
    active_ms: int = 0,
    rubric_version_id: int | None = None,
    now: datetime | None = None,
) -> Submission:
    """Store the reviewer's scores for ``item`` and count the review.

    Every criterion needs a score unless the item is flagged. ``rubric_version_id`` is the
    version the page showed: if the queue has moved on, the submission is refused rather than
    stored under a version the reviewer never saw.
    """
    now = now or timezone.now()
    queue: Queue = item.queue
    assignments = leases_of_item(item_id=item.pk, reviewer_id=reviewer.pk)
    existing = _existing(item, reviewer, client_token)
    if existing is not None:
        return existing
    if queue.status == QueueStatus.CLOSED and not _finishing(queue, assignments, now):
        raise QueueNotOpen(f'queue "{queue.name}" is closed')
    if rubric_version_id is not None and rubric_version_id != queue.rubric_version_id:
        raise RubricChanged(
            f'the rubric of queue "{queue.name}" changed while you were rating; reload the page'
        )
    clean_flags = flags_validate(flags)
    criteria = criteria_of(queue.rubric_version)
    clean = scores_validate(criteria=criteria, scores=scores, require_all=not clean_flags)
    comment = comment_validate(comment)
    active_ms = max(0, min(int(active_ms), MAX_ACTIVE_MS))

    lease, (done, target, is_gold) = _take_slot(item, assignments, bool(clean_flags))
    lease_close(assignment_id=lease, status=AssignmentStatus.SUBMITTED, now=now)
    (annotation,) = sql.insert(
        Annotation,
        [
            {
                "item_id": item.pk,
                "reviewer_id": reviewer.pk,
                "assignment_id": lease,
                "rubric_version_id": queue.rubric_version_id,
                "comment": comment,
                "flags": clean_flags,
                "active_ms": active_ms,
                "client_token": client_token,
                # What auto_now_add and auto_now would write (``now`` may be a test's clock).
                "created_at": (stamp := timezone.now()),
                "updated_at": stamp,
            }
        ],
    )
    annotation.item, annotation.reviewer = item, reviewer
    sql.insert(
        Rating,
        (
            {"annotation_id": annotation.pk, "criterion_id": criterion.pk, "score": score}
            for criterion, score in clean.values()
        ),
    )
    membership = reviewer_add_review(
        queue=queue, reviewer_id=reviewer.pk, flagged=bool(clean_flags), active_ms=active_ms
    )
    complete = int(done >= target)
    if is_gold:
        fresh = QueueItem.objects.get(pk=item.pk)
        fresh.queue = queue
        gold_check_record(
            annotation=annotation,
            item=fresh,
            scores={name: score for name, (_, score) in clean.items()},
        )
    elif complete:
        item.done_count, item.target_reviews, item.is_gold = done, target, is_gold
        complete += item_reassess(item=item)
    queue_add_review(queue=queue, complete=complete)
    return Submission(annotation, created=True, membership=membership)


@transaction.atomic
def annotation_skip(
    *, item: QueueItem, reviewer: User, reason: str = "", now: datetime | None = None
) -> Assignment:
    """Skip ``item`` (with an optional reason): it goes back to the pool, never to this reviewer."""
    now = now or timezone.now()
    reason = reason.strip()[:300]
    assignments = _locked_assignments(item, reviewer)
    skipped = next((a for a in assignments if a.status == AssignmentStatus.SKIPPED), None)
    if skipped is not None:
        return skipped
    if any(a.status == AssignmentStatus.SUBMITTED for a in assignments):
        raise AlreadyRated(f"you already rated item {item.pk}; edit it instead of skipping")
    lease = next((a for a in assignments if a.status == AssignmentStatus.ACTIVE), None)
    if lease is None:
        lease = next(iter(assignments), None)
        if lease is None:
            raise NotAllowed(f"item {item.pk} was not assigned to you")
        QueueItem.objects.filter(pk=item.pk).update(skip_count=F("skip_count") + 1)
    else:
        QueueItem.objects.filter(pk=item.pk).update(
            leased_count=F("leased_count") - 1, skip_count=F("skip_count") + 1
        )
    lease.status, lease.closed_at, lease.skip_reason = AssignmentStatus.SKIPPED, now, reason
    lease.save(update_fields=["status", "closed_at", "skip_reason"])
    QueueReviewer.objects.filter(queue=item.queue_id, reviewer=reviewer).update(
        skipped_count=F("skipped_count") + 1
    )
    return lease
