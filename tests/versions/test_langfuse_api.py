"""The Langfuse-compatible prompt API on the wire: bodies, lookups, ETag, errors, keys, lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from llmops_core.models import Project, Promotion, PromptLabel, PromptVersion
from llmops_core.services.ingest_keys import ingest_key_revoke
from llmops_core.services.prompts import prompt_label_set
from llmops_core.services.tokens import token_create
from tests.factories import ProjectFactory
from tests.versions.helpers import make_versions
from tests.versions.langfuse_helpers import (
    BASE,
    basic,
    chat_prompt,
    key_client,
    key_pair,
    text_prompt,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Start from an empty cache: ids of rolled-back test rows can come back."""
    cache.clear()


@pytest.fixture
def prompts(project: Project, lead: Any) -> dict[str, list[PromptVersion]]:
    return {"greeting": text_prompt(project, lead), "support": chat_prompt(project, lead)}


@pytest.fixture
def client(project: Project) -> APIClient:
    return key_client(project)


def test_a_text_prompt_is_served_by_production_label_by_default(
    prompts: dict[str, list[PromptVersion]], client: APIClient, project: Project
) -> None:
    response = client.get(f"{BASE}/greeting")
    assert response.status_code == 200, response.content
    body = response.json()
    v1 = prompts["greeting"][0]
    assert {k: body[k] for k in ("id", "createdAt", "updatedAt")} == {
        "id": str(v1.pk),
        "createdAt": v1.created_at.isoformat().replace("+00:00", "Z"),
        "updatedAt": Promotion.objects.get(to_version=v1)
        .created_at.isoformat()
        .replace("+00:00", "Z"),
    }
    assert {k: v for k, v in body.items() if k not in ("id", "createdAt", "updatedAt")} == {
        "projectId": project.slug,
        "name": "greeting",
        "version": 1,
        "type": "text",
        "prompt": "Hello {{ name }}",
        "config": {"model": "local-generator", "temperature": 0.2, "max_tokens": 50},
        "labels": ["production"],
        "tags": ["onboarding"],
        "commitMessage": "first",
        "createdBy": "API",
        "resolutionGraph": None,
    }


def test_a_version_with_a_system_message_is_served_as_chat_messages(
    prompts: dict[str, list[PromptVersion]], client: APIClient
) -> None:
    body = client.get(f"{BASE}/support", {"label": "production"}).json()
    assert body["type"] == "chat"
    assert body["prompt"] == [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "Answer {{ question }} (style 1)."},
    ]
    assert body["config"] == {"model": "local-generator", "temperature": 0.1}
    assert body["commitMessage"] is None


@pytest.mark.parametrize(
    ("query", "version", "labels"),
    [
        ({"version": 2}, 2, ["latest", "staging"]),
        ({"label": "staging"}, 2, ["latest", "staging"]),
        ({"label": "latest"}, 2, ["latest", "staging"]),
        ({"version": 1}, 1, ["production"]),
    ],
)
def test_versions_by_number_or_label_carry_their_labels_and_latest(
    prompts: dict[str, list[PromptVersion]],
    client: APIClient,
    query: dict[str, Any],
    version: int,
    labels: list[str],
) -> None:
    body = client.get(f"{BASE}/greeting", query).json()
    assert (body["version"], body["labels"]) == (version, labels)


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("greeting", {"label": "qa"}, "Prompt not found: 'greeting' with label 'qa'"),
        ("greeting", {"version": 9}, "Prompt not found: 'greeting' with version 9"),
        ("nope", {}, "Prompt not found: 'nope' with label 'production'"),
        ("folder%2Fnope", {}, "Prompt not found: 'folder/nope' with label 'production'"),
    ],
)
def test_missing_prompts_answer_langfuses_not_found(
    prompts: dict[str, list[PromptVersion]],
    client: APIClient,
    path: str,
    query: dict[str, Any],
    message: str,
) -> None:
    response = client.get(f"{BASE}/{path}", query)
    assert response.status_code == 404
    assert response.json() == {"message": message, "error": "LangfuseNotFoundError"}


