"""The judge calibration page and API: the numbers of ``ppi.calibration``, escaped, leads only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from llmops_core.charts import render
from llmops_core.charts.calibration import calibration_curve_chart
from llmops_core.metrics.ppi import calibration, scored_outputs
from llmops_core.models import ModelOutput, Project, Role
from llmops_core.services.judges.reports import judge_report_compute, judge_report_request
from llmops_core.services.judges.runs import judge_run_create
from llmops_core.services.llm_runs import StepOptions
from tests.annotate.calibration_world import (
    human_scores,
    judge_scores,
    make_judge,
    make_version,
    version_outputs,
)
from tests.factories import ProjectFactory
from tests.judges.helpers import make_outputs, make_queue, rate_queue, run_to_end

HOSTILE = '<script>alert("judge")</script><img src=x onerror=alert(1)>'
JUDGE = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 3, 3, 5, 1, 2, 4]
HUMAN = [2, 2, 4, 4, 3, 5, 5, 3, 1, 1, 3, 2]  # the first 12 outputs
PAGE = "/p/{slug}/judges/{name}/calibration/"
API = "/api/projects/{slug}/judges/{name}/calibration/"


@pytest.fixture
def world(project: Project, reviewer: Any) -> tuple[Any, Any, list[ModelOutput]]:
    """16 judged outputs, 12 rated; output 4 (residual -2) says something hostile."""
    version = make_version(project, 16)
    judge = make_judge(project)
    outputs = version_outputs(version)
    ModelOutput.objects.filter(pk=outputs[4].pk).update(output_text=HOSTILE)
    judge_scores(judge, outputs, JUDGE)
    human_scores(project, outputs[:12], HUMAN, reviewer)
    return version, judge, outputs


def _expected(outputs: list[ModelOutput]) -> Any:
    """The calibration computed here, straight from the numbers the fixture stored."""
    ids = np.array([o.pk for o in outputs])
    return calibration(
        scored_outputs(
            judge_items=ids,
            judge_scores=JUDGE,
            human_items=ids[:12],
            human_scores=HUMAN,
        )
    ).as_dict()


def test_the_api_numbers_are_those_of_calibration(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any
) -> None:
    _, judge, outputs = world
    response = api_as(lead).get(
        API.format(slug=project.slug, name=judge.config.name), {"criterion": "fluency"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()["criteria"]["fluency"]
    expected = _expected(outputs)
    assert body["levels"] == expected["levels"]
    assert body["mean_residual"] == expected["mean_residual"]
    assert [r["output_id"] for r in body["residuals"]] == [r["item"] for r in expected["residuals"]]
    assert [r["residual"] for r in body["residuals"]] == [
        r["residual"] for r in expected["residuals"]
    ]
    assert (body["n_judged"], body["n_rated"], body["scale"]) == (16, 12, [1, 5])
    assert [level["n_judged"] for level in body["levels"]] == [3, 3, 4, 3, 3]


def test_every_criterion_is_listed_and_one_prompt_version_can_be_chosen(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any
) -> None:
    version, judge, _ = world
    other = make_version(project, 3)
    judge_scores(judge, version_outputs(other), [5, 5, 5])
    url = API.format(slug=project.slug, name=judge.config.name)
    every = api_as(lead).get(url).json()["criteria"]
    assert list(every) == ["fluency", "relevance", "factuality"]
    assert every["fluency"]["n_judged"] == 19 and every["relevance"]["n_judged"] == 0
    assert every["relevance"]["mean_residual"]["reason"]  # undefined, with its reason
    one = api_as(lead).get(url, {"prompt_version": version.pk, "criterion": "fluency"}).json()
    assert one["criteria"]["fluency"]["n_judged"] == 16 and one["prompt_version_id"] == version.pk


def test_the_page_shows_the_same_numbers_and_escapes_the_output_text(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    _, judge, outputs = world
    client.force_login(lead)
    page = client.get(PAGE.format(slug=project.slug, name=judge.config.name))
    assert page.status_code == 200
    html = page.content.decode()
    assert HOSTILE not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;judge&quot;)&lt;/script&gt;" in html
    expected = _expected(outputs)
    for level in expected["levels"]:
        if level["human_mean"] is not None:
            assert f"{level['human_mean']:.3f}" in html
    first = expected["residuals"][0]["item"]
    assert f'href="/p/{project.slug}/outputs/{first}/"' in html
    assert f"{expected['mean_residual']['mean']:.3f}" in html


def test_the_chart_is_drawn_and_escapes_the_criterion(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    _, judge, _ = world
    client.force_login(lead)
    url = PAGE.format(slug=project.slug, name=judge.config.name) + "chart.svg"
    chart = client.get(url, {"criterion": "fluency"})
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert b"fluency" in chart.content
    assert client.get(url).status_code == 404  # one criterion per chart
    assert client.get(url[:-3] + "gif", {"criterion": "fluency"}).status_code == 404


def test_bad_choices_are_400_with_the_field(
    api_as: Callable[[Any], Any], client: Client, lead: Any, project: Project, world: Any
) -> None:
    _, judge, _ = world
    foreign = make_version(ProjectFactory(), 1)
    url = API.format(slug=project.slug, name=judge.config.name)
    client.force_login(lead)
    page = PAGE.format(slug=project.slug, name=judge.config.name)
    for query, field in [
        ({"version": 9}, "version"),
        ({"criterion": "<b>tone</b>"}, "criterion"),
        ({"prompt_version": foreign.pk}, "prompt_version"),
        ({"top": 1000}, "top"),
        ({"version": "x"}, "version"),
    ]:
        response = api_as(lead).get(url, query)
        assert response.status_code == 400 and field in response.json(), query
        shown = client.get(page, query)
        assert shown.status_code == 400 and "<b>tone</b>" not in shown.content.decode()
    assert api_as(lead).get(API.format(slug=project.slug, name="nobody")).status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.REVIEWER, 403), (Role.ADJUDICATOR, 403), (Role.ADMIN, 200), (None, 404)],
)
def test_leads_and_admins_only(
    api_as: Callable[[Any], Any],
    client: Client,
    make_member: Callable[..., Any],
    project: Project,
    world: Any,
    role: str | None,
    expected: int,
) -> None:
    _, judge, _ = world
    user = make_member(role) if role else make_member(Role.LEAD, "away", proj=ProjectFactory())
    name = judge.config.name
    assert api_as(user).get(API.format(slug=project.slug, name=name)).status_code == expected
    client.force_login(user)
    assert client.get(PAGE.format(slug=project.slug, name=name)).status_code == expected
    chart = PAGE.format(slug=project.slug, name=name) + "chart.svg?criterion=fluency"
    assert client.get(chart).status_code == expected


def test_the_judge_page_and_report_link_to_it(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    _, judge, _ = world
    client.force_login(lead)
    detail = client.get(f"/p/{project.slug}/judges/{judge.config.name}/").content.decode()
    assert f'href="/p/{project.slug}/judges/{judge.config.name}/calibration/"' in detail


def test_the_judge_report_links_to_its_versions_calibration(
    client: Client,
    lead: Any,
    project: Project,
    make_judge: Callable[..., Any],
    fast: StepOptions,
    team: list[Any],
) -> None:
    queue = make_queue(project, make_outputs(project, 6))
    rate_queue(queue, team)
    judge = make_judge()
    run = run_to_end(
        judge_run_create(project=project, judge_version=judge, queue_id=queue.pk), fast
    )
    report = judge_report_compute(
        report_id=judge_report_request(project=project, run=run, bootstrap_draws=20).pk
    )
    assert report is not None
    client.force_login(lead)
    html = client.get(f"/p/{project.slug}/judge-reports/{report.pk}/").content.decode()
    link = f'href="/p/{project.slug}/judges/quality/calibration/?version={judge.number}"'
    assert link in html
    page = client.get(f"/p/{project.slug}/judges/quality/calibration/", {"version": judge.number})
    assert page.status_code == 200 and page.content.decode().count('data-testid="levels"') == 3


def test_the_query_count_does_not_grow_with_the_outputs(
    api_as: Callable[[Any], Any], lead: Any, reviewer: Any, project: Project, world: Any
) -> None:
    _, judge, _ = world
    url = API.format(slug=project.slug, name=judge.config.name)
    client = api_as(lead)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    more = version_outputs(make_version(project, 40))
    judge_scores(judge, more, [1 + i % 5 for i in range(40)])
    human_scores(project, more[:30], [1 + (i * 2) % 5 for i in range(30)], reviewer)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url, {"top": 40}).json()
    assert body["criteria"]["fluency"]["n_rated"] == 42
    assert len(body["criteria"]["fluency"]["residuals"]) == 40
    assert len(large) == len(small) <= 20


def test_the_chart_escapes_a_hostile_criterion_name() -> None:
    level = {
        "judge_low": 1.0,
        "judge_high": 1.0,
        "n_judged": 3,
        "n_rated": 2,
        "human_mean": 1.5,
        "low": 1.0,
        "high": 2.0,
        "reason": None,
    }
    data = {"criterion": HOSTILE, "scale": [1, 5], "binned": False, "levels": [level]}
    svg = render(calibration_curve_chart(data), "svg").decode()
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    empty = render(calibration_curve_chart({"criterion": HOSTILE, "levels": []}), "svg")
    assert b"No output has both" in empty


def test_the_page_can_show_one_prompt_versions_outputs(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    version, judge, _ = world
    other = make_version(project, 3)
    judge_scores(judge, version_outputs(other), [5, 5, 5])
    client.force_login(lead)
    page = PAGE.format(slug=project.slug, name=judge.config.name)
    every = client.get(page, {"criterion": "fluency"}).content.decode()
    assert "19 outputs judged, 12 of them rated" in every
    one = client.get(page, {"criterion": "fluency", "prompt_version": version.pk})
    html = one.content.decode()
    assert "16 outputs judged, 12 of them rated" in html
    assert f'<option value="{version.pk}" selected>' in html
