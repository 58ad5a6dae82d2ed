"""The same feedback sent by many threads at once is stored once, and every sender is answered."""

from __future__ import annotations

from collections import Counter

import pytest

from llmops_core.models import Feedback, Project
from tests.concurrency.test_claims import run_threads
from tests.feedback.conftest import App, Outputs, post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def test_concurrent_senders_of_one_id_store_it_once(
    app: App, outputs: Outputs, project: Project
) -> None:
    body = [
        {"external_id": "ticket-1", "value": "down", "id": "retried"},
        {"external_id": "ticket-1", "comment": "No id: every sender's is kept."},
    ]
    statuses = run_threads(THREADS, lambda i: post(app.client(), project, body).status_code)
    assert Counter(statuses) == {201: THREADS}  # each stored its comment at least
    assert Feedback.objects.filter(client_id="retried").count() == 1
    assert Feedback.objects.filter(kind="comment").count() == THREADS
