"""The REST API: authentication, project scoping by role, ingestion, prompts, rubrics."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import ModelOutput, Project
from llmops_core.services.prompts import (
    prompt_label_set,
    prompt_template_create,
    prompt_version_create,
)
from llmops_core.services.tokens import token_create
from tests.factories import ModelOutputFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ROW = {"external_id": "e1", "output": "Hello", "input": {"question": "Hi?"}}


def url(route: str, project: Project, **kwargs: object) -> str:
    return reverse(route, kwargs={"project_slug": project.slug, **kwargs})


PROJECT_ENDPOINTS = [
    "api-project",
    "api-members",
    "api-prompts",
    "api-outputs",
    "api-imports",
    "api-rubrics",
    "api-queues",
]


@pytest.mark.parametrize("name", PROJECT_ENDPOINTS)
def test_anonymous_requests_are_refused(api: APIClient, project: Project, name: str) -> None:
    response = api.get(url(name, project))
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_anonymous_cannot_list_projects(api: APIClient) -> None:
    assert api.get(reverse("api-projects")).status_code in (401, 403)


@pytest.mark.parametrize("name", PROJECT_ENDPOINTS)
def test_member_of_another_project_gets_404(
    api_as: Callable[[object], APIClient], project: Project, name: str
) -> None:
    outsider = UserFactory()
    other = ProjectFactory()
    other.memberships.create(user=outsider, role="admin")
    response = api_as(outsider).get(url(name, project))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "reviewer_status"),
    [
        ("api-project", 200),
        ("api-rubrics", 200),
        ("api-queues", 200),
        ("api-members", 403),
        ("api-prompts", 403),
        ("api-outputs", 403),
        ("api-imports", 403),
    ],
)
def test_reviewer_reads_only_what_reviewers_may(
    api_as: Callable[[object], APIClient],
    project: Project,
    reviewer: object,
    lead: object,
    name: str,
    reviewer_status: int,
) -> None:
    assert api_as(reviewer).get(url(name, project)).status_code == reviewer_status
    assert api_as(lead).get(url(name, project)).status_code == 200


def test_reviewer_cannot_import_outputs(
    api_as: Callable[[object], APIClient], project: Project, reviewer: object
) -> None:
    response = api_as(reviewer).post(url("api-outputs", project), [ROW], format="json")
    assert response.status_code == 403
    assert not ModelOutput.objects.exists()


def test_project_list_shows_only_my_projects(
    api_as: Callable[[object], APIClient], project: Project, reviewer: object
) -> None:
    ProjectFactory()
    response = api_as(reviewer).get(reverse("api-projects"))
    assert [p["slug"] for p in response.json()["results"]] == [project.slug]


def test_token_authentication_works(api: APIClient, project: Project, lead: object) -> None:
    _, key = token_create(user=lead, name="ci")  # type: ignore[arg-type]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(url("api-outputs", project)).status_code == 200


def test_bulk_create_from_a_json_array(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    rows = [ROW, {**ROW, "external_id": "e2", "input": "plain"}]
    response = api_as(lead).post(url("api-outputs", project), rows, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rows_created"] == 2


def test_create_one_from_a_json_object(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    response = api_as(lead).post(url("api-outputs", project), ROW, format="json")
    assert response.status_code == 201
    assert ModelOutput.objects.get().external_id == "e1"


def test_jsonl_body_is_imported(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    body = "\n".join(json.dumps({**ROW, "external_id": f"j{i}"}) for i in range(5))
    response = api_as(lead).post(
        url("api-outputs", project), body, content_type="application/x-ndjson"
    )
    assert response.status_code == 201, response.content
    assert ModelOutput.objects.count() == 5


def test_bad_rows_reject_the_body_with_every_error(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    rows = [
        ROW,
        {"external_id": "x", "output": "o", "input": "i", "cost": -1},
        {"external_id": "y", "input": "i"},
    ]
    response = api_as(lead).post(url("api-outputs", project), rows, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["rows_created"] == 0 and body["rows_failed"] == 2
    assert any(e.startswith('row 2, field "cost"') for e in body["errors"])
    assert 'row 3, field "output": required' in body["errors"]
    assert not ModelOutput.objects.exists()


def test_partial_flag_imports_good_rows(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    rows = [ROW, {"external_id": "y", "input": "i"}]
    response = api_as(lead).post(url("api-outputs", project) + "?partial=1", rows, format="json")
    assert response.status_code == 201
    assert response.json()["rows_created"] == 1 and response.json()["rows_failed"] == 1


def test_outputs_filter_by_prompt_version_and_page_by_keyset(
    api_as: Callable[[object], APIClient],
    project: Project,
    lead: object,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    template = prompt_template_create(project=project, name="support")
    v1, _ = prompt_version_create(template=template, template_text="a", model_name="m")
    v2, _ = prompt_version_create(template=template, template_text="b", model_name="m")
    ModelOutputFactory.create_batch(30, project=project, prompt_version=v1)
    ModelOutputFactory.create_batch(5, project=project, prompt_version=v2)
    client = api_as(lead)
    with django_assert_max_num_queries(6):
        page = client.get(
            url("api-outputs", project), {"prompt_version_id": v1.pk, "page_size": 20}
        ).json()
    assert len(page["results"]) == 20 and page["next"]
    assert {r["prompt_version"] for r in page["results"]} == {1}
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 10 and rest["next"] is None
    by_name = client.get(url("api-outputs", project), {"prompt": "support"}).json()
    assert len(by_name["results"]) == 35


def test_prompt_versions_are_created_idempotently_and_fetched_by_label(
    api_as: Callable[[object], APIClient],
    project: Project,
    lead: object,
) -> None:
    client = api_as(lead)
    assert (
        client.post(url("api-prompts", project), {"name": "support"}, format="json").status_code
        == 201
    )
    body = {
        "template_text": "Answer {{ q }}",
        "model_name": "gpt-4o-mini",
        "parameters": {"temperature": 0.2},
    }
    first = client.post(url("api-prompt-versions", project, name="support"), body, format="json")
    again = client.post(url("api-prompt-versions", project, name="support"), body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"] == 1
    version = project.prompt_templates.get().versions.get()
    prompt_label_set(version=version, label="production", actor=lead)
    got = client.get(url("api-prompt-label", project, name="support", label="production"))
    assert got.status_code == 200 and got.json()["template_text"] == "Answer {{ q }}"
    filtered = client.get(
        url("api-prompt-versions", project, name="support"), {"label": "production"}
    ).json()
    assert [v["number"] for v in filtered["results"]] == [1]
    missing = client.get(url("api-prompt-label", project, name="support", label="staging"))
    assert missing.status_code == 404


def test_moving_production_goes_through_the_release_gate(
    api_as: Callable[[object], APIClient],
    project: Project,
    lead: object,
    make_member: Callable[..., object],
) -> None:
    """With no ratings behind it, a version is refused; an admin may override with a reason."""
    template = prompt_template_create(project=project, name="support")
    prompt_version_create(template=template, template_text="a", model_name="m")
    path = url("api-prompt-label", project, name="support", label="production")
    refused = api_as(lead).put(path, {"version": 1}, format="json")
    assert refused.status_code == 400 and refused.json()["detail"]
    admin = make_member("admin", "the-admin")
    blank = api_as(admin).put(path, {"version": 1}, format="json")
    assert blank.status_code == 400
    moved = api_as(admin).put(
        path, {"version": 1, "override_reason": "hotfix, rated later"}, format="json"
    )
    assert moved.status_code == 200
    promotion = template.promotions.get()
    assert promotion.override_reason == "hotfix, rated later" and promotion.gate_passed is False
    staging = url("api-prompt-label", project, name="support", label="staging")
    assert api_as(lead).put(staging, {"version": 1}, format="json").status_code == 200


def test_rubric_changes_make_a_new_version(
    api_as: Callable[[object], APIClient], project: Project, lead: object
) -> None:
    client = api_as(lead)
    rubric = client.get(url("api-rubrics", project)).json()["results"][0]
    assert [c["name"] for c in rubric["versions"][0]["criteria"]] == [
        "fluency",
        "relevance",
        "factuality",
    ]
    criteria = rubric["versions"][0]["criteria"]
    criteria[0]["anchors"]["1"] = "Gibberish."
    response = client.post(
        url("api-rubric-versions", project, pk=rubric["id"]),
        {"criteria": criteria, "note": "clearer anchor"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["number"] == 2


def test_queue_is_created_from_a_prompt_version(
    api_as: Callable[[object], APIClient], project: Project, lead: object, reviewer: object
) -> None:
    template = prompt_template_create(project=project, name="support")
    v1, _ = prompt_version_create(template=template, template_text="a", model_name="m")
    ModelOutputFactory.create_batch(4, project=project, prompt_version=v1)
    rubric_version = project.rubrics.get().versions.get()
    response = api_as(lead).post(
        url("api-queues", project),
        {
            "name": "round 1",
            "rubric_version_id": rubric_version.pk,
            "prompt_version_id": v1.pk,
            "reviewers": ["the-reviewer"],
            "guidelines": "Be strict.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["item_count"] == 4 and response.json()["overlap"] == 3
    queues = api_as(reviewer).get(url("api-queues", project)).json()["results"]
    assert [q["name"] for q in queues] == ["round 1"]


def test_openapi_schema_and_docs_are_served(
    api_as: Callable[[object], APIClient], lead: object
) -> None:
    client = api_as(lead)
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    spec = json.loads(schema.content)
    assert spec["openapi"].startswith("3.")
    assert "/api/projects/{project_slug}/outputs/" in spec["paths"]
    assert client.get(reverse("api-docs")).status_code == 200
