"""Feedback shown: on the output page (escaped), on the scorecard and on the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from llmops_core.models import ModelOutput, Project, PromptVersion, Role
from llmops_core.services.feedback import feedback_submit
from llmops_core.services.prompts import prompt_label_set
from tests.factories import ProjectFactory
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def versions(project: Project, lead: Any) -> tuple[PromptVersion, PromptVersion]:
    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    return v1, v2


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _feedback_queries(queries: CaptureQueriesContext) -> int:
    return sum("llmops_core_feedback" in q["sql"] for q in queries.captured_queries)


def _give(project: Project, outputs: list[ModelOutput], *values: Any) -> None:
    rows = [{"output_id": o.pk, "value": v} for o, v in zip(outputs, values, strict=True)]
    feedback_submit(project=project, rows=rows, source="api")


def test_the_output_page_lists_feedback_with_the_comment_escaped(
    project: Project, lead: Any, versions: tuple[PromptVersion, PromptVersion]
) -> None:
    (output,) = make_outputs(project, versions[0], 1)
    feedback_submit(
        project=project,
        source="api",
        rows=[
            {"output_id": output.pk, "value": "down", "comment": HOSTILE, "end_user_id": "u-9"},
            {"output_id": output.pk, "type": "score", "value": 3, "scale_min": 1, "scale_max": 5},
        ],
    )
    html = _client(lead).get(f"/p/{project.slug}/outputs/{output.pk}/").content.decode()
    assert "End-user feedback" in html and 'data-thumb="down"' in html and "u-9" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "of 1-5" in html


def test_an_output_without_feedback_says_so(
    project: Project, lead: Any, versions: tuple[PromptVersion, PromptVersion]
) -> None:
    (output,) = make_outputs(project, versions[0], 1)
    html = _client(lead).get(f"/p/{project.slug}/outputs/{output.pk}/").content.decode()
    assert "No end-user feedback." in html


@pytest.mark.parametrize(("role", "status"), [(Role.REVIEWER, 403), ("outsider", 404)])
def test_reviewers_and_outsiders_do_not_see_an_outputs_feedback(
    project: Project,
    versions: tuple[PromptVersion, PromptVersion],
    make_member: Callable[..., Any],
    role: str,
    status: int,
) -> None:
    (output,) = make_outputs(project, versions[0], 1)
    _give(project, [output], "down")
    user = (
        make_member(Role.LEAD, "away", proj=ProjectFactory())
        if role == "outsider"
        else make_member(role, "rev")
    )
    assert _client(user).get(f"/p/{project.slug}/outputs/{output.pk}/").status_code == status


def test_the_scorecard_shows_the_thumbs_down_rate(
    project: Project,
    lead: Any,
    versions: tuple[PromptVersion, PromptVersion],
) -> None:
    outputs = make_outputs(project, versions[1], 4)
    _give(project, outputs, "down", "up", "up", "up")
    feedback_submit(
        project=project, source="api", rows=[{"output_id": outputs[0].pk, "comment": HOSTILE}]
    )
    with CaptureQueriesContext(connection) as queries:
        page = _client(lead).get(f"/p/{project.slug}/prompts/support/v2/")
    assert _feedback_queries(queries) == 1
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="version-feedback"' in html
    assert "1 of 4 thumbs down (0.25)" in html
    assert f"prompt_version_id={versions[1].pk}&amp;feedback=down" in html
    assert HOSTILE not in html  # only counts are shown


def test_a_version_with_comments_only_has_an_undefined_rate(
    project: Project, lead: Any, versions: tuple[PromptVersion, PromptVersion]
) -> None:
    (output,) = make_outputs(project, versions[1], 1)
    feedback_submit(project=project, source="api", rows=[{"output_id": output.pk, "comment": "ok"}])
    html = _client(lead).get(f"/p/{project.slug}/prompts/support/v2/").content.decode()
    assert "undefined: no thumbs up or down yet" in html


def test_the_dashboard_shows_the_thumbs_down_rate_per_version(
    project: Project,
    lead: Any,
    versions: tuple[PromptVersion, PromptVersion],
) -> None:
    v1, v2 = versions
    base = make_outputs(project, v1, 2)
    cand = make_outputs(project, v2, 3)
    _give(project, base, "up", "up")
    _give(project, cand, "down", "down", "up")
    with CaptureQueriesContext(connection) as queries:
        html = _client(lead).get(f"/p/{project.slug}/dashboard/").content.decode()
    assert _feedback_queries(queries) == 1  # every version's feedback in one query
    assert "End-user thumbs down: 0 of 2 (0.00)" in html
    assert '0.67 <span class="muted small">(2 of 3)</span>' in html
