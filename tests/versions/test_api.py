"""The release-loop API over every role: reports, gate, promotion, history, rules, schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from llmops_core.models import Project, Promotion, Report, ReportKind, Role
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.gates import release_gate_update
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
READ_CODES = {Role.REVIEWER: 403, Role.ADJUDICATOR: 403, Role.LEAD: 200, Role.ADMIN: 200}


@pytest.fixture
def ready(project: Project, pair: dict[str, Any], admin: Any) -> dict[str, Any]:
    """The pair with its scorecard and comparison computed, and a gate v2 fails."""
    release_gate_update(project=project, actor=admin, rules=[{"rule": "no_significant_regression"}])
    pair["scorecard"] = scorecard_compute(report_id=scorecard_request(version=pair["v2"])[0].pk)
    pair["comparison"] = comparison_compute(
        report_id=comparison_request(candidate=pair["v2"])[0].pk
    )
    return pair


@pytest.fixture
def light(project: Project, lead: Any) -> dict[str, Any]:
    """Two versions with computed (empty) reports: enough to check who may read what."""
    from llmops_core.services.prompts import prompt_label_set
    from tests.versions.helpers import make_versions

    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    scorecard_compute(report_id=scorecard_request(version=v2)[0].pk)
    comparison_compute(report_id=comparison_request(candidate=v2)[0].pk)
    return {"v1": v1, "v2": v2}


def v(project: Project, number: int = 2) -> str:
    return f"/api/projects/{project.slug}/prompts/support/versions/{number}/"


def as_role(
    api_as: Callable[[Any], APIClient], make_member: Callable[..., Any], role: str
) -> APIClient:
    return api_as(make_member(role))


@pytest.mark.parametrize("role", list(READ_CODES))
@pytest.mark.parametrize("suffix", ["scorecard/", "comparison/", "gate/"])
def test_version_reads_need_the_lead_role(
    light: dict[str, Any],
    project: Project,
    api_as: Callable[[Any], APIClient],
    make_member: Callable[..., Any],
    role: str,
    suffix: str,
) -> None:
    response = as_role(api_as, make_member, role).get(v(project) + suffix)
    assert response.status_code == READ_CODES[role]


@pytest.mark.parametrize(
    "path",
    [
        "prompts/support/versions/2/scorecard/",
        "release-gate/",
        "prompts/support/promotions/",
        "version-reports/1/",
    ],
)
def test_non_members_get_404(
    light: dict[str, Any], project: Project, api_as: Callable[[Any], APIClient], path: str
) -> None:
    client = api_as(UserFactory())
    assert client.get(f"/api/projects/{project.slug}/{path}").status_code == 404


def test_scorecard_and_comparison_read_and_request(
    ready: dict[str, Any], project: Project, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    client = api_as(lead)
    card = client.get(v(project) + "scorecard/").json()
    assert card["id"] == ready["scorecard"].pk and card["candidate"] == 2
    comparison = client.get(v(project) + "comparison/").json()
    assert comparison["results"]["verdicts"]["relevance"] == "worse"
    assert client.get(v(project) + "comparison/", {"baseline": 2}).status_code == 404
    requested = client.post(v(project) + "scorecard/")
    assert requested.status_code == 202 and requested.json()["status"] == "pending"
    polled = client.get(f"/api/projects/{project.slug}/version-reports/{requested.json()['id']}/")
    assert polled.json()["kind"] == ReportKind.SCORECARD
    again = client.post(v(project) + "comparison/", {"baseline": 1}, format="json")
    assert again.status_code == 202 and again.json()["baseline"] == 1
    assert (
        client.post(v(project, 1) + "comparison/")
        .json()["detail"]
        .endswith("cannot be compared with itself")
    )


def test_reviewers_cannot_request_reports(
    light: dict[str, Any],
    project: Project,
    api_as: Callable[[Any], APIClient],
    reviewers: list[Any],
) -> None:
    assert api_as(reviewers[0]).post(v(project) + "scorecard/").status_code == 403
    assert not Report.objects.filter(requested_by=reviewers[0]).exists()


def test_gate_endpoint_lists_checks(
    ready: dict[str, Any], project: Project, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    gate = api_as(lead).get(v(project) + "gate/").json()
    assert gate["passed"] is False
    assert gate["checks"][0]["message"] == "significantly worse than production on relevance"
    assert gate["comparison_id"] == ready["comparison"].pk


def test_promotion_refused_overridden_and_listed(
    ready: dict[str, Any],
    project: Project,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    admin: Any,
) -> None:
    refused = api_as(lead).post(v(project) + "promote/", {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["reasons"] == ["significantly worse than production on relevance"]
    forbidden = api_as(lead).post(
        v(project) + "promote/", {"override_reason": "ship"}, format="json"
    )
    assert forbidden.status_code == 403
    done = api_as(admin).post(
        v(project) + "promote/", {"override_reason": "hotfix <b>now</b>"}, format="json"
    )
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["override_reason"] == "hotfix <b>now</b>" and body["gate_passed"] is False
    assert body["evidence"]["comparison"]["report_id"] == ready["comparison"].pk
    listed = api_as(lead).get(f"/api/projects/{project.slug}/prompts/support/promotions/").json()
    assert [p["to_version"] for p in listed["results"]] == [2, 1]
    detail = api_as(lead).get(f"/api/projects/{project.slug}/promotions/{body['id']}/").json()
    assert detail["evidence"]["ratings"]["n_ratings"] > 0
    assert Promotion.objects.count() == 2


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.REVIEWER, 403, 403),
        (Role.ADJUDICATOR, 403, 403),
        (Role.LEAD, 200, 403),
        (Role.ADMIN, 200, 200),
    ],
)
def test_gate_rules_are_read_by_leads_and_changed_by_admins(
    project: Project,
    api_as: Callable[[Any], APIClient],
    make_member: Callable[..., Any],
    role: str,
    read: int,
    write: int,
) -> None:
    client = as_role(api_as, make_member, role)
    url = f"/api/projects/{project.slug}/release-gate/"
    assert client.get(url).status_code == read
    rules = [{"rule": "min_mean", "criterion": "factuality", "value": 4}]
    response = client.put(url, {"rules": rules}, format="json")
    assert response.status_code == write
    if write == 200:
        assert response.json() == {"rules": [{**rules[0], "value": 4.0}], "default_rules": False}


def test_bad_gate_rules_answer_400_naming_the_rule(
    project: Project, admin: Any, api_as: Callable[[Any], APIClient]
) -> None:
    response = api_as(admin).put(
        f"/api/projects/{project.slug}/release-gate/",
        {"rules": [{"rule": "min_mean", "value": 4}]},
        format="json",
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"] == 'field "rules": rule 1, field "criterion": min_mean needs it'
    )


def test_promotion_list_query_count(
    light: dict[str, Any],
    project: Project,
    lead: Any,
    api_as: Callable[[Any], APIClient],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    client = api_as(lead)
    with django_assert_max_num_queries(8):
        client.get(f"/api/projects/{project.slug}/prompts/support/promotions/")


def test_schema_of_the_release_loop_endpoints_has_no_warnings() -> None:
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    mine = [
        m
        for m in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
        if any(f"api/{name}.py" in m for name in ("versions", "serving", "generation"))
    ]
    # The token authenticator's schema extension is the token module's, shared by every view.
    assert [m for m in mine if "could not resolve authenticator" not in m] == []


def test_history_lists_versions_with_diffs_scorecards_and_label_moves(
    light: dict[str, Any], project: Project, lead: Any, api_as: Callable[[Any], APIClient]
) -> None:
    history = api_as(lead).get(f"/api/projects/{project.slug}/prompts/support/history/").json()
    v2, v1 = history["versions"]
    assert (v2["number"], v2["parent"], v1["parent"]) == (2, 1, None)
    assert v2["scorecard_id"] is not None
    assert v1["labels"] == ["production"]
    fields = {change["field"] for change in v2["diff"]}
    assert fields == {"template_text", "parameters"}
    template_lines = next(c["lines"] for c in v2["diff"] if c["field"] == "template_text")
    assert ["-", "Answer {{ question }} (style 1)."] in template_lines
    assert ["+", "Answer {{ question }} (style 2)."] in template_lines
    assert [p["to_version"] for p in history["promotions"]] == [1]
