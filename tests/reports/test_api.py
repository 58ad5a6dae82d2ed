"""The report API: request (202), poll, read, retry, recompute; leads and admins only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import JobStatus, Project, Report
from llmops_core.services.reports import ReportScope, report_request
from tests.reports.builders import RatedQueue
from tests.reports.conftest import ROLE_EXPECTATIONS

pytestmark = pytest.mark.django_db


def url(name: str, project: Project, **kwargs: object) -> str:
    return reverse(name, kwargs={"project_slug": project.slug, **kwargs})


def client_for(user: object | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)  # type: ignore[arg-type]
    return client


ENDPOINTS = [
    ("get", "api-reports", False),
    ("post", "api-reports", False),
    ("get", "api-report", True),
    ("post", "api-report-retry", True),
    ("post", "api-report-recompute", True),
]


@pytest.mark.parametrize("role_user", list(ROLE_EXPECTATIONS), indirect=True)
@pytest.mark.parametrize(("method", "name", "needs_pk"), ENDPOINTS)
def test_only_leads_and_admins_reach_report_endpoints(
    request: pytest.FixtureRequest,
    role_user: object,
    project: Project,
    done_report: Report,
    method: str,
    name: str,
    needs_pk: bool,
) -> None:
    role = request.node.callspec.params["role_user"]
    Report.objects.filter(pk=done_report.pk).update(status=JobStatus.FAILED)  # retry can work
    target = url(name, project, **({"pk": done_report.pk} if needs_pk else {}))
    response = getattr(client_for(role_user), method)(target, {}, format="json")
    expected = ROLE_EXPECTATIONS[role]
    if expected == "login":
        assert response.status_code in (401, 403)
    elif expected == 200:
        assert response.status_code in (200, 202), response.content
    else:
        assert response.status_code == expected
    assert "detail" in response.json() or expected == 200


def test_post_asks_for_a_report_and_answers_202_with_the_row(
    api_as: Callable[[object], APIClient], project: Project, lead: object, k2011: RatedQueue
) -> None:
    body = {
        "queue_id": k2011.queue.pk,
        "reviewers": [k2011.reviewers[0].username],
        "since": "2024-01-01",
        "until": "2024-01-31",
        "bootstrap_draws": 50,
        "seed": 3,
    }
    response = api_as(lead).post(url("api-reports", project), body, format="json")
    assert response.status_code == 202, response.content
    data = response.json()
    report = Report.objects.get(pk=data["id"])
    assert response["Location"] == data["urls"]["api"]
    assert (data["status"], data["requested_by"], report.requested_by) == (
        "pending",
        "the-lead",
        lead,
    )
    assert report.parameters["since"] == "2024-01-01T00:00:00+00:00"
    assert report.parameters["until"] == "2024-02-01T00:00:00+00:00"  # through the 31st
    assert (report.parameters["bootstrap_draws"], report.parameters["seed"]) == (50, 3)
    assert "results" not in data


def test_invalid_input_gets_one_readable_json_message(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    response = api_as(lead).post(
        url("api-reports", project), {"queue_id": "abc", "since": "last week"}, format="json"
    )
    assert response.status_code == 400
    data = response.json()
    assert data["detail"].startswith("invalid request: ")
    assert "queue_id: A valid integer is required." in data["detail"]
    assert '"last week" is not a date (YYYY-MM-DD) or an ISO 8601 time' in data["detail"]
    assert set(data["errors"]) == {"queue_id", "since"}


def test_a_queue_outside_the_project_is_a_400_naming_the_field(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    response = api_as(lead).post(url("api-reports", project), {"queue_id": 987654}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f'field "queue_id": no queue 987654 in project "{project.slug}"',
        "field": "queue_id",
    }


def test_detail_polls_without_results_and_reads_with_them(
    api_as: Callable[[object], APIClient], project: Project, lead: object, done_report: Report
) -> None:
    client = api_as(lead)
    poll = client.get(url("api-report", project, pk=done_report.pk) + "?results=0").json()
    assert poll["status"] == "succeeded" and poll["progress"] == 1.0 and "results" not in poll
    assert poll["snapshot_hash"] == done_report.snapshot_hash
    assert set(poll["urls"]["charts"]) == {"alpha", "distribution", "heatmap", "trend"}
    full = client.get(url("api-report", project, pk=done_report.pk)).json()
    alpha = full["results"]["criteria"]["fluency"]["krippendorff_alpha"]["ordinal"]
    assert round(alpha, 3) == 0.815
    assert client.get(url("api-report", project, pk=999_999)).json() == {
        "detail": "No such report."
    }


def test_retry_refuses_a_report_that_did_not_fail(
    api_as: Callable[[object], APIClient], project: Project, lead: object, done_report: Report
) -> None:
    response = api_as(lead).post(url("api-report-retry", project, pk=done_report.pk))
    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"only a failed report can be retried; report {done_report.pk} is succeeded"
    )


def test_retry_puts_a_failed_report_back_in_the_queue(
    api_as: Callable[[object], APIClient], project: Project, lead: object, done_report: Report
) -> None:
    Report.objects.filter(pk=done_report.pk).update(status=JobStatus.FAILED, error="boom")
    response = api_as(lead).post(url("api-report-retry", project, pk=done_report.pk))
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["error"]) == ("pending", "")


def test_recompute_makes_a_new_report_with_the_same_scope(
    api_as: Callable[[object], APIClient], project: Project, lead: object, done_report: Report
) -> None:
    response = api_as(lead).post(url("api-report-recompute", project, pk=done_report.pk))
    assert response.status_code == 202
    fresh = Report.objects.get(pk=response.json()["id"])
    assert fresh.pk != done_report.pk
    assert fresh.parameters["queue_id"] == done_report.parameters["queue_id"]


def _list_queries(client: APIClient, project: Project) -> tuple[int, dict[str, object]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("api-reports", project))
    assert response.status_code == 200
    return len(queries), response.json()


def test_list_is_keyset_paged_newest_first_in_constant_queries(
    api_as: Callable[[object], APIClient], project: Project, lead: object, k2011: RatedQueue
) -> None:
    client = api_as(lead)
    for seed in range(3):
        report_request(
            project=project,
            requested_by=lead,
            scope=ReportScope(queue_id=k2011.queue.pk, seed=seed),
        )
    few, page = _list_queries(client, project)
    for seed in range(3, 25):
        report_request(
            project=project,
            requested_by=lead,
            scope=ReportScope(queue_id=k2011.queue.pk, seed=seed),
        )
    many, page = _list_queries(client, project)
    assert few == many <= 4
    ids = [row["id"] for row in page["results"]]
    assert len(ids) == 20 and ids == sorted(ids, reverse=True)
    assert page["next"] and "results" not in page["results"][0]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 5


def test_list_filters_by_status(
    api_as: Callable[[object], APIClient], project: Project, lead: object, done_report: Report
) -> None:
    client = api_as(lead)
    assert [
        r["id"]
        for r in client.get(url("api-reports", project) + "?status=succeeded").json()["results"]
    ] == [done_report.pk]
    assert client.get(url("api-reports", project) + "?status=running").json()["results"] == []
    assert client.get(url("api-reports", project) + "?status=bogus").status_code == 400


def test_reports_of_other_kinds_are_not_served_here(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    other = Report.objects.create(project=project, kind="scorecard", status=JobStatus.SUCCEEDED)
    client = api_as(lead)
    assert client.get(url("api-report", project, pk=other.pk)).status_code == 404
    assert client.get(url("api-reports", project)).json()["results"] == []
