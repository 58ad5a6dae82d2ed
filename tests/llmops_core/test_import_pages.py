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


def test_a_refused_upload_offers_to_create_its_prompts_and_import_again(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    body = upload(client, project, travel(4))
    refused = ImportJob.objects.get()
    assert refused.prompts_missing == ["travel-faq"]
    assert 'data-testid="create-prompts-offer"' in body and "<code>travel-faq</code>" in body
    response = client.post(
        reverse("import-create-prompts", args=[project.slug, refused.pk]), follow=True
    )
    again = ImportJob.objects.exclude(pk=refused.pk).get()
    assert response.redirect_chain[-1][0].endswith(f"/imports/{again.pk}/")
    assert again.create_prompts and again.rows_created == 4
    assert ModelOutput.objects.filter(prompt_version__template__name="travel-faq").count() == 4


def test_a_job_without_missing_prompts_cannot_be_rerun_that_way(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    upload(client, project, [{"external_id": "a", "output": "o", "input": "i"}])
    job = ImportJob.objects.get()
    response = client.post(reverse("import-create-prompts", args=[project.slug, job.pk]))
    assert response.status_code == 400 and ImportJob.objects.count() == 1
    assert "cannot be run again" in response.content.decode()


def test_missing_prompt_names_are_escaped_on_the_page(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    rows = [{"external_id": "a", "output": "o", "input": "i", "prompt": "<img src=x>"}]
    body = upload(client, project, rows)
    assert "<img src=x>" not in body and "&lt;img src=x&gt;" in body
