"""Dataset and generation-run pages and API over every role; upload and run from the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.models import Dataset, GenerationRun, Project, Role
from llmops_core.services.datasets import dataset_create
from llmops_core.services.generation import generation_run_create
from tests.factories import UserFactory
from tests.versions.helpers import make_versions

pytestmark = pytest.mark.django_db
CODES = {Role.REVIEWER: 403, Role.ADJUDICATOR: 403, Role.LEAD: 200, Role.ADMIN: 200}


@pytest.fixture
def made(project: Project) -> dict[str, Any]:
    (v1,) = make_versions(project, 1)
    dataset, _ = dataset_create(
        project=project, name="qs", inputs=[{"question": "<b>Why?</b>"}, {"question": "How?"}]
    )
    run = generation_run_create(version=v1, dataset=dataset)
    return {"version": v1, "dataset": dataset, "run": run}


def urls(project: Project, made: dict[str, Any]) -> list[str]:
    p = f"/p/{project.slug}/"
    return [
        p + "datasets/",
        p + f"datasets/{made['dataset'].pk}/",
        p + f"generation-runs/{made['run'].pk}/",
    ]


def api_urls(project: Project, made: dict[str, Any]) -> list[str]:
    p = f"/api/projects/{project.slug}/"
    return [
        p + "datasets/",
        p + f"datasets/{made['dataset'].pk}/rows/",
        p + "generation-runs/",
        p + f"generation-runs/{made['run'].pk}/",
    ]


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(CODES))
def test_pages_and_endpoints_need_the_lead_role(
    project: Project,
    made: dict[str, Any],
    make_member: Callable[..., Any],
    api_as: Callable[[Any], APIClient],
    role: str,
) -> None:
    user = make_member(role)
    for url in urls(project, made):
        assert logged_in(user).get(url).status_code == CODES[role], url
    for url in api_urls(project, made):
        assert api_as(user).get(url).status_code == CODES[role], url


def test_non_members_get_404(
    project: Project, made: dict[str, Any], api_as: Callable[[Any], APIClient]
) -> None:
    stranger = UserFactory()
    for url in urls(project, made):
        assert logged_in(stranger).get(url).status_code == 404
    for url in api_urls(project, made):
        assert api_as(stranger).get(url).status_code == 404


def test_upload_a_dataset_then_run_a_version_from_the_page(
    project: Project, made: dict[str, Any], lead: Any
) -> None:
    client = logged_in(lead)
    upload = SimpleUploadedFile("inputs.csv", b"question,product\nWhy?,Notes\nHow?,Pay\n")
    response = client.post(f"/p/{project.slug}/datasets/", {"name": "support", "file": upload})
    dataset = Dataset.objects.get(name="support")
    assert response["Location"] == f"/p/{project.slug}/datasets/{dataset.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "&quot;product&quot;: &quot;Notes&quot;" in page
    response = client.post(response["Location"], {"version": made["version"].pk})
    run = GenerationRun.objects.get(dataset=dataset)
    assert response["Location"] == f"/p/{project.slug}/generation-runs/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'data-poll-url="/api/projects/' in page


def test_a_bad_upload_shows_the_row(project: Project, lead: Any) -> None:
    upload = SimpleUploadedFile("inputs.jsonl", b'{"q": "a"}\n[1, 2]\n')
    response = logged_in(lead).post(f"/p/{project.slug}/datasets/", {"name": "x", "file": upload})
    assert response.status_code == 400 and "row 2" in response.content.decode()


def test_dataset_preview_escapes_inputs(project: Project, made: dict[str, Any], lead: Any) -> None:
    html = logged_in(lead).get(urls(project, made)[1]).content.decode()
    assert "<b>Why?</b>" not in html and "&lt;b&gt;Why?&lt;/b&gt;" in html


def test_api_upload_run_and_cancel(
    project: Project, made: dict[str, Any], lead: Any, api_as: Callable[[Any], APIClient]
) -> None:
    client = api_as(lead)
    p = f"/api/projects/{project.slug}/"
    created = client.post(
        p + "datasets/", {"name": "api-set", "inputs": [{"question": "x"}]}, format="json"
    )
    assert created.status_code == 201 and created.json()["version"] == 1
    again = client.post(
        p + "datasets/", {"name": "api-set", "inputs": [{"question": "x"}]}, format="json"
    )
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    run = client.post(
        p + "generation-runs/",
        {"version_id": made["version"].pk, "dataset_id": created.json()["id"]},
        format="json",
    )
    assert run.status_code == 202 and run.json()["status"] == "pending"
    bad = client.post(
        p + "generation-runs/",
        {"version_id": 999_999, "dataset_id": created.json()["id"]},
        format="json",
    )
    assert bad.status_code == 400 and "version_id" in bad.json()
    cancelled = client.post(p + f"generation-runs/{run.json()['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"


def test_reviewers_cannot_upload_or_run(
    project: Project, made: dict[str, Any], reviewers: list[Any], api_as: Callable[[Any], APIClient]
) -> None:
    client = api_as(reviewers[0])
    p = f"/api/projects/{project.slug}/"
    assert (
        client.post(p + "datasets/", {"name": "x", "inputs": ["a"]}, format="json").status_code
        == 403
    )
    assert (
        client.post(
            p + "generation-runs/",
            {"version_id": made["version"].pk, "dataset_id": made["dataset"].pk},
            format="json",
        ).status_code
        == 403
    )
