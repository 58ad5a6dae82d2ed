"""Closing a queue asks for its final agreement report."""

from __future__ import annotations

import pytest

from annotate.services.queues import queue_update
from llmops_core.models import Project, Report
from tests.annotate.helpers import make_queue

pytestmark = pytest.mark.django_db


def test_closing_a_queue_requests_its_agreement_report(project: Project, lead: object) -> None:
    queue = make_queue(project, items=3)
    queue_update(queue=queue, changes={"name": "renamed"}, actor=lead)  # type: ignore[arg-type]
    assert not Report.objects.exists()
    queue_update(queue=queue, changes={"status": "closed"}, actor=lead)  # type: ignore[arg-type]
    report = Report.objects.get()
    assert report.parameters["trigger"] == "queue_closed"
    assert report.parameters["queue_id"] == queue.pk
