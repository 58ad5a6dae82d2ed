"""The first promotion is gated: absolute rules, and no worse than a rival rated alongside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.models import AuditEvent, ModelOutput, Project, PromptLabel, PromptVersion
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.gates import gate_evaluate, release_gate_update
from llmops_core.services.promotion import PromotionRefused, prompt_promote
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.versions.helpers import (
    N,
    all_criteria,
    judge_scores,
    make_outputs,
    make_queue,
    make_versions,
    rate_all,
)

pytestmark = pytest.mark.django_db

RULES = [
    {"rule": "no_significant_regression"},
    {"rule": "min_rated_items", "items": N, "reviewers": 2},
]


def scored(worse: PromptVersion) -> Callable[[Any], Callable[[Any], dict[str, int]]]:
    """Ratings where ``worse`` scores 2-3 on every criterion and the other version 4-5."""

    def by(reviewer: Any) -> Callable[[Any], dict[str, int]]:
        who = 0 if reviewer.username == "rev1" else 1
        return lambda output: all_criteria((2 if output.prompt_version_id == worse.pk else 4) + who)

    return by


@pytest.fixture
def rivals(project: Project, admin: Any, reviewers: list[Any]) -> dict[str, PromptVersion]:
    """Two versions, no production yet, rated on the same N inputs: v1 is clearly worse."""
    release_gate_update(project=project, actor=admin, rules=RULES)
    v1, v2 = make_versions(project, 2)
    queue = make_queue(
        project, make_outputs(project, v1, N) + make_outputs(project, v2, N), reviewers[:2]
    )
    for reviewer in reviewers[:2]:
        rate_all(queue, reviewer, scored(v1)(reviewer))
    for version in (v1, v2):
        scorecard_compute(report_id=scorecard_request(version=version)[0].pk)
    return {"v1": v1, "v2": v2}


def compare(candidate: PromptVersion, baseline: PromptVersion) -> None:
    report, _ = comparison_request(candidate=candidate, baseline=baseline)
    comparison_compute(report_id=report.pk)


def production_of(version: PromptVersion) -> PromptVersion | None:
    label = PromptLabel.objects.filter(template=version.template, name="production").first()
    return label.version if label else None


def test_first_promotion_waits_for_a_comparison_with_the_other_candidate(
    rivals: dict[str, PromptVersion], lead: Any
) -> None:
    result = gate_evaluate(version=rivals["v1"])
    assert not result.passed
    assert "v2 was also rated on inputs v1 answered" in result.failures[0]
    assert "compare them first" in result.failures[0]
    with pytest.raises(PromotionRefused):
        prompt_promote(version=rivals["v1"], actor=lead)


def test_a_comparison_computed_before_the_ratings_is_not_trusted(
    project: Project, admin: Any, reviewers: list[Any], lead: Any
) -> None:
    """Computed with no ratings it pairs no inputs; once ratings arrive it is out of date."""
    release_gate_update(project=project, actor=admin, rules=RULES)
    v1, v2 = make_versions(project, 2)
    queue = make_queue(
        project, make_outputs(project, v1, N) + make_outputs(project, v2, N), reviewers[:2]
    )
    compare(v1, v2)
    for reviewer in reviewers[:2]:
        rate_all(queue, reviewer, scored(v1)(reviewer))
    scorecard_compute(report_id=scorecard_request(version=v1)[0].pk)
    result = gate_evaluate(version=v1)
    assert not result.passed
    assert "new ratings or outputs arrived since v1 was compared with v2" in result.failures[0]


def test_first_promotion_of_the_worse_candidate_is_refused(
    rivals: dict[str, PromptVersion], lead: Any
) -> None:
    compare(rivals["v1"], rivals["v2"])
    with pytest.raises(PromotionRefused) as exc:
        prompt_promote(version=rivals["v1"], actor=lead)
    [reason] = exc.value.extra["reasons"]
    assert "no production version yet" in reason
    assert "significantly worse than v2 on fluency, relevance, factuality" in reason
    assert production_of(rivals["v1"]) is None
    assert AuditEvent.objects.filter(action="prompt.promote_refused").count() == 1


def test_first_promotion_of_the_better_candidate_passes(
    rivals: dict[str, PromptVersion], lead: Any
) -> None:
    """The comparison was computed with v1 as candidate: v2's gate reads it the other way."""
    compare(rivals["v1"], rivals["v2"])
    result = gate_evaluate(version=rivals["v2"])
    assert result.passed, result.failures
    regression = result.checks[0]
    assert regression.applies
    assert regression.message == (
        "no production version yet; not significantly worse than v1, rated on the same inputs"
    )
    assert regression.evidence["peers"]["v1"]["criteria"]["fluency"]["verdict"] == "better"
    promotion = prompt_promote(version=rivals["v2"], actor=lead)
    assert promotion.gate_passed and production_of(rivals["v2"]) == rivals["v2"]
    assert promotion.gate_result["peer_comparison_ids"]


