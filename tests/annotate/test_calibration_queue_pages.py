"""The calibration queue page and its forecast: the widths N ratings would buy, before creating."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.test import Client

from annotate.models import Queue, QueueItem
from llmops_core.metrics.ppi import draw_active, forecast_widths, inclusion_probabilities
from llmops_core.models import Project, Role
from llmops_core.selectors.judge_frames import judge_frame
from tests.annotate.calibration_world import (
    default_rubric,
    human_scores,
    judge_scores,
    make_judge,
    make_version,
    version_outputs,
)
from tests.factories import ProjectFactory

PAGE = "/p/{slug}/queues/new/calibration/"
API_PREVIEW = "/api/projects/{slug}/calibration-queues/preview/"

JUDGE = [1 + (i * 7) % 5 for i in range(60)]


@pytest.fixture
def world(project: Project, reviewer: Any) -> tuple[Any, Any, list[Any]]:
    """60 judged outputs; humans rated the first 30 (the pilot), near the judge's score."""
    version = make_version(project, 60)
    judge = make_judge(project)
    outputs = version_outputs(version)
    judge_scores(judge, outputs, JUDGE)
    rng = np.random.default_rng(3)
    humans = [int(np.clip(s + rng.integers(-1, 2), 1, 5)) for s in JUDGE[:30]]
    human_scores(project, outputs[:30], humans, reviewer)
    return version, judge, humans


def _plan(version: Any, judge: Any, **extra: Any) -> dict[str, Any]:
    return {
        "version": version.pk,
        "judge_version": judge.pk,
        "criterion": "fluency",
        "budget": 20,
        "sampling": "uniform",
        **extra,
    }


def _expected(humans: list[int], budget: int) -> Any:
    """The forecast computed here from the same data: no repeats, so uncertainty is flat."""
    return forecast_widths(
        np.zeros(60),
        budget,
        pilot_human=np.array(humans, dtype=float),
        pilot_judge=np.array(JUDGE[:30], dtype=float),
        pilot_uncertainty=np.zeros(30),
    )