@pytest.mark.parametrize(
    "query", [{"label": "production", "version": 1}, {"version": "x"}, {"version": 0}]
)
def test_bad_lookups_answer_400_with_the_issues(
    prompts: dict[str, list[PromptVersion]], client: APIClient, query: dict[str, Any]
) -> None:
    response = client.get(f"{BASE}/greeting", query)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] and isinstance(body["error"], list)
    assert all({"path", "message"} <= set(issue) for issue in body["error"])


def test_etag_answers_304_until_a_label_moves_on_or_off_the_version(
    prompts: dict[str, list[PromptVersion]], client: APIClient, lead: Any
) -> None:
    first = client.get(f"{BASE}/greeting", {"version": 1})
    etag = first["ETag"]
    again = client.get(f"{BASE}/greeting", {"version": 1}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    # v1's content is unchanged, but a label now points at it: its body (labels) changed.
    prompt_label_set(version=prompts["greeting"][0], label="qa", actor=lead)
    moved = client.get(f"{BASE}/greeting", {"version": 1}, HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and moved.json()["labels"] == ["production", "qa"]
    assert moved["ETag"] != etag


def test_a_moved_label_serves_the_new_version_at_once(
    prompts: dict[str, list[PromptVersion]], client: APIClient, lead: Any
) -> None:
    assert client.get(f"{BASE}/greeting")["ETag"]
    prompt_label_set(version=prompts["greeting"][1], label="production", actor=lead)
    assert client.get(f"{BASE}/greeting").json()["version"] == 2


def test_a_removed_label_answers_404_at_once(
    prompts: dict[str, list[PromptVersion]], client: APIClient
) -> None:
    """The SDK's stale-cache problem: a label deleted (the admin can) is gone on the next fetch,
    although the serving cache was warm and nothing invalidated it."""
    assert client.get(f"{BASE}/greeting", {"label": "staging"}).status_code == 200
    PromptLabel.objects.filter(name="staging").delete()
    response = client.get(f"{BASE}/greeting", {"label": "staging"})
    assert response.status_code == 404, response.json()


def test_a_warm_fetch_costs_three_queries(
    prompts: dict[str, list[PromptVersion]],
    client: APIClient,
    django_assert_num_queries: Any,
) -> None:
    """The label is read from the database (two queries with its labels and tags) and the
    content from the serving cache; the key from its cache."""
    client.get(f"{BASE}/greeting")
    with django_assert_num_queries(2):
        assert client.get(f"{BASE}/greeting").status_code == 200


def test_requests_without_a_valid_key_pair_get_401(
    prompts: dict[str, list[PromptVersion]], project: Project, lead: Any
) -> None:
    key, secret = key_pair(project)
    _, token = token_create(user=lead, name="session-like")
    headers = [
        None,
        basic(key.public_key, "sk-lf-wrong"),
        basic("pk-lf-other", secret),
        f"Token {token}",
    ]
    for header in headers:
        client = APIClient()
        if header:
            client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(f"{BASE}/greeting")
        assert response.status_code == 401, header
        assert response.json()["error"] == "UnauthorizedError"
        assert response["WWW-Authenticate"] == 'Basic realm="api"'


def test_a_signed_in_lead_without_a_key_gets_401(
    prompts: dict[str, list[PromptVersion]], lead: Any
) -> None:
    """Sessions are not credentials here: the API acts for a key's project, not for a user."""
    client = APIClient()
    client.force_login(lead)
    assert client.get(f"{BASE}/greeting").status_code == 401
    response = client.patch(f"{BASE}/greeting/versions/2", {"newLabels": ["qa"]}, format="json")
    assert response.status_code == 401 and not PromptLabel.objects.filter(name="qa").exists()


def test_a_revoked_key_gets_401_and_bearer_secrets_work(
    prompts: dict[str, list[PromptVersion]], project: Project
) -> None:
    key, secret = key_pair(project)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"{BASE}/greeting").status_code == 200
    ingest_key_revoke(key=key, actor=None)
    assert client.get(f"{BASE}/greeting").status_code == 401


def test_a_key_acts_for_its_own_project_only(
    prompts: dict[str, list[PromptVersion]], lead: Any
) -> None:
    other = key_client(ProjectFactory())
    assert other.get(f"{BASE}/greeting").status_code == 404
    assert other.get(BASE).json()["data"] == []
    patch = other.patch(f"{BASE}/greeting/versions/2", {"newLabels": ["qa"]}, format="json")
    assert patch.status_code == 404
    assert not PromptLabel.objects.filter(name="qa").exists()


def test_the_list_groups_versions_by_prompt_in_langfuses_shape(
    prompts: dict[str, list[PromptVersion]], client: APIClient
) -> None:
    body = client.get(BASE).json()
    assert body["meta"] == {"page": 1, "limit": 10, "totalItems": 2, "totalPages": 1}
    greeting, support = body["data"]
    assert greeting == {
        "name": "greeting",
        "type": "text",
        "versions": [1, 2],
        "labels": ["latest", "production", "staging"],
        "tags": ["onboarding"],
        "lastUpdatedAt": greeting["lastUpdatedAt"],
        "lastConfig": {"model": "local-generator", "temperature": 0.2, "max_tokens": 50},
    }
    assert (support["name"], support["type"], support["versions"]) == ("support", "chat", [1, 2])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"name": "support"}, [("support", [1, 2])]),
        ({"label": "production"}, [("greeting", [1]), ("support", [1])]),
        ({"label": "staging"}, [("greeting", [2])]),
        ({"tag": "onboarding"}, [("greeting", [1, 2])]),
        ({"version": 2}, [("greeting", [2]), ("support", [2])]),
        ({"label": "nothing"}, []),
    ],
)
def test_list_filters_narrow_the_versions(
    prompts: dict[str, list[PromptVersion]],
    client: APIClient,
    query: dict[str, Any],
    expected: list[tuple[str, list[int]]],
) -> None:
    body = client.get(BASE, query).json()
    assert [(p["name"], p["versions"]) for p in body["data"]] == expected
    assert body["meta"]["totalItems"] == len(expected)


