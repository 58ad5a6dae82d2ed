"""Scorecards carry judge-assisted estimates: the numbers of estimate_outputs, design, validity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.metrics.ppi import estimate_outputs
from llmops_core.models import JobStatus, Project, Report, Role
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.versions.estimate_helpers import (
    expected_outputs,
    judge_all,
    make_calibration,
    rate,
)
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db
N_OUTPUTS = 20
SPREAD = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]  # every judge level twice: a fair subset
TOP = [2, 7, 12, 17, 4, 9, 14, 19]  # the outputs the judge scores 5 and 4: hand-picked


def compute(version: Any) -> Report:
    report = scorecard_compute(report_id=scorecard_request(version=version)[0].pk)
    assert report is not None and report.status == JobStatus.SUCCEEDED, report and report.error
    return report


def estimate(report: Report, name: str) -> dict[str, Any]:
    return next(e for e in report.results["estimates"]["criteria"] if e["name"] == name)


def same_numbers(stored: dict[str, Any], expected: dict[str, Any]) -> None:
    for basis in ("human_only", "judge_only", "ppi"):
        for key, value in expected[basis].items():
            if isinstance(value, float):
                assert stored[basis][key] == pytest.approx(value, abs=1e-9), (basis, key)
            else:
                assert stored[basis][key] == value, (basis, key)


@pytest.fixture
def judged(project: Project) -> dict[str, Any]:
    (version,) = make_versions(project, 1)
    outputs = make_outputs(project, version, N_OUTPUTS)
    judge_all(project, (outputs, 0))
    return {"version": version, "outputs": outputs}


def test_estimates_equal_estimate_outputs_on_the_same_data(
    project: Project, judged: dict[str, Any], reviewers: list[Any]
) -> None:
    rate(project, judged["outputs"], SPREAD, reviewers)
    report = compute(judged["version"])
    for name in ("factuality", "fluency"):
        expected = estimate_outputs(expected_outputs(judged["outputs"], name, SPREAD)).as_dict()
        stored = estimate(report, name)
        same_numbers(stored, expected)
        assert stored["ppi"]["n_human"] == 10 and stored["ppi"]["n_judge"] == 10
        assert stored["valid"] and stored["invalid_reason"] is None
        assert stored["judge"]["judge"].startswith("judge v")
    design = report.results["estimates"]["design"]
    assert design["kind"] == "all_ratings" and not design["weighted"]
    assert (
        "labelled set is the outputs with at least one human rating"
        in (report.results["estimates"]["labelled_set"])
    )


def test_a_calibration_queue_is_the_labelled_set_weighted_by_its_probabilities(
    project: Project, judged: dict[str, Any], reviewers: list[Any]
) -> None:
    """Ratings from an ordinary queue stay out of the estimate (and in the human mean)."""
    outputs = judged["outputs"]
    rate(project, outputs, [0, 1], reviewers)  # an ordinary queue
    drawn = [3, 5, 8, 10, 11, 13, 16, 18]
    probability = {outputs[i].pk: 0.3 + 0.05 * k for k, i in enumerate(drawn)}
    queue = rate(project, outputs, drawn, reviewers)
    make_calibration(queue, judged["version"], sampling="active", frame=20, probability=probability)
    report = compute(judged["version"])
    expected = estimate_outputs(
        expected_outputs(outputs, "factuality", drawn, probability=probability)
    ).as_dict()
    stored = estimate(report, "factuality")
    same_numbers(stored, expected)
    assert stored["sampling"] == "inclusion_probabilities"
    assert stored["left_out_ratings"] == 4  # two outputs x two reviewers
    assert any("4 ratings from queues other than" in note for note in stored["notes"])
    human = next(c for c in report.results["criteria"] if c["name"] == "factuality")["human"]
    assert human["n_items"] == 10  # the scorecard's human mean still counts them
    design = report.results["estimates"]["design"]
    assert design["kind"] == "calibration_queue" and design["weighted"]
    assert design["queue"]["id"] == queue.pk and queue.name in design["description"]


def test_a_uniform_calibration_queue_without_probabilities_is_a_uniform_sample(
    project: Project, judged: dict[str, Any], reviewers: list[Any]
) -> None:
    queue = rate(project, judged["outputs"], SPREAD, reviewers)
    make_calibration(queue, judged["version"], sampling="uniform", frame=20)
    report = compute(judged["version"])
    stored = estimate(report, "fluency")
    expected = estimate_outputs(expected_outputs(judged["outputs"], "fluency", SPREAD))
    same_numbers(stored, expected.as_dict())
    assert stored["sampling"] == "uniform" and stored["valid"]
    design = report.results["estimates"]["design"]
    assert design["kind"] == "calibration_queue" and not design["weighted"]
    assert "drawn uniformly at random from 20 outputs" in design["description"]


def test_a_hand_picked_calibration_queue_makes_the_estimate_invalid(
    project: Project, judged: dict[str, Any], reviewers: list[Any]
) -> None:
    queue = rate(project, judged["outputs"], SPREAD, reviewers)
    make_calibration(queue, judged["version"], sampling="", frame=20)
    stored = estimate(compute(judged["version"]), "fluency")
    assert not stored["valid"]
    assert "chosen by a lead, not drawn at random" in stored["invalid_reason"]


def test_a_sample_the_judge_scores_far_above_the_rest_is_shown_invalid(
    project: Project, judged: dict[str, Any], reviewers: list[Any], lead: Any
) -> None:
    rate(project, judged["outputs"], TOP, reviewers)
    report = compute(judged["version"])
    stored = estimate(report, "fluency")
    assert stored["sample_check"]["suspect"] and not stored["valid"]
    assert "do not look like a random sample" in stored["invalid_reason"]
    client = Client()
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/prompts/support/v1/").content.decode()
    assert 'data-testid="estimate-invalid"' in page
    assert "fluency: the estimate is not valid: The human-rated outputs do not look" in page


def test_without_a_judge_the_estimate_is_undefined_with_its_reason(
    project: Project, reviewers: list[Any], lead: Any
) -> None:
    (version,) = make_versions(project, 1)
    outputs = make_outputs(project, version, 6)
    rate(project, outputs, [0, 1, 2], reviewers)
    stored = estimate(compute(version), "fluency")
    assert stored["judge"] is None and stored["ppi"]["mean"] is None
    assert stored["ppi"]["reason"] and stored["judge_only"]["reason"] == (
        "the judge scored no output"
    )
    client = Client()
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/prompts/support/v1/").content.decode()
    assert "no judge scored it" in page and "undefined: the judge scored no output" in page


READ = {Role.REVIEWER: 403, Role.ADJUDICATOR: 403, Role.LEAD: 200, Role.ADMIN: 200}


@pytest.mark.parametrize("role", list(READ))
def test_estimates_on_the_scorecard_page_and_api_follow_the_lead_rule(
    project: Project,
    judged: dict[str, Any],
    reviewers: list[Any],
    make_member: Callable[..., Any],
    api_as: Callable[[Any], APIClient],
    role: str,
) -> None:
    rate(project, judged["outputs"], SPREAD, reviewers)
    report = compute(judged["version"])
    user = make_member(role)
    client = Client()
    client.force_login(user)
    page = client.get(f"/p/{project.slug}/prompts/support/v1/")
    api = api_as(user).get(f"/api/projects/{project.slug}/prompts/support/versions/1/scorecard/")
    assert (page.status_code, api.status_code) == (READ[role], READ[role])
    if READ[role] == 200:
        assert 'data-testid="estimate-factuality"' in page.content.decode()
        assert api.json()["results"]["estimates"] == report.results["estimates"]


def test_an_outsider_gets_404_on_page_and_api(
    project: Project, judged: dict[str, Any], api_as: Callable[[Any], APIClient]
) -> None:
    from tests.factories import UserFactory

    compute(judged["version"])
    outsider = UserFactory()
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/p/{project.slug}/prompts/support/v1/").status_code == 404
    url = f"/api/projects/{project.slug}/prompts/support/versions/1/scorecard/"
    assert api_as(outsider).get(url).status_code == 404


def test_an_active_queue_with_an_item_missing_its_probability_is_invalid(
    project: Project, judged: dict[str, Any], reviewers: list[Any]
) -> None:
    outputs = judged["outputs"]
    queue = rate(project, outputs, SPREAD, reviewers)
    probability = {outputs[i].pk: 0.5 for i in SPREAD[1:]}  # the first item has none
    make_calibration(queue, judged["version"], sampling="active", frame=20, probability=probability)
    stored = estimate(compute(judged["version"]), "fluency")
    assert not stored["valid"]
    assert "drawn actively but item" in stored["invalid_reason"]
    assert stored["invalid_reason"].endswith(
        "has no inclusion probability, so the estimate cannot weight it"
    )


def test_the_estimate_uses_the_judge_that_scored_the_version_most_recently(
    project: Project, judged: dict[str, Any], reviewers: list[Any]
) -> None:
    """A later judge run (a new judge version) scoring every output 5 is the one read."""
    from tests.versions.helpers import CRITERIA, judge_scores

    rate(project, judged["outputs"], SPREAD, reviewers)
    judge_scores(project, {o: dict.fromkeys(CRITERIA, 5) for o in judged["outputs"]})
    report = compute(judged["version"])
    stored = estimate(report, "fluency")
    card = next(c for c in report.results["criteria"] if c["name"] == "fluency")
    assert stored["judge"]["judge_version_id"] == card["judge"]["judge_version_id"]
    assert stored["judge_only"]["mean"] == 5.0 and stored["judge_only"]["low"] is None
    assert stored["judge_only"]["reason"].startswith("the judge gave every output the same score")


def test_a_queue_name_in_the_design_sentence_is_escaped_on_the_page(
    project: Project, judged: dict[str, Any], reviewers: list[Any], lead: Any
) -> None:
    from annotate.models import Queue

    queue = rate(project, judged["outputs"], SPREAD, reviewers)
    make_calibration(queue, judged["version"], sampling="uniform", frame=20)
    Queue.objects.filter(pk=queue.pk).update(name="<img src=x onerror=alert(1)>")
    compute(judged["version"])
    client = Client()
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/prompts/support/v1/").content.decode()
    assert "<img src=x" not in page
    assert "calibration queue &quot;&lt;img src=x onerror=alert(1)&gt;&quot;" in page
