"""Many reviewers at the same instant, on PostgreSQL: no item past its overlap, nothing lost.

Each thread has its own database connection (Django's are per thread) and closes it at the
end. The threads start together behind a barrier, so claims and submissions truly overlap.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, F

from annotate.errors import AlreadyRated
from annotate.models import Annotation, Assignment, Queue, QueueItem, QueueReviewer
from annotate.services.assignment import assignment_claim_next
from annotate.services.submit import annotation_skip, annotation_submit
from llmops_core.models import Role
from tests.annotate.helpers import SCORES, make_queue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
ITEMS = 60
OVERLAP = 3


def run_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads started together; re-raise the first error."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a reviewer thread hung"
    if errors:
        raise errors[0]
    return results


def test_concurrent_reviewers_never_exceed_the_overlap_and_lose_nothing(
    project: Any, make_member: Callable[..., Any]
) -> None:
    reviewers = [make_member(Role.REVIEWER, f"crowd{i}") for i in range(THREADS)]
    queue = make_queue(project, items=ITEMS, reviewers=reviewers, overlap=OVERLAP)
    freed = threading.Condition()

    def review(i: int) -> list[tuple[int, int]]:
        me = reviewers[i]
        done: list[tuple[int, int]] = []
        actions = 0
        fresh = Queue.objects.get(pk=queue.pk)
        while True:
            claim = assignment_claim_next(queue=fresh, reviewer=me)
            if claim.assignment is None:
                # Others may still skip items they hold; like the page's "check again", wait
                # for a skip (without spinning: idle threads would starve busy ones of the GIL).
                if (
                    claim.reason == "busy"
                    or Assignment.objects.filter(item__queue=queue, status="active").exists()
                ):
                    with freed:
                        freed.wait(timeout=0.5)
                    continue
                return done
            item = claim.assignment.item
            item.queue = fresh
            actions += 1
            if (i + actions) % 11 == 10:  # now and then, a skip
                annotation_skip(item=item, reviewer=me, reason="busy")
                with freed:
                    freed.notify_all()
                continue
            result = annotation_submit(
                item=item, reviewer=me, client_token=uuid.uuid4(), scores=SCORES
            )
            done.append((result.annotation.pk, item.pk))

    submitted = [pair for pairs in run_threads(THREADS, review) for pair in pairs]

    per_item = Counter(item for _, item in submitted)
    stored = dict(
        QueueItem.objects.filter(queue=queue)
        .annotate(n=Count("annotations"))
        .values_list("id", "n")
    )
    assert max(stored.values()) <= OVERLAP
    assert not QueueItem.objects.filter(queue=queue, done_count__gt=F("target_reviews")).exists()
    # Nothing lost: every submission the threads saw is stored, and the counters agree.
    assert set(Annotation.objects.filter(item__queue=queue).values_list("id", flat=True)) == {
        annotation for annotation, _ in submitted
    }
    assert all(stored[item] == n for item, n in per_item.items())
    for item in QueueItem.objects.filter(queue=queue):
        assert item.done_count == stored[item.pk]
        assert item.leased_count == 0
    # With 20 reviewers for overlap 3, every item got all its reviews.
    assert all(n == OVERLAP for n in stored.values())
    assert (
        not Annotation.objects.values("item", "reviewer")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    queue.refresh_from_db()
    assert queue.review_count == len(submitted) == ITEMS * OVERLAP
    assert queue.complete_count == ITEMS
    done_by = dict(
        QueueReviewer.objects.filter(queue=queue).values_list("reviewer_id", "done_count")
    )
    assert sum(done_by.values()) == len(submitted)
    assert not Assignment.objects.filter(item__queue=queue, status="active").exists()


def test_concurrent_double_submit_stores_one_annotation(
    project: Any, make_member: Callable[..., Any]
) -> None:
    """Sixteen copies of one submission (a double click, retries): one annotation, same id."""
    reviewer = make_member(Role.REVIEWER, "clicker")
    queue = make_queue(project, items=1, reviewers=[reviewer])
    item = assignment_claim_next(queue=queue, reviewer=reviewer).assignment.item
    item.queue = queue
    token = uuid.uuid4()

    def send(i: int) -> tuple[int, bool]:
        result = annotation_submit(item=item, reviewer=reviewer, client_token=token, scores=SCORES)
        return result.annotation.pk, result.created

    results = run_threads(16, send)
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Annotation.objects.count() == 1
    assert QueueItem.objects.get(pk=item.pk).done_count == 1


def test_concurrent_submits_with_different_tokens_store_one(
    project: Any, make_member: Callable[..., Any]
) -> None:
    reviewer = make_member(Role.REVIEWER, "two-tabs")
    queue = make_queue(project, items=1, reviewers=[reviewer])
    item = assignment_claim_next(queue=queue, reviewer=reviewer).assignment.item
    item.queue = queue

    def send(i: int) -> str:
        try:
            annotation_submit(
                item=item, reviewer=reviewer, client_token=uuid.uuid4(), scores=SCORES
            )
        except AlreadyRated:
            return "conflict"
        return "stored"

    assert sorted(run_threads(16, send)) == ["conflict"] * 15 + ["stored"]
    assert QueueItem.objects.get(pk=item.pk).done_count == 1
