"""Feedback is written in bulk: the reads of a request do not grow with its rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmops_core.models import Feedback, Project
from tests.factories import ModelOutputFactory
from tests.feedback.conftest import App, post

pytestmark = pytest.mark.django_db


def _queries(app: App, project: Project, rows: list[dict[str, object]]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert post(app.client(), project, rows).status_code == 201
    # One INSERT for all rows (SQLite splits it into batches of its variable limit).
    return sum(not q["sql"].startswith("INSERT") for q in queries.captured_queries)


def test_a_thousand_rows_cost_the_queries_of_ten(app: App, project: Project) -> None:
    outputs = ModelOutputFactory.create_batch(20, project=project)

    def rows(count: int, tag: str) -> list[dict[str, object]]:
        return [
            {"output_id": outputs[i % 20].pk, "value": "up", "id": f"{tag}-{i}"}
            if i % 2
            else {"external_id": outputs[i % 20].external_id, "comment": "ok", "id": f"{tag}-{i}"}
            for i in range(count)
        ]

    post(app.client(), project, rows(1, "warm"))  # the key is cached from here on
    small, large = _queries(app, project, rows(10, "a")), _queries(app, project, rows(1000, "b"))
    assert large == small, (small, large)
    assert Feedback.objects.count() == 1011
