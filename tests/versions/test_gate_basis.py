"""The release gate on the judge-assisted basis: one validator, refusals, acceptance, evidence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.errors import DomainError
from llmops_core.models import JobStatus, Project, Promotion, ReleaseGate, Report
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.gate_rules import gate_rules_clean
from llmops_core.services.gates import gate_evaluate, release_gate_update
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.versions.estimate_helpers import judge_all, make_two, rate
from tests.versions.gate_forms import gate_rows
from tests.versions.helpers import make_outputs, make_versions

pytestmark = pytest.mark.django_db
SPREAD = list(range(10))
TOP = [2, 7, 12, 17, 4, 9, 14, 19]
ASSISTED = {"basis": "judge_assisted"}


def scorecard(version: Any) -> Report:
    report = scorecard_compute(report_id=scorecard_request(version=version)[0].pk)
    assert report is not None and report.status == JobStatus.SUCCEEDED
    return report


def ppi_mean(report: Report, name: str) -> float:
    block = next(e for e in report.results["estimates"]["criteria"] if e["name"] == name)
    return float(block["ppi"]["mean"])


def one_version(project: Project, reviewers: list[Any], chosen: list[int], judged: bool = True):
    (version,) = make_versions(project, 1)
    outputs = make_outputs(project, version, 20)
    if judged:
        judge_all(project, (outputs, 0))
    rate(project, outputs, chosen, reviewers)
    return version


def min_mean(value: float, **extra: Any) -> list[dict[str, Any]]:
    return [{"rule": "min_mean", "criterion": "factuality", "value": value, **extra}]


def test_one_validator_refuses_a_bad_basis_in_service_api_and_form(
    project: Project, admin: Any, api_as: Callable[[Any], APIClient]
) -> None:
    bad = min_mean(3, basis="ppi")
    with pytest.raises(DomainError) as caught:
        gate_rules_clean(bad)
    words = "rule 1, field \"basis\": 'ppi' is not one of human_only, judge_assisted"
    assert str(caught.value) == words
    mixed = [{"rule": "no_significant_regression", "include_judge": True, **ASSISTED}]
    with pytest.raises(DomainError, match='field "include_judge": judge-only verdicts'):
        gate_rules_clean(mixed)
    url = f"/api/projects/{project.slug}/release-gate/"
    response = api_as(admin).put(url, {"rules": bad}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == f'field "rules": {words}'
    client = Client()
    client.force_login(admin)
    page_url = f"/p/{project.slug}/release-gate/"
    row = {"rule": "no_significant_regression", "include_judge": True, "basis": "judge_assisted"}
    refused = client.post(page_url, gate_rows(row))
    assert refused.status_code == 400
    assert "Row 1, judge scores too: judge-only verdicts" in refused.content.decode()
    assert not ReleaseGate.objects.filter(project=project).exists()
    row = {"rule": "min_mean", "criterion": "factuality", "value": "3", **ASSISTED}
    saved = client.post(page_url, gate_rows(row))
    assert saved.status_code == 302
    assert ReleaseGate.objects.get(project=project).rules == min_mean(3.0, **ASSISTED)


def test_the_judge_assisted_min_mean_accepts_refuses_and_is_frozen_with_the_promotion(
    project: Project,
    reviewers: list[Any],
    admin: Any,
    lead: Any,
    api_as: Callable[[Any], APIClient],
) -> None:
    version = one_version(project, reviewers, SPREAD)
    report = scorecard(version)
    mean = ppi_mean(report, "factuality")
    release_gate_update(project=project, actor=admin, rules=min_mean(mean + 0.01, **ASSISTED))
    refused = gate_evaluate(version=version)
    assert not refused.passed
    assert refused.failures[0].startswith(f"judge-assisted factuality mean {mean:.2f} (10 human")
    assert refused.failures[0].endswith(f"is below {mean + 0.01:g}")
    release_gate_update(project=project, actor=admin, rules=min_mean(mean - 0.01, **ASSISTED))
    url = f"/api/projects/{project.slug}/prompts/support/versions/1/promote/"
    done = api_as(lead).post(url, {}, format="json")
    assert done.status_code == 201, done.content
    frozen = Promotion.objects.get(pk=done.json()["id"]).evidence["estimate_bases"]
    assert [(b["basis"], b["passed"]) for b in frozen] == [("judge_assisted", True)]
    evidence = frozen[0]["evidence"]
    assert evidence["mean"] == pytest.approx(mean) and evidence["scorecard_id"] == report.pk
    assert (evidence["n_human"], evidence["n_judge"], evidence["valid"]) == (10, 10, True)
    assert evidence["lambda"] is not None and evidence["effective_n"] is not None
    client = Client()
    client.force_login(lead)
    page = client.get(f"/p/{project.slug}/promotions/{done.json()['id']}/").content.decode()
    assert "Estimates the gate read: min_mean on judge-assisted (PPI++) estimates, mean" in page
    assert "10 human-rated + 10 judge-only outputs" in page


def test_the_human_only_basis_stays_the_default_and_is_recorded(
    project: Project, reviewers: list[Any], admin: Any
) -> None:
    version = one_version(project, reviewers, SPREAD)
    report = scorecard(version)
    human = next(c for c in report.results["criteria"] if c["name"] == "factuality")["human"]
    release_gate_update(project=project, actor=admin, rules=min_mean(1))
    check = gate_evaluate(version=version).checks[0]
    assert check.passed and check.message.startswith(f"factuality mean {human['mean']:.2f}")


def test_a_judge_assisted_rule_without_judge_scores_fails_saying_why(
    project: Project, reviewers: list[Any], admin: Any
) -> None:
    version = one_version(project, reviewers, SPREAD, judged=False)
    scorecard(version)
    release_gate_update(project=project, actor=admin, rules=min_mean(1, **ASSISTED))
    result = gate_evaluate(version=version)
    assert result.failures == [
        "no judge scored v1 on factuality, so there is no judge-assisted estimate"
    ]


def test_a_judge_assisted_rule_on_a_hand_picked_sample_fails_saying_why(
    project: Project, reviewers: list[Any], admin: Any
) -> None:
    version = one_version(project, reviewers, TOP)
    scorecard(version)
    release_gate_update(project=project, actor=admin, rules=min_mean(1, **ASSISTED))
    (failure,) = gate_evaluate(version=version).failures
    assert failure.startswith("the judge-assisted estimate of factuality is not valid: The human")


def test_a_scorecard_from_before_estimates_fails_the_judge_assisted_rule(
    project: Project, reviewers: list[Any], admin: Any
) -> None:
    version = one_version(project, reviewers, SPREAD)
    report = scorecard(version)
    Report.objects.filter(pk=report.pk).update(
        results={k: v for k, v in report.results.items() if k != "estimates"}
    )
    release_gate_update(project=project, actor=admin, rules=min_mean(1, **ASSISTED))
    assert gate_evaluate(version=version).failures == [
        "v1's scorecard predates judge-assisted estimates; recompute it"
    ]


@pytest.mark.parametrize(("shifts", "passed"), [((0, 1), True), ((1, 0), False)])
def test_no_regression_on_the_judge_assisted_difference(
    project: Project,
    reviewers: list[Any],
    admin: Any,
    lead: Any,
    api_as: Callable[[Any], APIClient],
    shifts: tuple[int, int],
    passed: bool,
) -> None:
    """v2 one level better than production everywhere passes; one level worse is refused."""
    two = make_two(project, lead, shifts=shifts)
    rate(project, two["base"], SPREAD, reviewers, shift=shifts[0])
    rate(project, two["cand"], SPREAD, reviewers, shift=shifts[1])
    comparison = comparison_compute(report_id=comparison_request(candidate=two["v2"])[0].pk)
    assert comparison is not None
    rules = [{"rule": "no_significant_regression", **ASSISTED}]
    release_gate_update(project=project, actor=admin, rules=rules)
    url = f"/api/projects/{project.slug}/prompts/support/versions/2/promote/"
    response = api_as(lead).post(url, {}, format="json")
    if not passed:
        assert response.status_code == 400
        (reason,) = response.json()["reasons"]
        assert reason.startswith("significantly worse than production v1 on fluency")
        assert reason.endswith("(PPI++)")
        return
    assert response.status_code == 201, response.content
    (basis,) = Promotion.objects.get(pk=response.json()["id"]).evidence["estimate_bases"]
    assert basis["basis"] == "judge_assisted"
    stored = comparison.results["estimates"]["criteria"]
    found = basis["evidence"]["comparisons"]["production v1"]
    assert found["comparison_id"] == comparison.pk
    for block in stored:
        assert found["criteria"][block["name"]]["mean"] == pytest.approx(block["ppi"]["mean"])
        assert found["criteria"][block["name"]]["verdict"] == block["ppi"]["verdict"]


def test_the_compare_page_names_the_judge_assisted_rule(
    project: Project, reviewers: list[Any], admin: Any, lead: Any
) -> None:
    two = make_two(project, lead)
    rate(project, two["base"], SPREAD, reviewers)
    rate(project, two["cand"], SPREAD, reviewers, shift=1)
    comparison_compute(report_id=comparison_request(candidate=two["v2"])[0].pk)
    release_gate_update(
        project=project, actor=admin, rules=[{"rule": "no_significant_regression", **ASSISTED}]
    )
    client = Client()
    client.force_login(lead)
    body = client.get(
        f"/p/{project.slug}/prompts/support/compare/?candidate=2&baseline=1"
    ).content.decode()
    assert "judge-assisted PPI++ differences" in body
    assert "no criterion is significantly worse than production v1 on the judge-assisted" in body


def test_a_first_promotion_on_the_judge_assisted_basis_reads_the_peer_comparison(
    project: Project, reviewers: list[Any], admin: Any, lead: Any
) -> None:
    """No production yet: v1 is checked against v2 (compared the other way round) and fails."""
    two = make_two(project, lead, shifts=(0, 1), production=False)
    rate(project, two["base"], SPREAD, reviewers)
    rate(project, two["cand"], SPREAD, reviewers, shift=1)
    rules = [{"rule": "no_significant_regression", **ASSISTED}]
    release_gate_update(project=project, actor=admin, rules=rules)
    (missing,) = gate_evaluate(version=two["v1"]).failures
    assert missing == "the comparison of v1 with v2 is not computed yet; compute it"
    comparison_compute(report_id=comparison_request(candidate=two["v2"], baseline=two["v1"])[0].pk)
    result = gate_evaluate(version=two["v1"])
    assert result.failures[0].startswith("significantly worse than v2 on fluency")
    evidence = result.checks[0].evidence["comparisons"]["v2"]["criteria"]["fluency"]
    assert evidence["verdict"] == "worse" and evidence["mean"] < 0 and evidence["high"] < 0
    assert gate_evaluate(version=two["v2"]).passed
