"""Gold items: known scores mixed unmarked into the stream, and each reviewer's accuracy on them."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from annotate.models import Annotation, GoldCheck, Queue, QueueItem, Rating
from annotate.services.queues_state import queue_writable_check
from annotate.services.scoring import scores_validate
from llmops_core.errors import DomainError
from llmops_core.services.audit import audit_record


def gold_check_record(
    *, annotation: Annotation, item: QueueItem, scores: Mapping[str, int]
) -> GoldCheck | None:
    """Compare ``scores`` of a gold item's annotation with the known ones and store the result."""
    known = {name: int(value) for name, value in item.gold_scores.items() if name in scores}
    if not known:
        GoldCheck.objects.filter(annotation=annotation).delete()
        return None
    errors = [abs(scores[name] - value) for name, value in known.items()]
    check, _ = GoldCheck.objects.update_or_create(
        annotation=annotation,
        defaults={
            "queue_id": item.queue_id,
            "reviewer_id": annotation.reviewer_id,
            "criteria": len(errors),
            "exact": sum(1 for e in errors if e == 0),
            "within_one": sum(1 for e in errors if e <= 1),
            "abs_error": sum(errors),
        },
    )
    return check


def _recheck_annotations(item: QueueItem) -> None:
    annotations = Annotation.objects.filter(item=item)
    for annotation in annotations:
        scores = dict(
            Rating.objects.filter(annotation=annotation).values_list("criterion__name", "score")
        )
        gold_check_record(annotation=annotation, item=item, scores=scores)


@transaction.atomic
def gold_mark(
    *, item: QueueItem, scores: Mapping[str, int], actor: User | None = None
) -> QueueItem:
    """Make ``item`` a gold item with known ``scores``; every reviewer of the queue will see it.

    Its target becomes the number of the queue's reviewers (at least the overlap), so each
    reviewer meets it once; reviewers who already rated it are checked at once.
    """
    item = QueueItem.objects.select_for_update().select_related("queue").get(pk=item.pk)
    queue = item.queue
    queue_writable_check(queue=queue)
    criteria = list(queue.rubric_version.criteria.all())
    clean = scores_validate(
        criteria=criteria, scores=scores, require_all=False, field="gold_scores"
    )
    if not clean:
        raise DomainError('field "gold_scores": give a known score for at least one criterion')
    was_complete, was_gold = item.is_complete, item.is_gold
    before = dict(item.gold_scores) if was_gold else None
    item.is_gold = True
    item.gold_scores = {name: score for name, (_, score) in clean.items()}
    item.target_reviews = max(item.target_reviews, queue.reviewers.count(), queue.overlap)
    item.save(update_fields=["is_gold", "gold_scores", "target_reviews"])
    Queue.objects.filter(pk=queue.pk).update(
        gold_count=F("gold_count") + int(not was_gold),
        complete_count=F("complete_count") - int(was_complete and not item.is_complete),
    )
    _recheck_annotations(item)
    audit_record(
        actor=actor,
        action="queue_item.gold_mark",
        obj=item,
        project=queue.project,
        before=before,
        after=item.gold_scores,
    )
    return item


@transaction.atomic
def gold_unmark(*, item: QueueItem, actor: User | None = None) -> QueueItem:
    """Make ``item`` an ordinary item again and drop its reviewers' gold checks."""
    item = QueueItem.objects.select_for_update().select_related("queue").get(pk=item.pk)
    queue_writable_check(queue=item.queue)
    if not item.is_gold:
        return item
    queue = item.queue
    before = dict(item.gold_scores)
    was_complete = item.is_complete
    item.is_gold = False
    item.gold_scores = {}
    # Back to the overlap, but never below the reviews and leases it already has.
    item.target_reviews = max(queue.overlap, item.done_count + item.leased_count)
    item.save(update_fields=["is_gold", "gold_scores", "target_reviews"])
    GoldCheck.objects.filter(annotation__item=item).delete()
    Queue.objects.filter(pk=queue.pk).update(
        gold_count=Greatest(F("gold_count") - 1, 0),
        complete_count=F("complete_count") + int(item.is_complete and not was_complete),
    )
    audit_record(
        actor=actor, action="queue_item.gold_unmark", obj=item, project=queue.project, before=before
    )
    return item
