"""The outputs filter's "end-user feedback" option, on the outputs API, page and queue builder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.forms.outputs import OutputFilterForm
from llmops_core.models import Feedback, ModelOutput, Project
from llmops_core.selectors.outputs import output_ids_for_filter
from llmops_core.services.feedback import feedback_submit
from tests.factories import ModelOutputFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(project: Project) -> dict[str, ModelOutput]:
    """Outputs with different feedback; "none" has none, "waiting" feedback has no output."""
    made = {
        name: ModelOutputFactory(project=project, external_id=name)
        for name in ("down", "up", "comment", "fix", "none")
    }
    feedback_submit(
        project=project,
        source="api",
        rows=[
            {"external_id": "down", "value": "down"},
            {"external_id": "up", "value": "up"},
            {"external_id": "comment", "comment": "Nice <b>tone</b>."},
            {"external_id": "fix", "correction": "42"},
            {"external_id": "fix", "value": "down"},
        ],
    )
    Feedback.objects.create(
        project=project, trace_id="a" * 32, kind="thumbs", thumb=False, source="otlp"
    )
    return made


def _ids(project: Project, user: Any, **params: str) -> set[str]:
    query = QueryDict(mutable=True)
    query.update(params)
    form = OutputFilterForm(query, project=project, user=user)
    assert form.is_valid(), form.errors
    ids = output_ids_for_filter(project=project, flt=form.to_filter())
    return set(ModelOutput.objects.filter(pk__in=ids).values_list("external_id", flat=True))


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("any", {"down", "up", "comment", "fix"}),
        ("down", {"down", "fix"}),
        ("up", {"up"}),
        ("comment", {"comment"}),
        ("correction", {"fix"}),
        ("", {"down", "up", "comment", "fix", "none"}),
    ],
)
def test_the_feedback_option_keeps_outputs_with_that_feedback(
    rows: dict[str, ModelOutput], project: Project, lead: Any, which: str, expected: set[str]
) -> None:
    assert _ids(project, lead, feedback=which) == expected


def test_the_feedback_option_ands_with_the_other_fields(
    rows: dict[str, ModelOutput], project: Project, lead: Any
) -> None:
    assert _ids(project, lead, feedback="down", q="fix") == {"fix"}


def test_the_outputs_api_filters_by_feedback_and_refuses_a_bad_choice(
    rows: dict[str, ModelOutput], project: Project, lead: Any, api_as: Callable[[Any], APIClient]
) -> None:
    client = api_as(lead)
    url = reverse("api-outputs", args=[project.slug])
    found = client.get(url, {"feedback": "down"}).json()["results"]
    assert {row["external_id"] for row in found} == {"down", "fix"}
    bad = client.get(url, {"feedback": "sideways"})
    assert bad.status_code == 400
    assert bad.json()["feedback"] == ["sideways is not one of any, down, up, comment, correction"]


def test_the_outputs_page_offers_the_option(
    rows: dict[str, ModelOutput], project: Project, lead: Any, client: Any
) -> None:
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/outputs/", {"feedback": "correction"})
    html = page.content.decode()
    assert page.status_code == 200 and "End-user feedback" in html
    assert '<option value="correction" selected>has a correction</option>' in html
    assert "1 output" in html
    assert "👍 0 · 👎 1 · 2 in all" in html  # the correction and the thumbs down of "fix"


def test_the_outputs_list_reads_a_pages_feedback_in_one_query(
    rows: dict[str, ModelOutput], project: Project, lead: Any, client: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(lead)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/p/{project.slug}/outputs/").content.decode()
    assert sum("llmops_core_feedback" in q["sql"] for q in queries.captured_queries) == 1
    assert html.count("👎 1") == 2 and "👍 1 · 👎 0" in html


def test_a_queue_built_from_the_filter_takes_every_thumbs_down(
    rows: dict[str, ModelOutput], project: Project, lead: Any, api_as: Callable[[Any], APIClient]
) -> None:
    rubric = project.rubrics.get(name="default").versions.get(number=1)
    created = api_as(lead).post(
        reverse("api-queues", args=[project.slug]),
        {"name": "thumbs down", "rubric_version_id": rubric.pk, "filter": {"feedback": "down"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["item_count"] == 2