def test_the_preview_numbers_are_forecast_widths_of_the_pilot(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    version, judge, humans = world
    client.force_login(lead)
    body = client.get(PAGE.format(slug=project.slug) + "preview/", _plan(version, judge)).json()
    expected = _expected(humans, 20).as_dict()
    assert body["forecast"] == pytest.approx(expected)
    assert body["forecast"]["pilot"] == 30 and body["forecast"]["reason"] is None
    assert body["frame"] == 60 and body["uniform_probability"] == pytest.approx(20 / 60)
    assert body["uncertainty_source"] == "none"


def test_the_api_preview_says_the_same(
    api_as: Callable[[Any], Any], lead: Any, project: Project, world: Any
) -> None:
    version, judge, humans = world
    query = {
        "prompt_version_id": version.pk,
        "judge_version_id": judge.pk,
        "criterion": "fluency",
        "budget": 25,
    }
    response = api_as(lead).get(API_PREVIEW.format(slug=project.slug), query)
    assert response.status_code == 200
    assert response.json()["forecast"] == pytest.approx(_expected(humans, 25).as_dict())
    assert not Queue.objects.filter(calibrates=version).exists()


def test_without_a_pilot_the_forecast_is_undefined_and_says_why(
    client: Client, lead: Any, project: Project
) -> None:
    version = make_version(project, 10)
    judge = make_judge(project)
    judge_scores(judge, version_outputs(version), [3] * 10)
    client.force_login(lead)
    url = PAGE.format(slug=project.slug)
    body = client.get(url + "preview/", _plan(version, judge, budget=4)).json()
    forecast = body["forecast"]
    assert forecast["human_only"] is None and forecast["uniform"] is None
    assert forecast["active"] is None and "no pilot" in forecast["reason"]
    page = client.post(url, {**_plan(version, judge, budget=4), "preview": "1", "name": "x"})
    assert page.status_code == 200
    assert "The forecast is undefined (0 pilot outputs): no pilot yet" in page.content.decode()
    assert not Queue.objects.exists()


def test_the_no_script_preview_shows_the_widths_and_creates_nothing(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    version, judge, humans = world
    client.force_login(lead)
    form = {
        **_plan(version, judge),
        "name": "cal",
        "rubric_version": default_rubric(project).pk,
        "overlap": 1,
        "lease_minutes": 15,
        "preview": "1",
    }
    page = client.post(PAGE.format(slug=project.slug), form)
    assert page.status_code == 200
    html = page.content.decode()
    expected = _expected(humans, 20)
    assert f"{expected.human_only:.3f}" in html and f"{expected.uniform:.3f}" in html
    assert not Queue.objects.filter(name="cal").exists()
    del form["preview"]
    created = client.post(PAGE.format(slug=project.slug), form)
    assert created.status_code == 302
    queue = Queue.objects.get(name="cal")
    assert queue.calibrates_id == version.pk and queue.item_count == 20
    stored = QueueItem.objects.filter(queue=queue).values_list("inclusion_probability", flat=True)
    assert list(stored) == [pytest.approx(20 / 60)] * 20


def test_a_refused_plan_is_a_400_on_the_page_and_in_the_preview(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    version, judge, _ = world
    client.force_login(lead)
    url = PAGE.format(slug=project.slug)
    preview = client.get(url + "preview/", _plan(version, judge, budget=61))
    assert preview.status_code == 400 and "outside 1-60" in preview.json()["detail"]
    form = {
        **_plan(version, judge, budget=61),
        "name": "cal",
        "rubric_version": default_rubric(project).pk,
        "overlap": 1,
        "lease_minutes": 15,
    }
    page = client.post(url, form)
    assert page.status_code == 400 and "outside 1-60" in page.content.decode()
    other = make_version(ProjectFactory(), 3)
    wrong = client.get(url + "preview/", _plan(other, judge))
    assert wrong.status_code == 400 and "version" in wrong.json()["errors"]
    assert not Queue.objects.filter(name="cal").exists()


def test_the_page_prefills_the_version_from_a_scorecard_link(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    version, _, _ = world
    client.force_login(lead)
    page = client.get(PAGE.format(slug=project.slug), {"version": version.pk})
    assert page.status_code == 200
    assert f'<option value="{version.pk}" selected>' in page.content.decode()


@pytest.mark.parametrize(("role", "expected"), [(Role.REVIEWER, 403), (None, 404)])
def test_reviewers_and_outsiders_get_no_page(
    client: Client,
    make_member: Callable[..., Any],
    project: Project,
    world: Any,
    role: str | None,
    expected: int,
) -> None:
    version, judge, _ = world
    user = make_member(role) if role else make_member(Role.LEAD, "away", proj=ProjectFactory())
    client.force_login(user)
    url = PAGE.format(slug=project.slug)
    assert client.get(url).status_code == expected
    assert client.get(url + "preview/", _plan(version, judge)).status_code == expected
    assert client.post(url, {**_plan(version, judge), "name": "x"}).status_code == expected
    assert not Queue.objects.filter(name="x").exists()


def test_active_draw_uses_the_floor_the_forecast_tuned(
    api_as: Callable[[Any], Any], lead: Any, project: Project, reviewer: Any
) -> None:
    """With a pilot, the active probabilities' uniform share is the forecast's narrowest."""
    version = make_version(project, 60)
    judge = make_judge(project)
    outputs = version_outputs(version)
    judge_scores(judge, outputs, JUDGE)
    judge_scores(judge, outputs[:40], [1 + (i * 3) % 5 for i in range(40)])
    rng = np.random.default_rng(5)
    humans = [int(np.clip(s + rng.integers(-2, 3), 1, 5)) for s in JUDGE[:30]]
    human_scores(project, outputs[:30], humans, reviewer)
    frame = judge_frame(judge_version=judge, criterion="fluency", prompt_version_id=version.pk)
    forecast = forecast_widths(
        frame.uncertainty,
        15,
        pilot_human=humans,
        pilot_judge=frame.scores[:30],
        pilot_uncertainty=frame.uncertainty[:30],
    )
    body = {
        "name": "active",
        "prompt_version_id": version.pk,
        "judge_version_id": judge.pk,
        "criterion": "fluency",
        "budget": 15,
        "sampling": "active",
        "rubric_version_id": default_rubric(project).pk,
        "seed": 9,
    }
    client = api_as(lead)
    preview = client.get(API_PREVIEW.format(slug=project.slug), body).json()
    assert preview["forecast"] == pytest.approx(forecast.as_dict())
    assert preview["uniform_share"] == forecast.uniform_share
    response = client.post(f"/api/projects/{project.slug}/calibration-queues/", body, format="json")
    assert response.status_code == 201
    probabilities = inclusion_probabilities(
        frame.uncertainty, 15, uniform_share=forecast.uniform_share
    )
    drawn = draw_active(probabilities, seed=9)
    stored = dict(
        QueueItem.objects.filter(queue_id=response.json()["id"]).values_list(
            "output_id", "inclusion_probability"
        )
    )
    assert stored == {
        int(frame.output_ids[i]): pytest.approx(float(probabilities[i])) for i in drawn
    }


def test_the_scorecard_and_the_queue_builder_link_to_the_page(
    client: Client, lead: Any, project: Project, world: Any
) -> None:
    version, _, _ = world
    client.force_login(lead)
    scorecard = client.get(f"/p/{project.slug}/prompts/{version.template.name}/v{version.number}/")
    assert f'href="/p/{project.slug}/queues/new/calibration/?version={version.pk}"' in (
        scorecard.content.decode()
    )
    builder = client.get(f"/p/{project.slug}/queues/new/").content.decode()
    assert f'href="/p/{project.slug}/queues/new/calibration/"' in builder
