"""A database connection that dies in the middle of a submission, on PostgreSQL.

The server really drops the session (``pg_terminate_backend``) after the annotation row was
written and before the ratings: the transaction is gone, nothing of the submission remains,
the reviewer's client gets a JSON error saying the rating was not saved, and the same
submission sent again (same ``client_token``, as the rating page's outbox does) is stored once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from annotate import sql
from annotate.models import Annotation, Assignment, QueueItem, Rating
from llmops_core.models import Role
from tests.annotate.helpers import SCORES, make_queue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_dropped_connection_mid_submission_keeps_nothing_and_the_resend_is_stored_once(
    project: Any, make_member: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewer = make_member(Role.REVIEWER, "rev-drop")
    queue = make_queue(project, items=2, reviewers=[reviewer], overlap=1)
    client = APIClient()
    client.raise_request_exception = False
    client.force_authenticate(reviewer)
    base = f"/api/projects/{project.slug}/queues/{queue.pk}/"
    claimed = client.post(base + "next/")
    assert claimed.status_code == 200, claimed.content
    item_id = claimed.json()["next"]["item"]
    body = {
        "client_token": str(uuid.uuid4()),
        "scores": SCORES,
        "rubric_version": queue.rubric_version_id,
    }

    real = sql.insert
    drops: list[int] = []

    def drop_then_insert(model: Any, rows: Any) -> Any:
        # The first attempt loses its connection between the annotation and its ratings.
        if model is Rating and not drops:
            drops.append(1)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real(model, rows)

    monkeypatch.setattr(sql, "insert", drop_then_insert)
    url = f"{base}items/{item_id}/submit/"
    failed = client.post(url, body, format="json")
    assert drops == [1]
    assert failed.status_code == 503, failed.content
    assert failed["Content-Type"].startswith("application/json")
    assert "not saved" in failed.json()["detail"]

    connection.close()  # as the next request would: the dead connection is replaced
    assert not Annotation.objects.filter(item_id=item_id).exists()
    assert not Rating.objects.filter(annotation__item_id=item_id).exists()
    assert QueueItem.objects.get(pk=item_id).done_count == 0
    assert Assignment.objects.get(item_id=item_id, reviewer=reviewer).status == "active"

    stored = client.post(url, body, format="json")
    assert stored.status_code == 201, stored.content
    again = client.post(url, body, format="json")  # a duplicate resend changes nothing
    assert again.status_code == 200 and again.json()["annotation"]["created"] is False
    annotation = Annotation.objects.get(item_id=item_id, reviewer=reviewer)
    assert {r.criterion.name: r.score for r in annotation.ratings.all()} == SCORES
    assert QueueItem.objects.get(pk=item_id).done_count == 1
