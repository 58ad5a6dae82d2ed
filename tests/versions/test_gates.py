"""Release gate rules: validation, editing by admins, and every rule passing and failing."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.errors import DomainError, NotAllowed
from llmops_core.models import AuditEvent, JobStatus, Project, ReleaseGate, Report, ReportKind
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.gates import (
    DEFAULT_RULES,
    gate_evaluate,
    gate_rules_clean,
    release_gate_update,
)
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.versions.helpers import all_criteria, judge_scores, make_outputs, make_versions

pytestmark = pytest.mark.django_db


def set_rules(project: Project, admin: Any, *rules: dict[str, Any]) -> None:
    release_gate_update(project=project, rules=list(rules), actor=admin)


def computed(pair: dict[str, Any]) -> None:
    """Compute the candidate's scorecard and its comparison with production."""
    scorecard_compute(report_id=scorecard_request(version=pair["v2"])[0].pk)
    comparison_compute(report_id=comparison_request(candidate=pair["v2"])[0].pk)


def checks(version: Any) -> list[tuple[bool, bool, str]]:
    return [(c.passed, c.applies, c.message) for c in gate_evaluate(version=version).checks]


def judge_report(project: Project, judge_version_id: int, kappa: float | None) -> Report:
    """A finished judge-vs-humans report as the judge service stores it."""
    criteria = {
        name: {"quadratic_kappa": kappa, "within_1": 0.9, "n_items": 30}
        for name in ("fluency", "relevance", "factuality")
    }
    return Report.objects.create(
        project=project,
        kind=ReportKind.JUDGE_COMPARISON,
        status=JobStatus.SUCCEEDED,
        parameters={"judge_version_id": judge_version_id},
        results={
            "versions": [{"version_id": judge_version_id, "criteria": criteria, "trust": kappa}]
        },
    )


def test_rules_are_normalised() -> None:
    rules = gate_rules_clean(
        [
            {"rule": "min_mean", "criterion": " factuality ", "value": 4},
            {"rule": "min_rated_items", "items": 20.0, "reviewers": 2},
        ]
    )
    assert rules == [
        {"rule": "min_mean", "criterion": "factuality", "value": 4.0},
        {"rule": "min_rated_items", "items": 20, "reviewers": 2},
    ]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"rule": "min_mean"}, "must be a list"),
        (["x"], "rule 1: is not an object"),
        ([{"rule": "max_cost"}], "rule 1, field \"rule\": 'max_cost' is not one of"),
        (
            [{"rule": "no_significant_regression"}, {"rule": "min_mean", "value": 4}],
            'rule 2, field "criterion": min_mean needs it',
        ),
        (
            [{"rule": "min_mean", "criterion": "f", "value": "high"}],
            "field \"value\": 'high' is not",
        ),
        ([{"rule": "min_rated_items", "items": 0, "reviewers": 2}], "at least 1"),
        ([{"rule": "min_judge_agreement", "value": 0.6, "metric": "pearson"}], 'field "metric"'),
        ([{"rule": "no_significant_regression", "include_judge": "yes"}], "not true or false"),
        (
            [{"rule": "min_mean", "criterion": "f", "value": 4, "weight": 2}],
            "unknown field(s) weight",
        ),
    ],
)
def test_bad_rules_are_refused_naming_rule_and_field(rules: Any, message: str) -> None:
    with pytest.raises(DomainError) as exc:
        gate_rules_clean(rules)
    assert message in str(exc.value)


def test_only_admins_edit_the_gate_and_it_is_audited(
    project: Project, admin: Any, lead: Any
) -> None:
    with pytest.raises(NotAllowed):
        release_gate_update(project=project, rules=[], actor=lead)
    set_rules(project, admin, {"rule": "min_mean", "criterion": "fluency", "value": 4})
    event = AuditEvent.objects.get(action="release_gate.update")
    assert event.before == {"rules": None}
    assert event.after["rules"][0]["criterion"] == "fluency"
    assert event.actor == admin


def test_default_rules_apply_without_a_saved_gate(pair: dict[str, Any]) -> None:
    result = gate_evaluate(version=pair["v2"])
    assert result.context["default_rules"] is True
    assert result.context["rules"] == DEFAULT_RULES


def test_regression_rule_needs_a_comparison(
    project: Project, admin: Any, pair: dict[str, Any]
) -> None:
    set_rules(project, admin, {"rule": "no_significant_regression"})
    [(passed, _, message)] = checks(pair["v2"])
    assert not passed and "no comparison of v2 with production v1" in message


