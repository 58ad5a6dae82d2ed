"""HTML pages: login required, project scoping, the import upload form."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from llmops_core.models import ImportJob, ModelOutput, Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_pages_require_login(client: Client, project: Project) -> None:
    for path in (
        reverse("home"),
        reverse("project", args=[project.slug]),
        reverse("import-upload", args=[project.slug]),
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_home_lists_only_my_projects(client: Client, project: Project, reviewer: object) -> None:
    other = ProjectFactory(name="Secret project")
    client.force_login(reviewer)  # type: ignore[arg-type]
    body = client.get(reverse("home")).content.decode()
    assert project.name in body and other.name not in body
    assert client.get(reverse("project", args=[other.slug])).status_code == 404


def test_reviewer_cannot_open_the_import_form(
    client: Client, project: Project, reviewer: object
) -> None:
    client.force_login(reviewer)  # type: ignore[arg-type]
    assert client.get(reverse("import-upload", args=[project.slug])).status_code == 403


def test_upload_form_imports_and_shows_bad_rows_escaped(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    data = (
        b'{"external_id": "a", "output": "fine", "input": "q"}\n'
        b'{"external_id": "<b>x</b>", "output": "o", "input": "q", "<script>": 1}\n'
    )
    response = client.post(
        reverse("import-upload", args=[project.slug]),
        {"file": SimpleUploadedFile("rows.jsonl", data)},
        follow=True,
    )
    body = response.content.decode()
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.rows_failed == 1
    assert "row 2" in body and "<script>" not in body and "&lt;script&gt;" in body
    assert not ModelOutput.objects.exists()
    client.post(
        reverse("import-upload", args=[project.slug]),
        {"file": SimpleUploadedFile("rows.jsonl", data), "partial": "on"},
    )
    assert ModelOutput.objects.filter(project=project).count() == 1


def test_pages_send_a_content_security_policy(client: Client, lead: object) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