def test_list_filters_by_when_versions_were_updated(
    prompts: dict[str, list[PromptVersion]], client: APIClient, lead: Any
) -> None:
    before = timezone.now()
    prompt_label_set(version=prompts["support"][1], label="qa", actor=lead)
    later = client.get(BASE, {"fromUpdatedAt": before.isoformat()}).json()["data"]
    assert [(p["name"], p["versions"]) for p in later] == [("support", [2])]
    earlier = client.get(BASE, {"toUpdatedAt": before.isoformat()}).json()["data"]
    assert [(p["name"], p["versions"]) for p in earlier] == [
        ("greeting", [1, 2]),
        ("support", [1]),
    ]
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert client.get(BASE, {"fromUpdatedAt": future}).json()["data"] == []


def test_the_list_pages_the_langfuse_way_in_constant_queries(
    project: Project, client: APIClient, django_assert_num_queries: Any
) -> None:
    for index in range(5):
        make_versions(project, 2, name=f"p{index}")
    client.get(BASE)  # the key, now cached
    with django_assert_num_queries(5):
        body = client.get(BASE, {"limit": 2, "page": 2}).json()
    assert body["meta"] == {"page": 2, "limit": 2, "totalItems": 5, "totalPages": 3}
    assert [(p["name"], p["versions"]) for p in body["data"]] == [("p2", [1, 2]), ("p3", [1, 2])]
    past = client.get(BASE, {"limit": 2, "page": 9}).json()
    assert past["data"] == [] and past["meta"]["totalItems"] == 5


@pytest.mark.parametrize(
    "query", [{"limit": 101}, {"page": 0}, {"fromUpdatedAt": "yesterday"}, {"filter": "[]"}]
)
def test_bad_list_queries_answer_400(
    prompts: dict[str, list[PromptVersion]], client: APIClient, query: dict[str, Any]
) -> None:
    response = client.get(BASE, query)
    assert response.status_code == 400
    assert response.json()["error"][0]["path"] == [next(iter(query))]
