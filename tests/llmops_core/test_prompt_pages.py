"""The prompt template pages: list, create, then reach the new-version form; who may use them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from llmops_core.models import Project, PromptTemplate, Role
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = [None, "outsider", Role.REVIEWER, Role.ADJUDICATOR, Role.LEAD, Role.ADMIN]


def _client_as(role: str | None, project: Project, make_member: Callable[..., object]) -> Client:
    client = Client()
    if role == "outsider":
        user = UserFactory()
        ProjectFactory().memberships.create(user=user, role=Role.ADMIN)
        client.force_login(user)
    elif role is not None:
        client.force_login(make_member(role))  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("role", ROLES)
def test_only_leads_and_admins_list_and_create_prompts(
    role: str | None, project: Project, make_member: Callable[..., object]
) -> None:
    client = _client_as(role, project, make_member)
    pages = [reverse(name, args=[project.slug]) for name in ("prompt-list", "prompt-new")]
    responses = [client.get(page) for page in pages]
    created = client.post(pages[1], {"name": "faq", "description": "d"})
    codes = [r.status_code for r in responses] + [created.status_code]
    expected = {
        None: [302, 302, 302],
        "outsider": [404, 404, 404],
        Role.REVIEWER: [403, 403, 403],
        Role.ADJUDICATOR: [403, 403, 403],
        Role.LEAD: [200, 200, 302],
        Role.ADMIN: [200, 200, 302],
    }[role]
    assert codes == expected
    allowed = role in (Role.LEAD, Role.ADMIN)
    assert PromptTemplate.objects.filter(project=project).exists() == allowed
    if role is None:
        assert all("/accounts/login/" in r["Location"] for r in [*responses, created])


def test_a_new_prompt_leads_to_its_first_version(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    response = client.post(
        reverse("prompt-new", args=[project.slug]),
        {"name": "travel-faq", "description": "Line one\r\nline two\rthree"},
    )
    history = reverse("prompt-history", args=[project.slug, "travel-faq"])
    assert response.status_code == 302 and response["Location"] == f"{history}?new=1#new-version"
    template = PromptTemplate.objects.get(project=project)
    assert template.description == "Line one\nline two\nthree"
    page = client.get(response["Location"]).content.decode()
    assert 'id="new-version" open' in page and 'data-testid="new-version"' in page


def test_a_taken_or_bad_name_is_refused_with_the_reason(
    client: Client, project: Project, lead: object
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    prompt_template_create(project=project, name="faq")
    url = reverse("prompt-new", args=[project.slug])
    taken = client.post(url, {"name": "faq"})
    assert taken.status_code == 400 and "already has a prompt named" in taken.content.decode()
    bad = client.post(url, {"name": "two words"})
    assert bad.status_code == 400 and PromptTemplate.objects.count() == 1


def test_the_list_shows_versions_and_links_to_a_new_version(
    client: Client,
    project: Project,
    lead: object,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    for i in range(12):
        template = prompt_template_create(project=project, name=f"p-{i:02}")
        for n in range(3):
            prompt_version_create(template=template, template_text=f"t{n}", model_name="m")
    with django_assert_max_num_queries(10):
        body = client.get(reverse("prompt-list", args=[project.slug])).content.decode()
    assert body.count("New version</a>") == 12 and "(newest v3)" in body
    new_version = reverse("prompt-history", args=[project.slug, "p-00"]) + "?new=1#new-version"
    assert new_version in body


def test_names_and_descriptions_are_escaped(client: Client, project: Project, lead: object) -> None:
    client.force_login(lead)  # type: ignore[arg-type]
    prompt_template_create(project=project, name="x", description="<script>alert(1)</script>")
    body = client.get(reverse("prompt-list", args=[project.slug])).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    refused = client.post(reverse("prompt-new", args=[project.slug]), {"name": "<b>x</b>"})
    assert "<b>x</b>" not in refused.content.decode()
