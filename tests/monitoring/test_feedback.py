"""End-user feedback on the monitoring page and in its API, per prompt version, in the range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from llmops_core.models import Feedback, FeedbackKind, FeedbackSource, Project
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.monitoring.helpers import START, add_all, make_outputs

pytestmark = pytest.mark.django_db

RANGE = {"granularity": "day", "from": "2026-03-01", "to": "2026-03-05"}


def _feedback(project: Project, output: Any, i: int, **fields: Any) -> None:
    made = Feedback.objects.create(
        project=project, output=output, source=FeedbackSource.API, client_id=f"f{i}", **fields
    )
    Feedback.objects.filter(pk=made.pk).update(created_at=START + dt.timedelta(hours=1))


@pytest.fixture
def rated(project: Project) -> tuple[Project, Any]:
    template = prompt_template_create(project=project, name="<b>ask</b>")
    version = prompt_version_create(template=template, template_text="{{q}}", model_name="m")[0]
    outputs = make_outputs(project, 40, versions=[version, None])
    add_all(project, outputs)
    ours = [o for o in outputs if o.prompt_version_id == version.pk]
    for i, thumb in enumerate([False, False, True]):
        _feedback(project, ours[i], i, kind=FeedbackKind.THUMBS, thumb=thumb)
    _feedback(project, ours[3], 3, kind=FeedbackKind.COMMENT, comment="<script>x</script>")
    other = next(o for o in outputs if o.prompt_version_id is None)
    _feedback(project, other, 4, kind=FeedbackKind.SCORE, score=4.0, scale_min=1, scale_max=5)
    # Outside the range: not counted.
    late = Feedback.objects.create(
        project=project,
        output=ours[5],
        source=FeedbackSource.API,
        client_id="late",
        kind=FeedbackKind.THUMBS,
        thumb=False,
    )
    Feedback.objects.filter(pk=late.pk).update(created_at=START + dt.timedelta(days=30))
    return project, version


def test_the_api_counts_feedback_given_in_the_range_per_version(
    rated: tuple[Project, Any], lead: Any, api_as: Any
) -> None:
    project, version = rated
    answer = api_as(lead).get(reverse("api-monitoring", args=[project.slug]), RANGE).json()
    rows = {row["version_id"]: row for row in answer["feedback"]}
    assert rows[version.pk]["n"] == 4
    assert (rows[version.pk]["up"], rows[version.pk]["down"]) == (1, 2)
    assert rows[version.pk]["down_rate"] == pytest.approx(2 / 3)
    assert rows[version.pk]["comments"] == 1
    assert rows[None]["down_rate"] is None and rows[None]["down_rate_reason"]
    assert rows[None]["score_mean"] == 4.0
    only = api_as(lead).get(reverse("api-monitoring", args=[project.slug]), {**RANGE, "version": 0})
    assert [row["version_id"] for row in only.json()["feedback"]] == [None]


def test_the_page_shows_it_escaped_and_says_undefined_not_zero(
    rated: tuple[Project, Any], lead: Any
) -> None:
    project, _ = rated
    client = Client()
    client.force_login(lead)
    html = client.get(reverse("monitoring", args=[project.slug]), RANGE).content.decode()
    assert 'data-testid="monitoring-feedback"' in html
    assert "&lt;b&gt;ask&lt;/b&gt; v1" in html and "<b>ask</b>" not in html
    assert "0.67" in html and "undefined" in html
