"""The outputs import API: the ids it answers with, the outputs list, its options."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.api import import_results
from llmops_core.models import ImportJob, ModelOutput, Project
from llmops_core.services.import_jobs import import_job_run

pytestmark = pytest.mark.django_db


def url(route: str, project: Project, **kwargs: object) -> str:
    return reverse(route, kwargs={"project_slug": project.slug, **kwargs})


def row(external_id: str, **extra: object) -> dict[str, object]:
    return {"external_id": external_id, "output": "o", "input": "i", **extra}


def post_rows(client: APIClient, project: Project, rows: object, query: str = "") -> object:
    return client.post(url("api-outputs", project) + query, rows, format="json")


def test_the_answer_lists_created_and_existing_ids_in_row_order(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    client = api_as(lead)
    post_rows(client, project, [row("b")])
    response = post_rows(client, project, [row("a"), row("b"), row("c")])
    assert response.status_code == 201, response.json()
    ids = {o.external_id: o.pk for o in ModelOutput.objects.all()}
    body = response.json()
    assert body["outputs"] == [
        {"row": 1, "id": ids["a"], "external_id": "a", "created": True},
        {"row": 2, "id": ids["b"], "external_id": "b", "created": False},
        {"row": 3, "id": ids["c"], "external_id": "c", "created": True},
    ]
    assert body["outputs_url"] == url("api-import-outputs", project, pk=body["job"])


def test_a_large_import_answers_with_a_handle_that_pages_its_outputs(
    api_as: Callable[[object], APIClient],
    project: Project,
    lead: object,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    monkeypatch.setattr(import_results, "OUTPUTS_INLINE_MAX", 3)
    client = api_as(lead)
    response = post_rows(client, project, [row(f"r{i}") for i in range(7)])
    body = response.json()
    assert response.status_code == 201 and body["outputs"] is None
    seen: list[str] = []
    next_url = body["outputs_url"] + "?page_size=3"
    while next_url:
        with django_assert_max_num_queries(8):
            page = client.get(next_url).json()
        seen += [item["external_id"] for item in page["results"]]
        next_url = page["next"]
    assert seen == [f"r{i}" for i in range(7)]


def test_an_unknown_prompt_is_one_grouped_error_in_the_api(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    rows = [row(f"q{i}", prompt="travel-faq") for i in range(300)]
    response = post_rows(api_as(lead), project, rows)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == ['rows 1-300, field "prompt": no prompt "travel-faq" in this project']
    assert body["error_groups"][0]["rows"] == [[1, 300]]
    assert body["rows_failed"] == 300 and body["outputs"] == []


def test_create_prompts_in_the_api_creates_the_template(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    rows = [row(f"q{i}", prompt="travel-faq", prompt_version=2) for i in range(3)]
    response = post_rows(api_as(lead), project, rows, "?create_prompts=true")
    assert response.status_code == 201, response.json()
    assert response.json()["prompts_created"] == ["travel-faq", "travel-faq v2"]
    assert {o.prompt_version.number for o in ModelOutput.objects.all()} == {2}


def test_a_flag_that_is_not_yes_or_no_is_a_400_naming_it(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    response = post_rows(api_as(lead), project, [row("a")], "?create_prompts=maybe")
    assert response.status_code == 400
    assert "create_prompts" in response.json()
    assert not ModelOutput.objects.exists()


def test_a_repeated_id_is_refused_or_skipped_with_partial(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    rows = [row("q-4"), row("q-5"), row("q-4")]
    refused = post_rows(api_as(lead), project, rows)
    assert refused.status_code == 400
    assert refused.json()["errors"] == ['row 3, field "external_id": "q-4" repeats row 1']
    partial = post_rows(api_as(lead), project, rows, "?partial=1")
    assert partial.status_code == 201
    body = partial.json()
    assert body["rows_skipped"] == 1 and body["skipped"] == [
        'row 3, field "external_id": "q-4" repeats row 1'
    ]
    assert [o["row"] for o in body["outputs"]] == [1, 2]


def test_an_uploaded_file_can_ask_for_prompts_to_be_created(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    data = json.dumps(row("a", prompt="new-one")).encode()
    upload = SimpleUploadedFile("rows.jsonl", data, content_type="application/x-ndjson")
    response = api_as(lead).post(
        url("api-imports", project), {"file": upload, "create_prompts": "true"}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.create_prompts
    import_job_run(job=job)
    assert ModelOutput.objects.get().prompt_version.template.name == "new-one"


def test_the_schema_declares_the_import_answer(
    api_as: Callable[[object], APIClient], lead: object
) -> None:
    schema = api_as(lead).get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    spec = json.loads(schema.content)
    post = spec["paths"]["/api/projects/{project_slug}/outputs/"]["post"]
    ref = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    answer = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"outputs", "outputs_url", "error_groups", "skipped"} <= set(answer["properties"])
    assert "/api/projects/{project_slug}/imports/{id}/outputs/" in spec["paths"]
