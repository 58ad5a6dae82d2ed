"""Gate rules are checked against the rubric, in the same words by form, API and service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.errors import DomainError
from llmops_core.models import Project, ReleaseGate
from llmops_core.services.gate_rules import gate_rules_check
from llmops_core.services.gates import release_gate_update
from llmops_core.services.rubrics import CriterionSpec, rubric_version_create
from tests.versions.gate_forms import gate_rows

pytestmark = pytest.mark.django_db
SCALES = {"fluency": (1, 5), "relevance": (1, 5), "factuality": (1, 5)}
MISTAKES = [
    {"rule": "min_mean", "criterion": "factualty", "value": 4},
    {"rule": "min_mean", "criterion": "fluency", "value": 9},
]


def page(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_misspelled_criterion_and_an_off_scale_value_are_both_named() -> None:
    cleaned, problems = gate_rules_check(MISTAKES, scales=SCALES)
    assert cleaned == []
    assert [str(p) for p in problems] == [
        'rule 1, field "criterion": "factualty" is not a criterion of the project\'s rubric '
        "(factuality, fluency, relevance)",
        'rule 2, field "value": 9 is outside fluency\'s scale 1-5',
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"rule": "min_mean", "criterion": "fluency", "value": 0.5}, "0.5 is outside fluency's"),
        ({"rule": "min_judge_agreement", "value": 1.5}, "outside quadratic_kappa's range -1 to 1"),
        (
            {"rule": "min_judge_agreement", "value": -0.2, "metric": "within_1"},
            "outside within_1's range 0 to 1",
        ),
        ({"rule": "min_mean", "criterion": "fluency", "value": float("nan")}, "is not a number"),
    ],
)
def test_values_must_lie_on_the_scale_or_range(rule: dict[str, Any], message: str) -> None:
    _, problems = gate_rules_check([rule], scales=SCALES)
    assert len(problems) == 1 and message in str(problems[0])


def test_the_service_refuses_off_rubric_rules(project: Project, admin: Any) -> None:
    with pytest.raises(DomainError) as exc:
        release_gate_update(project=project, rules=MISTAKES, actor=admin)
    assert (
        exc.value.extra["errors"][1] == 'rule 2, field "value": 9 is outside fluency\'s scale 1-5'
    )
    assert not ReleaseGate.objects.exists()


def test_a_new_rubric_version_widens_what_the_gate_accepts(project: Project, admin: Any) -> None:
    rubric = project.rubrics.get(name="default")
    rubric_version_create(
        rubric=rubric, criteria=[CriterionSpec("fluency", "", scale_min=1, scale_max=7)]
    )
    rule = {"rule": "min_mean", "criterion": "fluency", "value": 6}
    gate = release_gate_update(project=project, rules=[rule], actor=admin)
    assert gate.rules == [{**rule, "value": 6.0}]
    with pytest.raises(DomainError, match="not a criterion"):
        release_gate_update(
            project=project,
            rules=[{"rule": "min_mean", "criterion": "relevance", "value": 3}],
            actor=admin,
        )


def test_the_form_names_the_row_and_field_and_saves_nothing(project: Project, admin: Any) -> None:
    response = page(admin).post(f"/p/{project.slug}/release-gate/", gate_rows(*MISTAKES))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Row 1, criterion: &quot;factualty&quot; is not a criterion" in body
    assert "Row 2, value: 9 is outside fluency&#x27;s scale 1-5" in body
    assert not ReleaseGate.objects.exists()


def test_the_form_saves_every_rule_kind_and_skips_blank_and_removed_rows(
    project: Project, admin: Any
) -> None:
    rows = gate_rows(
        {"rule": "no_significant_regression", "include_judge": True, "value": "3"},
        {"rule": "min_mean", "criterion": "factuality", "value": "3.5", "items": "7"},
        {"rule": "", "criterion": "", "value": ""},
        {"rule": "min_judge_agreement", "value": "0.8", "metric": "within_1"},
        {"rule": "min_rated_items", "items": "30", "reviewers": "2"},
        {"rule": "min_mean", "criterion": "fluency", "value": "9", "DELETE": True},
    )
    response = page(admin).post(f"/p/{project.slug}/release-gate/", rows)
    assert response.status_code == 302
    assert ReleaseGate.objects.get(project=project).rules == [
        {"rule": "no_significant_regression", "include_judge": True},
        {"rule": "min_mean", "criterion": "factuality", "value": 3.5},
        {"rule": "min_judge_agreement", "value": 0.8, "metric": "within_1"},
        {"rule": "min_rated_items", "items": 30, "reviewers": 2},
    ]


def test_a_row_with_values_but_no_rule_is_refused(project: Project, admin: Any) -> None:
    rows = gate_rows({"rule": "", "criterion": "fluency", "value": "4"})
    response = page(admin).post(f"/p/{project.slug}/release-gate/", rows)
    assert response.status_code == 400
    assert "Row 1, rule: choose a rule for this row, or clear it" in response.content.decode()


def test_the_form_shows_the_saved_rules_and_flags_a_criterion_gone_from_the_rubric(
    project: Project, admin: Any
) -> None:
    ReleaseGate.objects.create(
        project=project, rules=[{"rule": "min_mean", "criterion": "tone", "value": 3}]
    )
    body = page(admin).get(f"/p/{project.slug}/release-gate/").content.decode()
    assert '<option value="tone" selected>tone (not in the rubric)</option>' in body
    assert '<option value="fluency">fluency (1-5)</option>' in body


def test_the_api_refuses_off_rubric_rules_naming_rule_and_field(
    project: Project, admin: Any, api_as: Callable[[Any], APIClient]
) -> None:
    response = api_as(admin).put(
        f"/api/projects/{project.slug}/release-gate/", {"rules": MISTAKES}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["rules"] == [
        'rule 1, field "criterion": "factualty" is not a criterion of the project\'s rubric '
        "(factuality, fluency, relevance)",
        'rule 2, field "value": 9 is outside fluency\'s scale 1-5',
    ]
    assert 'rule 2, field "value": 9 is outside fluency\'s scale 1-5' in body["detail"]
    assert not ReleaseGate.objects.exists()


def test_leads_read_the_rules_in_words_without_a_form(project: Project, lead: Any) -> None:
    ReleaseGate.objects.create(
        project=project,
        rules=[
            {"rule": "min_mean", "criterion": "fluency", "value": 3.5},
            {"rule": "min_rated_items", "items": 20, "reviewers": 2},
        ],
    )
    body = page(lead).get(f"/p/{project.slug}/release-gate/").content.decode()
    assert "Human mean of fluency at least 3.5" in body
    assert "At least 20 outputs rated by at least 2 reviewers" in body
    assert 'data-testid="gate-form"' not in body
