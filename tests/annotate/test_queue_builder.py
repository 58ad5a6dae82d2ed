"""The queue builder page: versions and models chosen with OR, the count before creating."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Queue, QueueOrder
from llmops_core.models import Project, PromptVersion, Role
from tests.annotate.study import import_file, two_versions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def study(project: Project) -> tuple[PromptVersion, PromptVersion, list[int], list[int]]:
    """150 questions: v1 answered them with model m1, v2 with model m2."""
    v1, v2 = two_versions(project)
    return v1, v2, import_file(project, v1, 150, "m1"), import_file(project, v2, 150, "m2")


def new_queue_post(project: Project, **fields: Any) -> dict[str, Any]:
    version = project.rubrics.get(name="default").versions.get(number=1).pk
    return {
        "name": "Study",
        "rubric_version": version,
        "overlap": 2,
        "lease_minutes": 15,
        "gold_every": 10,
        "order": QueueOrder.RANDOM,
        "blind": "on",
        **fields,
    }


def test_a_version_and_a_model_take_the_outputs_of_either(
    project: Project, lead: Any, study: Any
) -> None:
    """The bug of the issue: v1 and model m2 made 150 items (AND) where the lead meant 300."""
    v1, _, _, _ = study
    client = logged_in(lead)
    response = client.post(
        reverse("queue-new", args=[project.slug]),
        new_queue_post(project, prompt_versions=[v1.pk], models=["m2"]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    queue = Queue.objects.get(name="Study")
    assert queue.item_count == 300 and queue.order == QueueOrder.RANDOM


def test_the_form_says_how_the_choices_combine(project: Project, lead: Any, study: Any) -> None:
    html = logged_in(lead).get(reverse("queue-new", args=[project.slug])).content.decode()
    assert "OR its model is ticked OR its id is listed" in html
    assert 'value="m1"' in html and 'value="m2"' in html


def test_the_preview_counts_without_creating(project: Project, lead: Any, study: Any) -> None:
    v1, v2, _, m2 = study
    client = logged_in(lead)
    preview = reverse("queue-new-preview", args=[project.slug])
    body = client.get(preview, {"prompt_versions": [v1.pk], "models": ["m2"]}).json()
    assert body["count"] == 300
    assert sorted(arm["count"] for arm in body["arms"]) == [150, 150]
    assert client.get(preview, {"output_ids": f"{m2[0]} {m2[1]}"}).json()["count"] == 2
    assert client.get(preview).json() == {"count": 0, "arms": []}
    page = client.post(
        reverse("queue-new", args=[project.slug]),
        new_queue_post(project, prompt_versions=[v2.pk], preview="1"),
    )
    assert page.status_code == 200 and not Queue.objects.exists()
    assert "150 outputs chosen" in page.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"output_ids": "12 x"}, 'output ids are whole numbers, not \\"x\\"'),
        ({"output_ids": "999999"}, "no output of this project has id 999999"),
        ({"prompt_versions": ["abc"]}, "is not a valid value"),
        ({"models": ["nobody"]}, "Select a valid choice"),
    ],
)
def test_a_bad_choice_is_a_400_naming_the_field(
    project: Project, lead: Any, study: Any, query: dict[str, Any], message: str
) -> None:
    response = logged_in(lead).get(reverse("queue-new-preview", args=[project.slug]), query)
    assert response.status_code == 400 and message in response.content.decode()


def test_an_empty_choice_is_refused_with_nothing_made(project: Project, lead: Any) -> None:
    response = logged_in(lead).post(
        reverse("queue-new", args=[project.slug]), new_queue_post(project)
    )
    assert response.status_code == 400 and "Choose the outputs" in response.content.decode()
    assert not Queue.objects.exists()


def test_a_link_prefills_the_chosen_outputs(project: Project, lead: Any, study: Any) -> None:
    _, v2, m1, _ = study
    url = reverse("queue-new", args=[project.slug])
    html = logged_in(lead).get(f"{url}?output={m1[0]}&output={m1[1]}&prompt_version={v2.pk}")
    text = html.content.decode()
    assert re.search(rf">\s*{m1[0]} {m1[1]}</textarea>", text)
    assert re.search(rf'value="{v2.pk}"[^>]*checked', text)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.REVIEWER, 403),
        (Role.ADJUDICATOR, 403),
        (Role.LEAD, 200),
        (Role.ADMIN, 200),
        (None, 404),
    ],
)
def test_only_leads_and_admins_build_queues(
    project: Project, study: Any, make_member: Callable[..., Any], role: str | None, status: int
) -> None:
    v1, _, _, _ = study
    user = make_member(role, "someone") if role else UserFactory(username="outsider")
    client = logged_in(user)
    assert client.get(reverse("queue-new", args=[project.slug])).status_code == status
    preview = client.get(reverse("queue-new-preview", args=[project.slug]), {"models": ["m1"]})
    assert preview.status_code == status
    made = client.post(
        reverse("queue-new", args=[project.slug]),
        new_queue_post(project, prompt_versions=[v1.pk]),
    )
    assert made.status_code == (302 if status == 200 else status)
    assert Queue.objects.exists() == (status == 200)


def test_the_builder_and_its_preview_cost_the_same_queries_for_more_versions(
    project: Project, lead: Any, study: Any
) -> None:
    client = logged_in(lead)
    url = reverse("queue-new", args=[project.slug])
    preview = reverse("queue-new-preview", args=[project.slug])
    client.get(url)

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as counted:
            assert client.get(preview, {"models": ["m1", "m2"]}).status_code == 200
        return len(page), len(counted)

    before = cost()
    for n in range(4):
        more = two_versions(project, name=f"more-{n}")
        import_file(project, more[0], 3, f"x{n}")
    assert cost() == before
    assert before[1] <= 8
