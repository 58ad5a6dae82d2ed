"""The export API: who may use it, creating and polling jobs, downloads, datasheets, streaming."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from llmops_core.models import AuditEvent, ExportJob, JobStatus, Role
from llmops_core.services.exports import export_job_create, export_job_run, export_spec_build
from tests.exports.builders import RatedProject
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
ROLES = ["anonymous", "outsider", "reviewer", "adjudicator", "lead", "admin"]
DENIED = {"anonymous": 401, "outsider": 404, "reviewer": 403, "adjudicator": 403}


@pytest.fixture
def client_as(rated: RatedProject, make_member: Callable[..., Any]) -> Callable[[str], APIClient]:
    def login(role: str) -> APIClient:
        client = APIClient()
        if role == "outsider":
            user = UserFactory(username="outsider")
            MembershipFactory(user=user, role=Role.ADMIN)  # an admin of another project
            client.force_authenticate(user)
        elif role != "anonymous":
            client.force_authenticate(make_member(role, f"the-{role}-user"))
        return client

    return login


@pytest.fixture
def finished(rated: RatedProject, lead: Any) -> ExportJob:
    spec = export_spec_build(project=rated.project, kind="consensus", fmt="csv", role=Role.LEAD)
    job = export_job_create(spec=spec, project=rated.project, requested_by=lead)
    return export_job_run(job=job)


def url(rated: RatedProject, tail: str = "") -> str:
    return f"/api/projects/{rated.project.slug}/exports/{tail}"


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_is_for_leads_and_admins(
    role: str, rated: RatedProject, finished: ExportJob, client_as: Callable[[str], APIClient]
) -> None:
    client = client_as(role)
    calls = [
        ("get", url(rated), {}, 200),
        ("post", url(rated), {"kind": "ratings", "format": "jsonl"}, 202),
        ("get", url(rated, f"{finished.pk}/"), {}, 200),
        ("get", url(rated, f"{finished.pk}/download/"), {}, 200),
        ("get", url(rated, f"{finished.pk}/datasheet/"), {}, 200),
        ("get", url(rated, "stream/?kind=sft&format=jsonl"), {}, 200),
        ("post", url(rated, f"{finished.pk}/cancel/"), {}, 409),  # finished: nothing to cancel
        ("delete", url(rated, f"{finished.pk}/"), {}, 204),
    ]
    for method, path, body, ok in calls:
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == DENIED.get(role, ok), (method, path, response)


def test_creating_an_export_returns_202_and_a_pending_job(
    rated: RatedProject, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    body = {
        "kind": "preferences",
        "format": "parquet",
        "filters": {
            "rule": "criterion:relevance",
            "min_margin": 1,
            "exclude_flagged": True,
            "queue_ids": [rated.queue.pk],
            "since": "2020-01-01",
        },
    }
    response = api_as(lead).post(url(rated), body, format="json")
    assert response.status_code == 202, response.json()
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.kind, job.format, job.requested_by) == (
        JobStatus.PENDING,
        "preferences",
        "parquet",
        lead,
    )
    assert job.filters["rule"] == "criterion:relevance" and job.filters["min_margin"] == 1.0
    assert job.filters["since"] == "2020-01-01T00:00:00Z"
    assert job.app_version == "0.1.0"
    assert AuditEvent.objects.filter(action="export.create", object_id=str(job.pk)).exists()
    assert response.json()["download_url"] is None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"kind": "ratings", "format": "xlsx"}, 400, "format"),
        (
            {"kind": "ratings", "format": "csv", "filters": {"min_agreement": 2}},
            400,
            'filter "min_agreement": 2 is outside 0-1',
        ),
        (
            {"kind": "ratings", "format": "csv", "filters": {"queue_ids": [12345]}},
            400,
            "not in this project",
        ),
        ({"kind": "ratings", "format": "csv", "real_names": True}, 403, "admins only"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    rated: RatedProject,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    body: dict[str, Any],
    status: int,
    message: str,
) -> None:
    response = api_as(lead).post(url(rated), body, format="json")
    assert response.status_code == status
    assert message in str(response.json())


def test_admins_may_ask_for_real_names(
    rated: RatedProject, api_as: Callable[[Any], APIClient], admin: Any
) -> None:
    body = {"kind": "ratings", "format": "csv", "real_names": True}
    response = api_as(admin).post(url(rated), body, format="json")
    assert response.status_code == 202 and response.json()["real_names"] is True


def test_poll_download_and_datasheet_of_a_finished_job(
    rated: RatedProject, finished: ExportJob, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    client = api_as(lead)
    detail = client.get(url(rated, f"{finished.pk}/")).json()
    assert (detail["status"], detail["progress"], detail["rows"]) == ("succeeded", 1.0, 8)
    assert detail["datasheet"]["file"]["sha256"] == detail["sha256"]
    download = client.get(detail["download_url"])
    data = b"".join(download.streaming_content)
    assert download["Content-Disposition"] == (
        f'attachment; filename="{rated.project.slug}-consensus-{finished.pk}.csv"'
    )
    assert download["X-Content-SHA256"] == detail["sha256"]
    assert data == finished.file.open("rb").read()
    sheet = client.get(detail["datasheet_url"])
    assert sheet.json()["counts"]["outputs"] == 8
    markdown = client.get(detail["datasheet_url"] + "?format=md")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert b"## Agreement per criterion" in markdown.content


def test_files_of_unfinished_jobs_are_not_served(
    rated: RatedProject, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    spec = export_spec_build(project=rated.project, kind="sft", fmt="csv", role=Role.LEAD)
    job = export_job_create(spec=spec, project=rated.project, requested_by=lead)
    response = api_as(lead).get(url(rated, f"{job.pk}/download/"))
    assert response.status_code == 409 and "pending" in response.json()["detail"]


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    rated: RatedProject, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    client = api_as(lead)
    spec = export_spec_build(project=rated.project, kind="sft", fmt="csv", role=Role.LEAD)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(rated))
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    export_job_create(spec=spec, project=rated.project, requested_by=lead)
    few = count()
    for _ in range(5):
        export_job_create(spec=spec, project=rated.project, requested_by=lead)
    many = count()
    assert few[1] == 1 and many[1] == 6
    assert few[0] == many[0] <= 4


def test_small_exports_stream_straight_from_the_database(
    rated: RatedProject, api_as: Callable[[Any], APIClient], lead: Any
) -> None:
    response = api_as(lead).get(
        url(rated, "stream/"),
        {"kind": "ratings", "format": "csv", "prompt_version_ids": [rated.versions[1].pk]},
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == (
        f'attachment; filename="{rated.project.slug}-ratings.csv"'
    )
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 * 9 and {r["prompt_version"] for r in rows} == {"2"}


def test_streaming_refuses_big_exports_and_parquet(
    rated: RatedProject,
    api_as: Callable[[Any], APIClient],
    lead: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = api_as(lead)
    monkeypatch.setattr("llmops_core.api.exports.STREAM_MAX_RATINGS", 10)
    response = client.get(url(rated, "stream/"), {"kind": "ratings", "format": "jsonl"})
    assert response.status_code == 400
    assert "reads 69 ratings; streaming is limited to 10" in str(response.json())
    assert "Create an export job" in str(response.json())
    response = client.get(url(rated, "stream/"), {"kind": "sft", "format": "parquet"})
    assert response.status_code == 400
    response = client.get(
        url(rated, "stream/"), {"kind": "ratings", "format": "csv", "real_names": "true"}
    )
    assert response.status_code == 403