def test_first_promotion_must_meet_the_absolute_rules(
    project: Project, admin: Any, rivals: dict[str, PromptVersion], lead: Any
) -> None:
    compare(rivals["v2"], rivals["v1"])
    release_gate_update(
        project=project,
        actor=admin,
        rules=[*RULES, {"rule": "min_mean", "criterion": "fluency", "value": 4.8}],
    )
    with pytest.raises(PromotionRefused) as exc:
        prompt_promote(version=rivals["v2"], actor=lead)
    assert exc.value.extra["reasons"] == ["fluency mean 4.50 is below 4.8"]
    assert production_of(rivals["v2"]) is None


def test_a_lone_first_version_meets_only_the_absolute_rules(
    project: Project, admin: Any, reviewers: list[Any], lead: Any
) -> None:
    release_gate_update(project=project, actor=admin, rules=RULES)
    (v1,) = make_versions(project, 1)
    queue = make_queue(project, make_outputs(project, v1, N - 1), reviewers[:2])
    for reviewer in reviewers[:2]:
        rate_all(queue, reviewer, lambda output: all_criteria(3))
    scorecard_compute(report_id=scorecard_request(version=v1)[0].pk)
    with pytest.raises(PromotionRefused) as exc:
        prompt_promote(version=v1, actor=lead)
    assert exc.value.extra["reasons"] == [
        f"only {N - 1} outputs rated by at least 2 reviewers; the gate needs {N}"
    ]


def test_the_api_refuses_the_worse_first_promotion_with_reasons(
    project: Project,
    rivals: dict[str, PromptVersion],
    lead: Any,
    api_as: Callable[[Any], APIClient],
) -> None:
    compare(rivals["v1"], rivals["v2"])
    url = f"/api/projects/{project.slug}/prompts/support/versions/"
    refused = api_as(lead).post(url + "1/promote/", {}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert "significantly worse than v2" in body["detail"]
    assert "significantly worse than v2" in body["reasons"][0]
    assert production_of(rivals["v1"]) is None
    accepted = api_as(lead).post(url + "2/promote/", {}, format="json")
    assert accepted.status_code == 201 and accepted.json()["to_version"] == 2


def test_the_compare_page_explains_the_refusal_in_words(
    project: Project, rivals: dict[str, PromptVersion], lead: Any
) -> None:
    compare(rivals["v1"], rivals["v2"])
    client = Client()
    client.force_login(lead)
    url = f"/p/{project.slug}/prompts/support/"
    shown = client.get(url + "compare/?candidate=1&baseline=2").content.decode()
    assert "fails" in shown and "No criterion significantly worse than production" in shown
    assert "significantly worse than v2 on fluency" in shown
    refused = client.post(url + "v1/promote/", {"label": "production"})
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "Promotion refused: v1 does not pass the release gate." in body
    assert "significantly worse than v2 on fluency" in body
    promoted = client.post(url + "v2/promote/?baseline=1", {"label": "production"})
    assert promoted.status_code == 302 and production_of(rivals["v2"]) == rivals["v2"]


def test_judge_rules_read_the_comparison_with_the_other_candidate(
    project: Project, admin: Any, rivals: dict[str, PromptVersion]
) -> None:
    """Without production, a judge rule is not skipped: it reads the candidates' comparison."""
    outputs = list(ModelOutput.objects.filter(prompt_version__in=list(rivals.values())))
    judge_scores(project, {o: all_criteria(4) for o in outputs})
    compare(rivals["v2"], rivals["v1"])
    release_gate_update(
        project=project, actor=admin, rules=[{"rule": "min_judge_agreement", "value": 0.6}]
    )
    [check] = gate_evaluate(version=rivals["v2"]).checks
    assert (check.passed, check.applies) == (False, True)
    assert "has no judge-vs-human report yet" in check.message
