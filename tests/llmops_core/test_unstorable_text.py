"""NUL (and lone surrogates) anywhere a client sends text: a 400 naming the field, nothing stored.

PostgreSQL cannot store U+0000 in text or jsonb, so before the checks at the doors (the JSON
parser, query strings and form bodies, the JSON fields of the HTML forms, the dataset readers)
these requests answered 500 on PostgreSQL; on SQLite they stored the NUL. Run on both.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import (
    Dataset,
    JudgeConfig,
    Project,
    PromptTemplate,
    PromptVersion,
    ReleaseGate,
    Rubric,
)
from llmops_core.services.prompts import prompt_template_create, prompt_version_create

pytestmark = pytest.mark.django_db
NUL = "\x00"


@pytest.fixture
def template(project: Project) -> PromptTemplate:
    template = prompt_template_create(project=project, name="answer")
    prompt_version_create(template=template, template_text="{{ q }}", model_name="m")
    return template


@pytest.fixture
def admin_user(make_member: Callable[..., Any]) -> Any:
    return make_member("admin", "the-admin")


def api_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# (url name, extra kwargs, JSON body with a NUL inside a value, the field the error names,
#  a count of what must not have been written)
JSON_BODIES: list[tuple[str, dict[str, str], dict[str, Any], str, Callable[[], int]]] = [
    (
        "api-prompt-versions",
        {"name": "answer"},
        {"template_text": "{{ q }}!", "model_name": "m", "parameters": {"stop": "a" + NUL}},
        "parameters.stop",
        lambda: PromptVersion.objects.count() - 1,
    ),
    (
        "api-judges",
        {},
        {
            "name": "quality",
            "version": {"model_name": "m", "parameters": {"seed_text": NUL}},
        },
        "version.parameters.seed_text",
        lambda: JudgeConfig.objects.count(),
    ),
    (
        "api-datasets",
        {},
        {"name": "questions", "inputs": [{"question": "ok"}, {"question": "why" + NUL}]},
        "inputs.1.question",
        lambda: Dataset.objects.count(),
    ),
    (
        "api-rubrics",
        {},
        {
            "name": "tone",
            "criteria": [{"name": "tone", "anchors": {"1": "rude" + NUL, "5": "kind"}}],
        },
        "criteria.0.anchors.1",
        lambda: Rubric.objects.filter(name="tone").count(),
    ),
    (
        "api-release-gate",
        {},
        {"rules": [{"rule": "min_mean", "criterion": "fluency" + NUL, "value": 3}]},
        "rules.0.criterion",
        lambda: ReleaseGate.objects.count(),
    ),
]


@pytest.mark.parametrize(("route", "kwargs", "body", "field", "written"), JSON_BODIES)
def test_a_nul_in_a_json_value_is_refused_naming_the_field(
    project: Project,
    template: PromptTemplate,
    admin_user: Any,
    route: str,
    kwargs: dict[str, str],
    body: dict[str, Any],
    field: str,
    written: Callable[[], int],
) -> None:
    url = reverse(route, kwargs={"project_slug": project.slug, **kwargs})
    method = "put" if route == "api-release-gate" else "post"
    response = getattr(api_for(admin_user), method)(url, body, format="json")
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert f'field "{field}"' in detail and "NUL" in detail, detail
    assert written() == 0


def test_a_nul_in_a_key_or_a_lone_surrogate_is_refused_too(
    project: Project, template: PromptTemplate, admin_user: Any
) -> None:
    url = reverse("api-prompt-versions", kwargs={"project_slug": project.slug, "name": "answer"})
    client = api_for(admin_user)
    base = {"template_text": "{{ q }}!", "model_name": "m"}
    key = client.post(
        url,
        '{"template_text": "x", "model_name": "m", "parameters": {"a\\u0000": 1}}',
        content_type="application/json",
    )
    assert key.status_code == 400 and 'field "parameters"' in key.json()["detail"]
    surrogate = client.post(
        url,
        '{"template_text": "x", "model_name": "m", "note": "\\ud800"}',
        content_type="application/json",
    )
    assert surrogate.status_code == 400 and 'field "note"' in surrogate.json()["detail"]
    assert "surrogate" in surrogate.json()["detail"]
    assert client.post(url, base, format="json").status_code == 201


@pytest.mark.parametrize(
    ("route", "kwargs", "query"),
    [
        ("api-prompt-versions", {"name": "answer"}, {"label": "prod" + NUL}),
        ("api-outputs", {}, {"model": "gpt" + NUL}),
        ("api-outputs", {}, {"prompt": NUL}),
    ],
)
def test_a_nul_in_a_query_parameter_is_refused_naming_it(
    project: Project,
    template: PromptTemplate,
    admin_user: Any,
    route: str,
    kwargs: dict[str, str],
    query: dict[str, str],
) -> None:
    url = reverse(route, kwargs={"project_slug": project.slug, **kwargs})
    response = api_for(admin_user).get(url, query)
    assert response.status_code == 400, response.content
    name = next(iter(query))
    assert f'query parameter "{name}"' in response.json()["detail"]


def test_html_pages_refuse_a_nul_in_the_query_or_a_form_field(
    client: Client, project: Project, admin_user: Any
) -> None:
    client.force_login(admin_user)
    audit = client.get(reverse("audit-log", args=[project.slug]), {"action": "x" + NUL})
    assert audit.status_code == 400 and b'query parameter "action"' in audit.content
    token = client.post(reverse("tokens"), {"name": "ci" + NUL})
    assert token.status_code == 400 and b'field "name"' in token.content
    assert not admin_user.api_tokens.exists()


def test_json_typed_into_an_html_form_cannot_smuggle_a_nul(
    client: Client, project: Project, template: PromptTemplate, admin_user: Any
) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("prompt-version-new", args=[project.slug, "answer"]),
        {"template_text": "{{ q }}?", "model_name": "m", "parameters": '{"stop": "\\u0000"}'},
    )
    assert response.status_code in (200, 400)
    assert "NUL" in response.content.decode()
    assert PromptVersion.objects.count() == 1
    gate = client.post(
        reverse("release-gate", args=[project.slug]),
        {
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-0-rule": "min_mean",
            "rules-0-criterion": "fluency" + NUL,
            "rules-0-value": "3",
        },
    )
    assert gate.status_code == 400 and "NUL" in gate.content.decode()
    assert not ReleaseGate.objects.exists()


@pytest.mark.parametrize(
    ("filename", "content", "where"),
    [
        ("q.jsonl", b'{"question": "fine"}\n{"question": "bad\\u0000"}\n', "row 2"),
        ("q.csv", b"question\nfine\nbad\x00\n", "row 3"),
    ],
)
def test_a_dataset_file_with_a_nul_is_refused_naming_the_row(
    project: Project, admin_user: Any, filename: str, content: bytes, where: str
) -> None:
    upload = io.BytesIO(content)
    upload.name = filename
    response = api_for(admin_user).post(
        reverse("api-datasets", kwargs={"project_slug": project.slug}),
        {"name": "questions", "file": upload},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert where in detail and 'field "question"' in detail and "NUL" in detail
    assert not Dataset.objects.exists()
