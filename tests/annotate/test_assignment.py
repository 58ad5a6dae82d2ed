"""Assignment rules: which item a reviewer gets next, leases, expiry, overlap, quotas, pins."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate.errors import NotInQueue
from annotate.models import Assignment, QueueItem, QueueReviewer
from annotate.services.assignment import (
    assignment_claim_next,
    assignment_expire_stale,
    assignment_release,
)
from annotate.services.queues import queue_update
from annotate.services.reviewers import items_pin, items_unpin, queue_reviewer_set_quota
from annotate.services.submit import annotation_skip, annotation_submit
from annotate.tasks import assignment_expire_stale_task
from llmops_core.models import Role
from tests.annotate.helpers import SCORES, make_queue, rate_next

pytestmark = pytest.mark.django_db


def claim(queue: Any, reviewer: Any, **kwargs: Any) -> Any:
    queue.refresh_from_db()
    return assignment_claim_next(queue=queue, reviewer=reviewer, **kwargs)


def test_claim_leases_the_first_item_in_queue_order(queue: Any, reviewers: list[Any]) -> None:
    result = claim(queue, reviewers[0])
    first = queue.items.order_by("position").first()
    assert result.assignment.item_id == first.pk
    first.refresh_from_db()
    assert (first.leased_count, first.done_count) == (1, 0)
    assert result.assignment.expires_at > timezone.now() + timedelta(seconds=800)


def test_reviewer_holding_a_lease_gets_the_same_item_back(queue: Any, reviewers: list[Any]) -> None:
    first = claim(queue, reviewers[0]).assignment
    again = claim(queue, reviewers[0]).assignment
    assert again.pk == first.pk
    assert Assignment.objects.filter(reviewer=reviewers[0], status="active").count() == 1


def test_items_the_page_holds_are_not_handed_out_again(queue: Any, reviewers: list[Any]) -> None:
    current = claim(queue, reviewers[0]).assignment
    prefetched = claim(queue, reviewers[0], holding=[current.item_id]).assignment
    assert prefetched.item_id != current.item_id
    both = [current.item_id, prefetched.item_id]
    assert claim(queue, reviewers[0], holding=both).assignment.item_id not in both


def test_claim_prefers_items_closest_to_completion(queue: Any, reviewers: list[Any]) -> None:
    """Reviewer 1 rates the first two items; reviewer 2 gets item 1, then item 2, not item 3."""
    a, b = rate_next(queue, reviewers[0]), rate_next(queue, reviewers[0])
    rate_next(queue, reviewers[2])  # item 1 now has two reviews
    assert claim(queue, reviewers[1]).assignment.item_id == a.item_id
    assert claim(queue, reviewers[1], holding=[a.item_id]).assignment.item_id == b.item_id


def test_reviewer_never_gets_an_item_they_rated_or_skipped(
    queue: Any, reviewers: list[Any]
) -> None:
    seen = set()
    for _ in range(5):
        assignment = claim(queue, reviewers[0]).assignment
        item = assignment.item
        if len(seen) % 2:
            annotation_skip(item=item, reviewer=reviewers[0], reason="unsure")
        else:
            annotation_submit(
                item=item, reviewer=reviewers[0], client_token=uuid.uuid4(), scores=SCORES
            )
        assert item.pk not in seen
        seen.add(item.pk)
    result = claim(queue, reviewers[0])
    assert (result.assignment, result.reason) == (None, "done")


def test_claims_never_push_an_item_past_its_overlap(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers, overlap=3)
    held = [claim(queue, r).assignment for r in reviewers[:3]]
    assert all(h is not None for h in held)
    assert claim(queue, reviewers[3]).reason == "done"
    item = QueueItem.objects.get(queue=queue)
    assert (item.leased_count, item.done_count) == (3, 0)


def test_database_refuses_more_leases_than_open_slots(queue: Any) -> None:
    item = queue.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        QueueItem.objects.filter(pk=item.pk).update(leased_count=4)


def test_expired_lease_returns_the_item_to_the_pool(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(project, items=1, reviewers=reviewers, overlap=1, lease_seconds=60)
    first = claim(queue, reviewers[0]).assignment
    assert claim(queue, reviewers[1]).reason == "done"
    later = timezone.now() + timedelta(seconds=61)
    second = claim(queue, reviewers[1], now=later).assignment
    assert second is not None and second.item_id == first.item_id
    first.refresh_from_db()
    assert first.status == "expired"
    assert QueueItem.objects.get(pk=first.item_id).leased_count == 1


def test_expiry_task_gives_slots_back_once(project: Any, reviewers: list[Any]) -> None:
    queue = make_queue(project, items=2, reviewers=reviewers, overlap=1, lease_seconds=10)
    claim(queue, reviewers[0])
    Assignment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert assignment_expire_stale_task() == 1
    assert assignment_expire_stale() == 0
    assert sum(QueueItem.objects.values_list("leased_count", flat=True)) == 0


def test_release_gives_the_slot_back(queue: Any, reviewers: list[Any]) -> None:
    held = claim(queue, reviewers[0]).assignment
    assert assignment_release(queue=queue, reviewer=reviewers[0], item_ids=[held.item_id]) == 1
    held.refresh_from_db()
    assert held.status == "released"
    assert QueueItem.objects.get(pk=held.item_id).leased_count == 0


def test_reviewer_not_in_the_queue_cannot_claim(queue: Any, make_member: Any) -> None:
    outsider = make_member(Role.REVIEWER, "not-in-queue")
    with pytest.raises(NotInQueue, match="not a reviewer of queue"):
        claim(queue, outsider)


def test_quota_stops_new_items_counting_held_leases(queue: Any, reviewers: list[Any]) -> None:
    queue_reviewer_set_quota(queue=queue, reviewer=reviewers[0], quota=2)
    rate_next(queue, reviewers[0])
    current = claim(queue, reviewers[0]).assignment
    assert claim(queue, reviewers[0], holding=[current.item_id]).reason == "quota"
    assert QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0]).quota_reached is False


def test_paused_queue_returns_held_leases_but_no_new_items(
    queue: Any, reviewers: list[Any]
) -> None:
    held = claim(queue, reviewers[0]).assignment
    queue_update(queue=queue, changes={"status": "paused"})
    assert claim(queue, reviewers[0]).assignment.pk == held.pk
    assert claim(queue, reviewers[0], holding=[held.item_id]).reason == "paused"
    queue_update(queue=queue, changes={"status": "closed"})
    assert claim(queue, reviewers[0]).reason == "closed"


def test_pinned_items_go_first_and_only_to_their_reviewer(queue: Any, reviewers: list[Any]) -> None:
    last = queue.items.order_by("-position").first()
    items_pin(queue=queue, reviewer=reviewers[1], item_ids=[last.pk])
    last.refresh_from_db()
    assert last.pinned and last.target_reviews == 1
    assert claim(queue, reviewers[1]).assignment.item_id == last.pk
    ids = set()
    for _ in range(4):
        assignment = claim(queue, reviewers[0], holding=list(ids)).assignment
        ids.add(assignment.item_id)
    assert last.pk not in ids
    items_unpin(queue=queue, reviewer=reviewers[1], item_ids=[last.pk])
    last.refresh_from_db()
    assert not last.pinned and last.target_reviews == 3


def test_gold_items_come_now_and_then_to_every_reviewer(project: Any, reviewers: list[Any]) -> None:
    """Gold items sit at the end of the queue, yet reach the reviewer among the first items."""
    from annotate.services.gold import gold_mark

    queue = make_queue(project, items=40, reviewers=reviewers, overlap=1)
    queue_update(queue=queue, changes={"gold_every": 2})
    gold = [
        gold_mark(item=item, scores={"fluency": 4})
        for item in queue.items.order_by("-position")[:3]
    ]
    order = [rate_next(queue, reviewers[0]).item_id for _ in range(20)]
    assert {g.pk for g in gold} <= set(order)
    assert all(g.target_reviews == len(reviewers) for g in gold)
