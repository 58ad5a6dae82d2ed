"""Serving prompts to applications: token auth, roles, label/version lookups, ETag, cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from llmops_core.models import Project, PromptLabel, Role
from llmops_core.services.gates import release_gate_update
from llmops_core.services.promotion import prompt_promote
from llmops_core.services.prompts import prompt_label_set
from llmops_core.services.tokens import token_create
from tests.factories import ProjectFactory
from tests.versions.helpers import make_versions

pytestmark = pytest.mark.django_db
URL = "/api/prompts/support/"


@pytest.fixture
def empty_cache() -> None:
    """Start from an empty cache: ids of rolled-back test rows can come back."""
    cache.clear()


@pytest.fixture
def served(project: Project, lead: Any, empty_cache: None) -> dict[str, Any]:
    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    return {"v1": v1, "v2": v2}


def client_for(user: Any) -> APIClient:
    _, key = token_create(user=user, name="app")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_serves_the_production_version_with_an_etag(
    served: dict[str, Any], lead: Any, project: Project
) -> None:
    response = client_for(lead).get(URL)
    assert response.status_code == 200, response.content
    v1 = served["v1"]
    assert response.json() == {
        "project": project.slug,
        "name": "support",
        "version": 1,
        "label": "production",
        "template_text": v1.template_text,
        "system_message": "You are helpful.",
        "model": "local-generator",
        "parameters": {"temperature": 0.1},
        "content_hash": v1.content_hash,
    }
    assert response["ETag"] == f'"{v1.content_hash}:production"'


def test_serves_a_version_by_number(served: dict[str, Any], lead: Any) -> None:
    response = client_for(lead).get(URL, {"version": 2})
    assert response.json()["version"] == 2 and response.json()["label"] is None
    assert response["ETag"] == f'"{served["v2"].content_hash}"'


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"label": "staging"}, 404),
        ({"version": 9}, 404),
        ({"label": "production", "version": 1}, 400),
        ({"version": "x"}, 400),
    ],
)
def test_bad_lookups(served: dict[str, Any], lead: Any, query: dict[str, Any], code: int) -> None:
    assert client_for(lead).get(URL, query).status_code == code


def test_if_none_match_gives_304(served: dict[str, Any], lead: Any) -> None:
    client = client_for(lead)
    etag = client.get(URL)["ETag"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert client.get(URL, HTTP_IF_NONE_MATCH='W/"other", ' + etag).status_code == 304
    assert client.get(URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_cached_lookup_costs_only_the_auth_and_project_queries(
    served: dict[str, Any], lead: Any, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    client = client_for(lead)
    client.get(URL)
    with django_assert_max_num_queries(3):
        assert client.get(URL).status_code == 200


def test_a_promotion_invalidates_the_cached_label(
    project: Project,
    served: dict[str, Any],
    lead: Any,
    admin: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = client_for(lead)
    old = client.get(URL)["ETag"]
    release_gate_update(project=project, rules=[], actor=admin)
    with django_capture_on_commit_callbacks(execute=True):
        prompt_promote(version=served["v2"], actor=lead)
    response = client.get(URL, HTTP_IF_NONE_MATCH=old)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] == f'"{served["v2"].content_hash}:production"'


def test_a_label_moved_behind_the_services_back_is_served_on_the_next_request(
    served: dict[str, Any], lead: Any
) -> None:
    """The label is read from the database on every request; no invalidation is needed."""
    client = client_for(lead)
    assert client.get(URL).json()["version"] == 1
    PromptLabel.objects.filter(name="production").update(version=served["v2"])
    assert client.get(URL).json()["version"] == 2


@pytest.mark.parametrize(
    ("role", "code"),
    [(Role.REVIEWER, 403), (Role.ADJUDICATOR, 403), (Role.LEAD, 200), (Role.ADMIN, 200)],
)
def test_roles(
    served: dict[str, Any], make_member: Callable[..., Any], role: str, code: int
) -> None:
    assert client_for(make_member(role)).get(URL).status_code == code


def test_non_members_and_anonymous_users_are_refused(served: dict[str, Any]) -> None:
    from tests.factories import UserFactory

    assert client_for(UserFactory()).get(URL).status_code == 404
    assert APIClient().get(URL).status_code in (401, 403)


def test_a_prompt_in_several_projects_needs_the_project(
    served: dict[str, Any], lead: Any, project: Project, make_member: Callable[..., Any]
) -> None:
    other = ProjectFactory()
    make_member(Role.LEAD, "the-lead", proj=other)
    (w1,) = make_versions(other, 1)
    prompt_label_set(version=w1, label="production", actor=lead)
    client = client_for(lead)
    response = client.get(URL)
    assert response.status_code == 400 and "add ?project=SLUG" in response.json()["project"]
    assert client.get(URL, {"project": other.slug}).json()["project"] == other.slug
    assert client.get(URL, {"project": project.slug}).json()["project"] == project.slug
    assert client.get(URL, {"project": "nope"}).status_code == 404
