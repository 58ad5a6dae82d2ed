"""The export pages: leads pick kind, format and filters, watch progress and download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from llmops_core.models import ExportJob, JobStatus, Role
from llmops_core.services.exports import export_job_create, export_job_run, export_spec_build
from tests.exports.builders import RatedProject
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
DENIED = {"outsider": 404, "reviewer": 403, "adjudicator": 403}


@pytest.fixture
def browser_as(rated: RatedProject, make_member: Callable[..., Any]) -> Callable[[str], Client]:
    def login(role: str) -> Client:
        client = Client()
        if role == "outsider":
            user = UserFactory(username="outsider")
            MembershipFactory(user=user, role=Role.ADMIN)
            client.force_login(user)
        elif role != "anonymous":
            client.force_login(make_member(role, f"the-{role}-user"))
        return client

    return login


@pytest.fixture
def finished(rated: RatedProject, lead: Any) -> ExportJob:
    spec = export_spec_build(project=rated.project, kind="ratings", fmt="jsonl", role=Role.LEAD)
    return export_job_run(
        job=export_job_create(spec=spec, project=rated.project, requested_by=lead)
    )


@pytest.mark.parametrize(
    "role", ["anonymous", "outsider", "reviewer", "adjudicator", "lead", "admin"]
)
def test_every_page_is_for_leads_and_admins(
    role: str, rated: RatedProject, finished: ExportJob, browser_as: Callable[[str], Client]
) -> None:
    client = browser_as(role)
    base = f"/p/{rated.project.slug}/exports/"
    for path in (
        base,
        f"{base}{finished.pk}/",
        f"{base}{finished.pk}/download/",
        f"{base}{finished.pk}/datasheet.json",
        f"{base}{finished.pk}/datasheet.md",
    ):
        response = client.get(path)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == DENIED.get(role, 200), (role, path)
    response = client.post(base, {"kind": "ratings", "format": "csv"})
    expected = 302 if role in ("anonymous", "lead", "admin") else DENIED[role]
    assert response.status_code == expected


def test_a_lead_starts_an_export_from_the_form(
    rated: RatedProject, browser_as: Callable[[str], Client]
) -> None:
    client = browser_as("lead")
    page = client.get(f"/p/{rated.project.slug}/exports/")
    assert b"Real reviewer names" not in page.content  # admins only
    assert b"Answers" in page.content and b"answer v2" in page.content
    assert b"Criterion: relevance" in page.content
    response = client.post(
        f"/p/{rated.project.slug}/exports/",
        {
            "kind": "preferences",
            "format": "parquet",
            "queue_ids": [rated.queue.pk],
            "prompt_version_ids": [v.pk for v in rated.versions],
            "since": "2020-01-01",
            "until": "2100-01-01",
            "min_ratings": "2",
            "min_agreement": "0.1",
            "exclude_flagged": "on",
            "rule": "all",
            "min_margin": "1",
            "sft_threshold": "4",
        },
    )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    assert job.status == JobStatus.PENDING and job.kind == "preferences"
    assert job.filters["rule"] == "all" and job.filters["min_margin"] == 1.0
    assert job.filters["until"] == "2100-01-02T00:00:00Z"  # the whole last day
    export_job_run(job=job)
    detail = client.get(f"/p/{rated.project.slug}/exports/{job.pk}/")
    assert b"Agreement per criterion" in detail.content and job.sha256.encode() in detail.content
    assert b"Download" in detail.content


def test_form_errors_are_shown_and_nothing_starts(
    rated: RatedProject, browser_as: Callable[[str], Client]
) -> None:
    response = browser_as("lead").post(
        f"/p/{rated.project.slug}/exports/",
        {"kind": "sft", "format": "csv", "since": "2024-05-02", "until": "2024-05-01"},
    )
    assert response.status_code == 200 and b"must be later" in response.content
    assert not ExportJob.objects.exists()


def test_only_admins_see_and_may_use_real_names(
    rated: RatedProject, browser_as: Callable[[str], Client]
) -> None:
    admin = browser_as("admin")
    assert b"Real reviewer names" in admin.get(f"/p/{rated.project.slug}/exports/").content
    assert (
        admin.post(
            f"/p/{rated.project.slug}/exports/",
            {"kind": "ratings", "format": "csv", "real_names": "on"},
        ).status_code
        == 302
    )
    assert ExportJob.objects.get().real_names
    lead = browser_as("lead")
    response = lead.post(
        f"/p/{rated.project.slug}/exports/",
        {"kind": "ratings", "format": "csv", "real_names": "on"},
    )
    assert response.status_code == 403 and ExportJob.objects.count() == 1


def test_the_downloaded_file_and_datasheets(
    rated: RatedProject, finished: ExportJob, browser_as: Callable[[str], Client]
) -> None:
    client = browser_as("lead")
    base = f"/p/{rated.project.slug}/exports/{finished.pk}/"
    data = b"".join(client.get(base + "download/").streaming_content)
    assert data == finished.file.open("rb").read() and len(data.splitlines()) == 69
    assert client.get(base + "datasheet.json").json()["file"]["sha256"] == finished.sha256
    assert client.get(base + "datasheet.md").content.startswith(b"# ")
    assert client.get(base + "datasheet.txt").status_code == 404


def test_the_list_page_has_a_fixed_number_of_queries(
    rated: RatedProject, lead: Any, browser_as: Callable[[str], Client]
) -> None:
    client = browser_as("lead")
    spec = export_spec_build(project=rated.project, kind="sft", fmt="csv", role=Role.LEAD)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/p/{rated.project.slug}/exports/").status_code == 200
        return len(queries)

    export_job_create(spec=spec, project=rated.project, requested_by=lead)
    few = count()
    for _ in range(6):
        export_job_create(spec=spec, project=rated.project, requested_by=lead)
    assert count() == few
