"""Writing through the Langfuse-compatible API: new versions, label moves through the gate."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from llmops_core.models import (
    AuditEvent,
    Project,
    Promotion,
    PromptLabel,
    PromptTemplate,
    PromptVersion,
)
from tests.versions.langfuse_helpers import (
    BASE,
    chat_prompt,
    key_client,
    open_gate,
    text_prompt,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def client(project: Project) -> APIClient:
    return key_client(project)


def labels_of(name: str) -> dict[str, int]:
    return dict(
        PromptLabel.objects.filter(template__name=name).values_list("name", "version__number")
    )


def test_create_a_text_prompt_maps_onto_a_version(client: APIClient, project: Project) -> None:
    response = client.post(
        BASE,
        {
            "name": "welcome",
            "prompt": "Welcome {{ user }}",
            "config": {"model": "local-generator", "temperature": 0.3},
            "labels": ["staging"],
            "tags": ["onboarding", "email"],
            "commitMessage": "first draft",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["version"], body["type"]) == ("welcome", 1, "text")
    assert (body["labels"], body["tags"]) == (["latest", "staging"], ["email", "onboarding"])
    version = PromptVersion.objects.get(template__project=project, template__name="welcome")
    assert (version.template_text, version.system_message) == ("Welcome {{ user }}", "")
    assert (version.model_name, version.parameters) == ("local-generator", {"temperature": 0.3})
    assert version.note == "first draft" and version.created_by is None
    event = AuditEvent.objects.get(action="prompt.version_create")
    assert event.after["ingest_key"].startswith("pk-lf-") and event.project == project


def test_create_a_chat_prompt_keeps_system_message_and_template(client: APIClient) -> None:
    messages = [
        {"role": "system", "content": "You answer in {{ language }}."},
        {"role": "user", "content": "{{ question }}"},
    ]
    response = client.post(
        BASE,
        {"name": "qa", "type": "chat", "prompt": messages, "config": {"model": "m"}},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["type"], response.json()["prompt"]) == ("chat", messages)
    version = PromptVersion.objects.get(template__name="qa")
    assert version.system_message == "You answer in {{ language }}."
    assert version.template_text == "{{ question }}"


def test_a_chat_prompt_without_system_message_stays_chat(client: APIClient) -> None:
    user_only = [{"role": "user", "content": "Hi {{ name }}", "type": "chatmessage"}]
    created = client.post(
        BASE,
        {"name": "hi", "type": "chat", "prompt": user_only, "config": {"model": "m"}},
        format="json",
    ).json()
    assert created["prompt"] == [{"role": "user", "content": "Hi {{ name }}"}]
    assert PromptTemplate.objects.get(name="hi").chat is True
    assert client.get(f"{BASE}/hi").status_code == 404  # no production label
    assert client.get(f"{BASE}/hi", {"label": "latest"}).json()["type"] == "chat"


def test_a_new_version_inherits_the_model_and_is_numbered_next(
    client: APIClient, project: Project, lead: Any
) -> None:
    text_prompt(project, lead)
    response = client.post(BASE, {"name": "greeting", "prompt": "Hey {{ name }}"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["labels"], body["tags"]) == (3, ["latest"], ["onboarding"])
    assert body["config"] == {"model": "local-generator"}
    assert client.get(f"{BASE}/greeting", {"label": "latest"}).json()["version"] == 3


def test_creating_existing_content_returns_that_version_with_its_labels_moved(
    client: APIClient, project: Project, lead: Any
) -> None:
    text_prompt(project, lead)
    same = {
        "name": "greeting",
        "prompt": "Hello {{ name }}",
        "config": {"model": "local-generator", "temperature": 0.2, "max_tokens": 50},
        "labels": ["staging"],
        "tags": [],
    }
    response = client.post(BASE, same, format="json")
    assert response.status_code == 200
    assert (response.json()["version"], response.json()["tags"]) == (1, [])
    assert labels_of("greeting") == {"production": 1, "staging": 1}
    assert PromptVersion.objects.filter(template__name="greeting").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a/b", "prompt": "x", "config": {"model": "m"}}, "name"),
        ({"name": "x", "prompt": "", "config": {"model": "m"}}, "prompt"),
        ({"name": "x", "prompt": "hi"}, "config.model"),
        ({"name": "x", "prompt": "hi", "config": ["m"]}, "config"),
        ({"name": "x", "prompt": [{"role": "user", "content": "q"}]}, "type"),
        (
            {
                "name": "x",
                "type": "chat",
                "prompt": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
            },
            "prompt.0.role",
        ),
        (
            {"name": "x", "type": "chat", "prompt": [{"type": "placeholder", "name": "history"}]},
            "prompt.0",
        ),
        ({"name": "x", "prompt": "hi", "config": {"model": "m"}, "labels": ["Prod"]}, "labels.0"),
        (
            {"name": "x", "prompt": "hi", "config": {"model": "m"}, "commitMessage": "c" * 301},
            "commitMessage",
        ),
        (
            {"name": "greeting", "type": "chat", "prompt": [{"role": "user", "content": "q"}]},
            "type",
        ),
    ],
)
def test_bad_creates_name_the_field_and_write_nothing(
    client: APIClient, project: Project, lead: Any, body: dict[str, Any], field: str
) -> None:
    text_prompt(project, lead)
    response = client.post(BASE, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["error"] == "InvalidRequestError"
    assert f'field "{field}"' in response.json()["message"]
    assert PromptVersion.objects.count() == 2
    assert PromptTemplate.objects.count() == 1


def test_a_create_the_gate_refuses_writes_nothing_and_is_audited(
    client: APIClient, project: Project, lead: Any
) -> None:
    text_prompt(project, lead)
    body = {"name": "greeting", "prompt": "New {{ name }}", "labels": ["staging", "production"]}
    response = client.post(BASE, body, format="json")
    assert response.status_code == 403
    refusal = response.json()
    assert refusal["error"] == "ForbiddenError"
    assert refusal["message"].startswith('the release gate refuses v3 of "greeting"')
    assert refusal["reasons"] and all(isinstance(r, str) for r in refusal["reasons"])
    assert PromptVersion.objects.filter(template__name="greeting").count() == 2
    assert labels_of("greeting") == {"production": 1, "staging": 2}
    event = AuditEvent.objects.get(action="prompt.promote_refused")
    assert event.after["reasons"] == refusal["reasons"] and event.after["label"] == "production"


def test_new_labels_move_to_the_version_and_keep_its_others(
    client: APIClient, project: Project, lead: Any
) -> None:
    text_prompt(project, lead)
    response = client.patch(
        f"{BASE}/greeting/versions/1", {"newLabels": ["staging", "qa"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["labels"] == ["production", "qa", "staging"]
    assert labels_of("greeting") == {"production": 1, "qa": 1, "staging": 1}
    moves = Promotion.objects.filter(template__name="greeting", actor=None).order_by("pk")
    assert [(m.label, m.to_version.number) for m in moves][-2:] == [("staging", 1), ("qa", 1)]
    event = AuditEvent.objects.filter(action="prompt.promote").latest("pk")
    assert event.actor is None and event.after["ingest_key"].startswith("pk-lf-")
    # Adding what the version has already is a no-op, as in Langfuse.
    again = client.patch(f"{BASE}/greeting/versions/1", {"newLabels": ["qa"]}, format="json")
    assert again.status_code == 200 and Promotion.objects.filter(label="qa").count() == 1


def test_production_moves_through_a_passing_gate(
    client: APIClient, project: Project, lead: Any, admin: Any
) -> None:
    text_prompt(project, lead)
    open_gate(project, admin)
    response = client.patch(
        f"{BASE}/greeting/versions/2", {"newLabels": ["production"]}, format="json"
    )
    assert response.status_code == 200
    assert labels_of("greeting")["production"] == 2
    promotion = Promotion.objects.filter(label="production").latest("pk")
    assert promotion.gate_passed is True and promotion.override_reason == ""


def test_a_refused_production_move_answers_403_and_moves_nothing(
    client: APIClient, project: Project, lead: Any
) -> None:
    text_prompt(project, lead)
    response = client.patch(
        f"{BASE}/greeting/versions/2", {"newLabels": ["qa", "production"]}, format="json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "ForbiddenError" and body["reasons"]
    assert "no comparison of v2 with production v1" in body["message"]
    assert labels_of("greeting") == {"production": 1, "staging": 2}
    event = AuditEvent.objects.get(action="prompt.promote_refused")
    assert event.object_type == "PromptVersion" and event.after["ingest_key"].startswith("pk-lf-")


@pytest.mark.parametrize(
    ("labels", "field"), [(["latest"], "newLabels.0"), (["ok", "Not OK"], "newLabels.1")]
)
def test_bad_new_labels_answer_400(
    client: APIClient, project: Project, lead: Any, labels: list[str], field: str
) -> None:
    text_prompt(project, lead)
    response = client.patch(f"{BASE}/greeting/versions/1", {"newLabels": labels}, format="json")
    assert response.status_code == 400
    assert f'field "{field}"' in response.json()["message"]


def test_label_updates_of_missing_versions_answer_404(
    client: APIClient, project: Project, lead: Any
) -> None:
    chat_prompt(project, lead)
    response = client.patch(f"{BASE}/support/versions/7", {"newLabels": ["qa"]}, format="json")
    assert response.status_code == 404
    assert response.json() == {
        "message": "Prompt not found: 'support' with version 7",
        "error": "LangfuseNotFoundError",
    }


def test_methods_langfuse_does_not_have_answer_405_in_its_shape(
    client: APIClient, project: Project, lead: Any
) -> None:
    chat_prompt(project, lead)
    response = client.delete(f"{BASE}/support")
    assert response.status_code == 405
    assert response.json()["error"] == "MethodNotAllowedError"