def test_regression_rule_fails_on_a_significantly_worse_criterion(
    project: Project, admin: Any, pair: dict[str, Any]
) -> None:
    set_rules(project, admin, {"rule": "no_significant_regression"})
    computed(pair)
    result = gate_evaluate(version=pair["v2"])
    assert not result.passed
    assert result.checks[0].message == "significantly worse than production on relevance"
    assert result.checks[0].evidence["criteria"]["relevance"]["verdict"] == "worse"


def test_regression_rule_passes_without_a_production_version(project: Project, admin: Any) -> None:
    set_rules(project, admin, {"rule": "no_significant_regression"})
    (v1,) = make_versions(project, 1)
    assert checks(v1) == [
        (
            True,
            False,
            "no production version yet, and no other version was rated on the same inputs",
        )
    ]


def test_min_mean_rule(project: Project, pair: dict[str, Any]) -> None:
    """A rule saved before its criterion left the rubric ("tone") fails as unrated."""
    ReleaseGate.objects.create(
        project=project,
        rules=[
            {"rule": "min_mean", "criterion": "fluency", "value": 4},
            {"rule": "min_mean", "criterion": "relevance", "value": 3},
            {"rule": "min_mean", "criterion": "tone", "value": 3},
        ],
    )
    assert not gate_evaluate(version=pair["v2"]).checks[0].passed  # no scorecard yet
    computed(pair)
    assert checks(pair["v2"]) == [
        (True, True, "fluency mean 4.50 is at least 4"),
        (False, True, "relevance mean 2.00 is below 3"),
        (False, True, "no human ratings on tone"),
    ]


def test_min_rated_items_rule(project: Project, admin: Any, pair: dict[str, Any]) -> None:
    set_rules(
        project,
        admin,
        {"rule": "min_rated_items", "items": 10, "reviewers": 2},
        {"rule": "min_rated_items", "items": 11, "reviewers": 2},
        {"rule": "min_rated_items", "items": 1, "reviewers": 3},
    )
    computed(pair)
    assert [c[0] for c in checks(pair["v2"])] == [True, False, False]
    assert checks(pair["v2"])[1][2] == (
        "only 10 outputs rated by at least 2 reviewers; the gate needs 11"
    )


def test_judge_agreement_rule_applies_only_when_the_comparison_uses_a_judge(
    project: Project, admin: Any, pair: dict[str, Any]
) -> None:
    set_rules(project, admin, {"rule": "min_judge_agreement", "value": 0.6})
    computed(pair)
    assert checks(pair["v2"]) == [(True, False, "the comparison uses no judge scores")]


def test_judge_agreement_rule_reads_the_judges_latest_report(
    project: Project, admin: Any, pair: dict[str, Any]
) -> None:
    set_rules(project, admin, {"rule": "min_judge_agreement", "value": 0.6})
    scores = {o: all_criteria(3) for o in pair["base"]} | {o: all_criteria(4) for o in pair["cand"]}
    run = judge_scores(project, scores)
    computed(pair)
    [(passed, applies, message)] = checks(pair["v2"])
    assert (passed, applies) == (False, True) and "no judge-vs-human report yet" in message
    judge_report(project, run.judge_version_id, 0.5)
    [(passed, _, message)] = checks(pair["v2"])
    assert not passed and "below 0.6 (quadratic_kappa) on fluency (0.50)" in message
    judge_report(project, run.judge_version_id, 0.72)
    assert checks(pair["v2"])[0][0] is True


def test_judge_agreement_rule_can_use_within_one(
    project: Project, admin: Any, pair: dict[str, Any]
) -> None:
    set_rules(project, admin, {"rule": "min_judge_agreement", "value": 0.85, "metric": "within_1"})
    run = judge_scores(project, {o: all_criteria(4) for o in pair["base"] + pair["cand"]})
    computed(pair)
    judge_report(project, run.judge_version_id, 0.1)
    assert checks(pair["v2"])[0][0] is True


def test_gate_without_ratings_fails_the_regression_rule(
    project: Project, admin: Any, lead: Any
) -> None:
    from llmops_core.services.prompts import prompt_label_set

    set_rules(project, admin, {"rule": "no_significant_regression"})
    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    make_outputs(project, v1, 2)
    make_outputs(project, v2, 2)
    comparison_compute(report_id=comparison_request(candidate=v2)[0].pk)
    [(passed, _, message)] = checks(v2)
    assert not passed and "cannot be ruled out" in message
