"""The import pages: the create-prompts box, grouped errors and skipped rows, escaped."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from llmops_core.models import ImportJob, ModelOutput, Project

pytestmark = pytest.mark.django_db


def upload(client: Client, project: Project, rows: list[dict[str, object]], **form: str) -> str:
    data = "\n".join(json.dumps(r) for r in rows).encode()
    response = client.post(
        reverse("import-upload", args=[project.slug]),
        {"file": SimpleUploadedFile("rows.jsonl", data), **form},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def travel(count: int) -> list[dict[str, object]]:
    return [
        {"external_id": f"q-{i}", "output": "o", "input": "i", "prompt": "travel-faq"}
        for i in range(count)
    ]


def test_the_page_shows_an_unknown_prompt_once_as_a_row_range(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    body = upload(client, project, travel(300))
    assert body.count("no prompt") == 1
    assert "rows 1-300, field &quot;prompt&quot;: no prompt &quot;travel-faq&quot;" in body


def test_the_create_prompts_box_creates_the_template(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    form = client.get(reverse("import-upload", args=[project.slug])).content.decode()
    assert 'name="create_prompts"' in form
    upload(client, project, travel(3), create_prompts="on")
    job = ImportJob.objects.get()
    assert job.create_prompts and job.rows_created == 3
    assert project.prompt_templates.get().name == "travel-faq"


def test_skipped_repeats_are_listed_escaped(client: Client, project: Project, lead: object) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    evil = "<script>x</script>"
    rows = [{"external_id": evil, "output": "o", "input": "i"}] * 2
    body = upload(client, project, rows, partial="on")
    assert ModelOutput.objects.count() == 1
    assert "Skipped rows" in body and "repeats row 1" in body
    assert evil not in body and "&lt;script&gt;" in body
