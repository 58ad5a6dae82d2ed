"""Submitting and skipping: counters, idempotency, conflicts, validation and atomicity."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotate import sql
from annotate.errors import AlreadyRated, LeaseLost, RubricChanged, TokenReused
from annotate.models import Annotation, Assignment, Queue, QueueItem, QueueReviewer, Rating
from annotate.services.assignment import assignment_claim_next
from annotate.services.submit import annotation_skip, annotation_submit
from llmops_core.errors import DomainError, NotAllowed
from llmops_core.services.rubrics import CriterionSpec, rubric_version_create
from tests.annotate.helpers import SCORES, make_queue

pytestmark = pytest.mark.django_db


def lease(queue: Queue, reviewer: Any, **kwargs: Any) -> QueueItem:
    queue.refresh_from_db()
    item = assignment_claim_next(queue=queue, reviewer=reviewer, **kwargs).assignment.item
    item.queue = queue
    return item


def submit(item: QueueItem, reviewer: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("client_token", uuid.uuid4())
    kwargs.setdefault("scores", SCORES)
    return annotation_submit(item=item, reviewer=reviewer, **kwargs)


def test_submit_stores_ratings_and_keeps_every_counter(queue: Queue, reviewers: list[Any]) -> None:
    item = lease(queue, reviewers[0])
    result = submit(item, reviewers[0], comment="fine", active_ms=12_345)
    assert result.created
    annotation = result.annotation
    assert dict(annotation.ratings.values_list("criterion__name", "score")) == SCORES
    assert (annotation.comment, annotation.active_ms, annotation.rubric_version_id) == (
        "fine",
        12_345,
        queue.rubric_version_id,
    )
    item.refresh_from_db()
    assert (item.done_count, item.leased_count) == (1, 0)
    assert Assignment.objects.get(item=item, reviewer=reviewers[0]).status == "submitted"
    membership = QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0])
    assert (membership.done_count, membership.active_ms_total) == (1, 12_345)
    queue.refresh_from_db()
    assert (queue.review_count, queue.complete_count) == (1, 0)


def test_third_review_completes_the_item(queue: Queue, reviewers: list[Any]) -> None:
    item = lease(queue, reviewers[0])
    for reviewer in reviewers[:3]:
        submit(lease(queue, reviewer), reviewer)
    item.refresh_from_db()
    queue.refresh_from_db()
    assert item.is_complete and queue.complete_count == 1 and queue.review_count == 3


def test_same_client_token_returns_the_same_annotation(queue: Queue, reviewers: list[Any]) -> None:
    item = lease(queue, reviewers[0])
    token = uuid.uuid4()
    first = submit(item, reviewers[0], client_token=token)
    again = submit(item, reviewers[0], client_token=token, scores={"fluency": 1})
    assert (again.annotation.pk, again.created) == (first.annotation.pk, False)
    assert Annotation.objects.count() == 1
    assert QueueItem.objects.get(pk=item.pk).done_count == 1


def test_second_submission_with_another_token_is_a_conflict(
    queue: Queue, reviewers: list[Any]
) -> None:
    item = lease(queue, reviewers[0])
    submit(item, reviewers[0])
    with pytest.raises(AlreadyRated, match="already rated"):
        submit(item, reviewers[0])
    assert Annotation.objects.count() == 1


def test_token_reused_for_another_item_is_refused(queue: Queue, reviewers: list[Any]) -> None:
    token = uuid.uuid4()
    submit(lease(queue, reviewers[0]), reviewers[0], client_token=token)
    other = lease(queue, reviewers[0])
    with pytest.raises(TokenReused, match="already used"):
        submit(other, reviewers[0], client_token=token)


@pytest.mark.parametrize(
    ("scores", "flags", "message"),
    [
        ({"fluency": 4}, [], "no score for relevance, factuality"),
        ({**SCORES, "fluency": 6}, [], 'field "scores.fluency": 6 is outside 1-5'),
        ({**SCORES, "tone": 3}, [], 'no criterion "tone"'),
        ({**SCORES, "fluency": True}, [], "is not a whole number"),
        (SCORES, ["nonsense"], 'field "flags": "nonsense" is not one of'),
    ],
)
def test_invalid_submission_is_refused_and_says_where(
    queue: Queue, reviewers: list[Any], scores: dict[str, Any], flags: list[str], message: str
) -> None:
    item = lease(queue, reviewers[0])
    with pytest.raises(DomainError, match=message):
        submit(item, reviewers[0], scores=scores, flags=flags)
    assert not Annotation.objects.exists()


def test_flagged_item_needs_no_scores_and_is_counted(queue: Queue, reviewers: list[Any]) -> None:
    item = lease(queue, reviewers[0])
    annotation = submit(item, reviewers[0], scores={}, flags=["broken", "broken"]).annotation
    assert annotation.flags == ["broken"] and not annotation.ratings.exists()
    item.refresh_from_db()
    assert (item.done_count, item.flag_count) == (1, 1)
    assert QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0]).flagged_count == 1


def test_failure_midway_leaves_nothing_half_written(
    queue: Queue, reviewers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    item = lease(queue, reviewers[0])

    insert = sql.insert

    def explode(model: Any, rows: Any) -> Any:
        if model is Rating:  # written after the annotation and the item counters
            raise RuntimeError("disk full")
        return insert(model, rows)

    monkeypatch.setattr(sql, "insert", explode)
    with pytest.raises(RuntimeError):
        submit(item, reviewers[0])
    item.refresh_from_db()
    assert not Annotation.objects.exists()
    assert (item.done_count, item.leased_count) == (0, 1)
    assert Assignment.objects.get(item=item).status == "active"
    assert QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0]).done_count == 0
    monkeypatch.undo()
    assert submit(item, reviewers[0]).created


def test_late_submission_counts_while_a_slot_is_free(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers, overlap=2, lease_seconds=60)
    item = lease(queue, reviewers[0])
    later = timezone.now() + timedelta(seconds=120)
    assignment_claim_next(queue=queue, reviewer=reviewers[1], now=later)  # expires the lease
    assert Assignment.objects.get(reviewer=reviewers[0]).status == "expired"
    assert submit(item, reviewers[0]).created
    item.refresh_from_db()
    assert (item.done_count, item.leased_count) == (1, 1)


def test_late_submission_after_the_slot_was_taken_is_refused(
    project: Any, reviewers: list[Any]
) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers, overlap=1, lease_seconds=60)
    item = lease(queue, reviewers[0])
    later = timezone.now() + timedelta(seconds=120)
    taken = assignment_claim_next(queue=queue, reviewer=reviewers[1], now=later).assignment
    assert taken.item_id == item.pk
    with pytest.raises(LeaseLost, match="expired"):
        submit(item, reviewers[0])
    assert QueueItem.objects.get(pk=item.pk).done_count == 0


def test_item_never_assigned_cannot_be_rated(queue: Queue, reviewers: list[Any]) -> None:
    item = queue.items.last()
    item.queue = queue
    with pytest.raises(NotAllowed, match="not assigned to you"):
        submit(item, reviewers[0])


def test_submission_against_an_old_rubric_version_is_refused(
    queue: Queue, reviewers: list[Any]
) -> None:
    from annotate.services.queues import queue_change_rubric_version

    item = lease(queue, reviewers[0])
    shown = queue.rubric_version_id
    new, _ = rubric_version_create(
        rubric=queue.rubric_version.rubric, criteria=[CriterionSpec("tone", "Is it polite?")]
    )
    queue_change_rubric_version(queue=queue, rubric_version=new)
    with pytest.raises(RubricChanged, match="changed while you were rating"):
        submit(item, reviewers[0], rubric_version_id=shown)


def test_skip_returns_the_item_to_others_never_to_the_skipper(
    project: Any, reviewers: list[Any]
) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers, overlap=1)
    item = lease(queue, reviewers[0])
    skipped = annotation_skip(item=item, reviewer=reviewers[0], reason="  not my field ")
    assert (skipped.status, skipped.skip_reason) == ("skipped", "not my field")
    assert annotation_skip(item=item, reviewer=reviewers[0]).pk == skipped.pk  # idempotent
    item.refresh_from_db()
    assert (item.leased_count, item.skip_count) == (0, 1)
    assert QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0]).skipped_count == 1
    assert assignment_claim_next(queue=queue, reviewer=reviewers[0]).reason == "done"
    assert assignment_claim_next(queue=queue, reviewer=reviewers[1]).assignment.item_id == item.pk
    with pytest.raises(NotAllowed, match="you skipped"):
        submit(item, reviewers[0])


def test_rated_item_cannot_be_skipped(queue: Queue, reviewers: list[Any]) -> None:
    item = lease(queue, reviewers[0])
    submit(item, reviewers[0])
    with pytest.raises(AlreadyRated):
        annotation_skip(item=item, reviewer=reviewers[0])
