"""Comparisons carry the judge-assisted difference: compare_outputs' numbers, verdict in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.metrics.ppi import compare_outputs
from llmops_core.models import JobStatus, Project, Report, Role
from llmops_core.services.comparisons import comparison_compute, comparison_request
from tests.versions.estimate_helpers import expected_outputs, make_two, rate

pytestmark = pytest.mark.django_db
SPREAD = list(range(10))
TOP = [2, 7, 12, 17, 4, 9, 14, 19]


@pytest.fixture
def two(project: Project, lead: Any) -> dict[str, Any]:
    """v1 (production) and v2 answer the same 20 inputs; the judge scores v2 one level higher."""
    return make_two(project, lead)


def compute(candidate: Any) -> Report:
    report = comparison_compute(report_id=comparison_request(candidate=candidate)[0].pk)
    assert report is not None and report.status == JobStatus.SUCCEEDED, report and report.error
    return report


def estimate(report: Report, name: str) -> dict[str, Any]:
    return next(e for e in report.results["estimates"]["criteria"] if e["name"] == name)


def expected(two: dict[str, Any], name: str, rated_v2: list[int]) -> dict[str, Any]:
    candidate = expected_outputs(two["cand"], name, rated_v2, shift=1, with_inputs=True)
    baseline = expected_outputs(two["base"], name, SPREAD, with_inputs=True)
    return compare_outputs(candidate, baseline).as_dict()


def assert_same(stored: dict[str, Any], wanted: dict[str, Any]) -> None:
    assert stored["design"] == wanted["design"] and stored["n_pairs"] == wanted["n_pairs"]
    for basis in ("human_only", "judge_only", "ppi"):
        for key, value in wanted[basis].items():
            if isinstance(value, float):
                assert stored[basis][key] == pytest.approx(value, abs=1e-9), (basis, key)
            else:
                assert stored[basis][key] == value, (basis, key)


def test_paired_difference_equals_compare_outputs_and_reads_as_a_sentence(
    project: Project, two: dict[str, Any], reviewers: list[Any]
) -> None:
    rate(project, two["base"], SPREAD, reviewers)
    rate(project, two["cand"], SPREAD, reviewers, shift=1)
    report = compute(two["v2"])
    for name in ("fluency", "factuality"):
        stored = estimate(report, name)
        assert_same(stored, expected(two, name, SPREAD))
        assert stored["design"] == "paired" and stored["valid"]
    fluency = estimate(report, "fluency")
    assert fluency["ppi"]["verdict"] == "better"
    assert fluency["sentence"].startswith("v2 is better than v1 on fluency (+")
    assert "judge-assisted (PPI++), paired" in fluency["sentence"]
    assert "human ratings only" in fluency["human_sentence"]
    assert report.results["estimates"]["judge"]["judge"].startswith("judge v")


def test_versions_rated_on_different_inputs_are_compared_unpaired(
    project: Project, two: dict[str, Any], reviewers: list[Any]
) -> None:
    other = list(range(10, 20))
    rate(project, two["base"], SPREAD, reviewers)
    rate(project, two["cand"], other, reviewers, shift=1)
    stored = estimate(compute(two["v2"]), "relevance")
    assert_same(stored, expected(two, "relevance", other))
    assert stored["design"] == "unpaired"
    assert any("Compared unpaired" in note for note in stored["notes"])


def test_a_hand_picked_candidate_sample_makes_the_difference_invalid(
    project: Project, two: dict[str, Any], reviewers: list[Any], lead: Any
) -> None:
    rate(project, two["base"], SPREAD, reviewers)
    rate(project, two["cand"], TOP, reviewers, shift=1)
    stored = estimate(compute(two["v2"]), "fluency")
    assert not stored["valid"] and stored["invalid_reason"].startswith("v2: The human-rated")
    client = Client()
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/prompts/support/compare/?candidate=2&baseline=1")
    assert 'data-testid="compare-estimate-invalid"' in page.content.decode()


READ = {Role.REVIEWER: 403, Role.ADJUDICATOR: 403, Role.LEAD: 200, Role.ADMIN: 200}


@pytest.mark.parametrize("role", list(READ))
def test_the_difference_on_the_compare_page_and_api_follows_the_lead_rule(
    project: Project,
    two: dict[str, Any],
    reviewers: list[Any],
    make_member: Callable[..., Any],
    api_as: Callable[[Any], APIClient],
    role: str,
) -> None:
    rate(project, two["base"], SPREAD, reviewers)
    rate(project, two["cand"], SPREAD, reviewers, shift=1)
    report = compute(two["v2"])
    user = make_member(role)
    client = Client()
    client.force_login(user)
    page = client.get(f"/p/{project.slug}/prompts/support/compare/?candidate=2&baseline=1")
    api = api_as(user).get(f"/api/projects/{project.slug}/prompts/support/versions/2/comparison/")
    assert (page.status_code, api.status_code) == (READ[role], READ[role])
    if READ[role] == 200:
        body = page.content.decode()
        assert 'data-testid="compare-estimate-fluency"' in body
        assert "v2 is better than v1 on fluency (+" in body
        assert api.json()["results"]["estimates"] == report.results["estimates"]
