"""Changing past work: editing one's own annotation (history kept) and undoing the last one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotate.errors import Conflict, NothingToUndo, QueueNotOpen
from annotate.models import (
    Adjudication,
    Annotation,
    Assignment,
    AssignmentStatus,
    Queue,
    QueueItem,
    QueueReviewer,
    QueueStatus,
    Rating,
    RatingRevision,
)
from annotate.services.gold import gold_check_record
from annotate.services.scoring import (
    annotation_snapshot,
    comment_validate,
    flags_validate,
    item_reassess,
    scores_validate,
)
from llmops_core.errors import NotAllowed
from llmops_core.models import Criterion
from llmops_core.services.audit import audit_record

UNDO_WINDOW = timedelta(minutes=30)


def _apply_scores(annotation: Annotation, clean: Mapping[str, tuple[Criterion, int]]) -> None:
    current = {r.criterion_id: r for r in Rating.objects.filter(annotation=annotation)}
    wanted = {criterion.pk: score for criterion, score in clean.values()}
    Rating.objects.filter(annotation=annotation).exclude(criterion_id__in=wanted).delete()
    for criterion_id, score in wanted.items():
        rating = current.get(criterion_id)
        if rating is None:
            Rating.objects.create(annotation=annotation, criterion_id=criterion_id, score=score)
        elif rating.score != score:
            Rating.objects.filter(pk=rating.pk).update(score=score)


@transaction.atomic
def annotation_edit(
    *,
    annotation: Annotation,
    editor: User,
    scores: Mapping[str, Any] | None = None,
    comment: str | None = None,
    flags: Sequence[str] | None = None,
) -> Annotation:
    """Change the editor's own annotation while its queue is not closed; keep the old values.

    Scores are checked against the rubric version the annotation was made under, never the
    queue's current one, so an annotation never mixes two versions.
    """
    annotation = (
        Annotation.objects.select_for_update().select_related("item__queue").get(pk=annotation.pk)
    )
    item: QueueItem = annotation.item
    queue: Queue = item.queue
    if annotation.reviewer_id != editor.pk:
        raise NotAllowed("only the reviewer who made an annotation may edit it")
    if queue.status == QueueStatus.CLOSED:
        raise QueueNotOpen(f'queue "{queue.name}" is closed; its annotations can no longer change')
    before = annotation_snapshot(annotation)
    new_flags = flags_validate(flags) if flags is not None else before["flags"]
    criteria = list(Criterion.objects.filter(rubric_version_id=annotation.rubric_version_id))
    clean = scores_validate(
        criteria=criteria,
        scores=before["scores"] if scores is None else scores,
        require_all=not new_flags,
    )
    new_scores = {name: score for name, (_, score) in clean.items()}
    new_comment = str(before["comment"]) if comment is None else comment_validate(comment)
    after: dict[str, Any] = {"scores": new_scores, "comment": new_comment, "flags": new_flags}
    if after == before:
        return annotation
    _apply_scores(annotation, clean)
    annotation.comment, annotation.flags = new_comment, new_flags
    annotation.save(update_fields=["comment", "flags", "updated_at"])
    RatingRevision.objects.create(
        annotation=annotation, changed_by=editor, before=before, after=after
    )
    flag_change = int(bool(after["flags"])) - int(bool(before["flags"]))
    if flag_change:
        QueueItem.objects.filter(pk=item.pk).update(flag_count=F("flag_count") + flag_change)
        QueueReviewer.objects.filter(queue=queue, reviewer=editor).update(
            flagged_count=F("flagged_count") + flag_change
        )
    if item.is_gold:
        gold_check_record(annotation=annotation, item=item, scores=new_scores)
    elif item.is_complete:
        reopened = item_reassess(item=item)
        if reopened:
            Queue.objects.filter(pk=queue.pk).update(complete_count=F("complete_count") + reopened)
    return annotation


@dataclass(frozen=True)
class Undo:
    """The lease given back to the reviewer, and what they had submitted (to fill the form)."""

    assignment: Assignment
    previous: dict[str, Any]


@transaction.atomic
def annotation_undo(*, queue: Queue, reviewer: User, now: datetime | None = None) -> Undo:
    """Take back the reviewer's latest submission in ``queue``; the item is theirs again.

    The annotation is deleted (its values are kept in the audit log and returned, so the page
    can show them) and the reviewer gets a fresh lease on the item. Only a submission from the
    last 30 minutes, on an item not yet adjudicated, in a queue that is not closed, can be undone.
    """
    now = now or timezone.now()
    annotation = (
        Annotation.objects.select_for_update()
        .filter(item__queue=queue, reviewer=reviewer, created_at__gte=now - UNDO_WINDOW)
        .order_by("-created_at", "-id")
        .first()
    )
    if annotation is None:
        raise NothingToUndo("you have no submission from the last 30 minutes to undo")
    if queue.status == QueueStatus.CLOSED:
        raise QueueNotOpen(f'queue "{queue.name}" is closed')
    item = (
        QueueItem.objects.select_for_update(of=("self",))
        .select_related("output__prompt_version__template")
        .get(pk=annotation.item_id)
    )
    if Adjudication.objects.filter(item=item).exists():
        raise Conflict(f"item {item.pk} was adjudicated; its ratings can no longer be undone")
    previous = annotation_snapshot(annotation)
    was_complete = item.is_complete
    flagged = int(bool(annotation.flags))
    lease = annotation.assignment
    audit_record(
        actor=reviewer,
        action="annotation.undo",
        obj=annotation,
        project=queue.project,
        before={**previous, "item": item.pk, "active_ms": annotation.active_ms},
    )
    annotation.delete()
    QueueItem.objects.filter(pk=item.pk).update(
        done_count=F("done_count") - 1,
        leased_count=F("leased_count") + 1,
        flag_count=F("flag_count") - flagged,
        contested=False,
    )
    expires = now + timedelta(seconds=queue.lease_seconds)
    if lease is None:
        lease = Assignment.objects.create(item=item, reviewer=reviewer, expires_at=expires)
    else:
        lease.status, lease.expires_at, lease.closed_at = AssignmentStatus.ACTIVE, expires, None
        lease.save(update_fields=["status", "expires_at", "closed_at"])
    QueueReviewer.objects.filter(queue=queue, reviewer=reviewer).update(
        done_count=F("done_count") - 1,
        flagged_count=F("flagged_count") - flagged,
        active_ms_total=F("active_ms_total") - annotation.active_ms,
    )
    Queue.objects.filter(pk=queue.pk).update(
        review_count=F("review_count") - 1, complete_count=F("complete_count") - int(was_complete)
    )
    lease.item = item
    return Undo(assignment=lease, previous=previous)
