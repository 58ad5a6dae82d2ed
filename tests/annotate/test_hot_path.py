"""The rating page's hot path runs an exact number of queries: adding one fails here.

``bench.rating`` times these same requests; every query listed below is one it pays for. The
client signs in with a session, as the page does, so the session and user reads are counted.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotate.models import Queue
from annotate.services import assignment
from tests.annotate.helpers import SCORES, make_queue

pytestmark = pytest.mark.django_db

# Per request, on SQLite: session, user, project with role, queue with membership and rubric.
AUTH_AND_QUEUE = 4
# Claiming: BEGIN, my leases, take a pool item (one UPDATE), read it for the page, insert the
# lease, COMMIT. PostgreSQL adds SET LOCAL synchronous_commit (a lease is cheap to lose).
CLAIM = 6
# Submitting: the item, BEGIN, my assignments on it, annotations clashing by item or token,
# count the review on the item, close the lease, insert the annotation, insert its ratings,
# count it for the reviewer and the queue, COMMIT.
SUBMIT = 11
# When the submission completes the item: its ratings, read to look for disagreement.
COMPLETES = 1


def _relaxed() -> int:
    return 1 if connection.vendor == "postgresql" else 0


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _next(client: Client, queue: Queue, holding: list[int]) -> Any:
    url = reverse("api-queue-next", args=[queue.project.slug, queue.pk])
    return client.post(url, {"holding": holding}, content_type="application/json")


def _submit(client: Client, queue: Queue, item: int, holding: list[int]) -> Any:
    url = reverse("api-item-submit", args=[queue.project.slug, queue.pk, item])
    body = {
        "client_token": str(uuid.uuid4()),
        "scores": SCORES,
        "rubric_version": queue.rubric_version_id,
        "holding": holding,
    }
    return client.post(url, body, content_type="application/json")


@pytest.fixture(autouse=True)
def _expiry_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stale leases are expired at most every few seconds, not per request: out of the count."""
    monkeypatch.setattr(assignment, "EXPIRE_EVERY", timedelta(hours=1))


def _page(client: Client, queue: Queue) -> tuple[int, int]:
    """Open the page as the browser does: the item on screen, then one prefetched."""
    current = _next(client, queue, []).json()["next"]["item"]
    prefetched = _next(client, queue, [current]).json()["next"]["item"]
    return current, prefetched


@pytest.mark.parametrize("overlap, completes", [(2, 0), (1, COMPLETES)])
def test_submit_and_next_runs_an_exact_number_of_queries(
    project: Any,
    reviewers: list[Any],
    django_assert_num_queries: Any,
    overlap: int,
    completes: int,
) -> None:
    """Submit the item on screen and claim the next while holding the prefetched one."""
    queue = make_queue(project, items=10, reviewers=reviewers, overlap=overlap)
    client = _client(reviewers[0])
    current, prefetched = _page(client, queue)
    for i in range(4):  # the fourth submission costs what the second did
        if i == 0:  # the first reads the rubric's criteria, kept for the process's lifetime
            response = _submit(client, queue, current, [prefetched])
            current, prefetched = prefetched, response.json()["next"]["item"]
            continue
        expected = AUTH_AND_QUEUE + SUBMIT + completes + CLAIM + _relaxed()
        with django_assert_num_queries(expected):
            response = _submit(client, queue, current, [prefetched])
        assert response.status_code == 201, response.content
        current, prefetched = prefetched, response.json()["next"]["item"]


def test_claim_next_runs_an_exact_number_of_queries(
    project: Any, reviewers: list[Any], django_assert_num_queries: Any
) -> None:
    queue = make_queue(project, items=8, reviewers=reviewers)
    client = _client(reviewers[0])
    current = _next(client, queue, []).json()["next"]["item"]
    with django_assert_num_queries(AUTH_AND_QUEUE + CLAIM + _relaxed()):
        response = _next(client, queue, [current])
    assert response.status_code == 200
    assert response.json()["next"]["item"] != current
