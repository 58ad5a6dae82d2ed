"""Links to a queue's pages are shown to the roles that may open them, and only to those.

The pairwise (side-by-side) page is for the queue's own reviewers: they get a link to it from
the queue page when the queue has pairs, and the version comparison page links it only for
them; leads, adjudicators and admins who are not reviewers of the queue get a 403 there, so no
link. Every link on the queue page opens for the user it was shown to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Queue
from annotate.selectors import queue_output_counts
from annotate.services.queues import queue_create
from llmops_core.models import ModelOutput, Role
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from tests.annotate.helpers import make_queue

pytestmark = pytest.mark.django_db

ROLES = ["stranger", "reviewer", "adjudicator", "lead", "admin"]
HREF = re.compile(r'href="(/p/[^"]+)"')


def _pair_queue(project: Any, reviewers: list[Any]) -> Queue:
    """A queue where two versions of one prompt answered the same two inputs."""
    template = prompt_template_create(project=project, name="answer")
    v1 = prompt_version_create(template=template, template_text="{{ q }}", model_name="m")[0]
    v2 = prompt_version_create(template=template, template_text="{{ q }}!", model_name="m")[0]
    queue = make_queue(project, items=4, reviewers=reviewers)
    outputs = list(ModelOutput.objects.filter(queue_items__queue=queue).order_by("id"))
    for n, output in enumerate(outputs):
        output.prompt_version = v1 if n % 2 == 0 else v2
        output.input = {"question": f"Question {n // 2}?"}
        output.input_hash = f"hash-{n // 2}"
        output.save()
    return queue


@pytest.fixture
def users(make_member: Callable[..., Any]) -> dict[str, Any]:
    return {
        "stranger": make_member(Role.REVIEWER, "stranger"),
        "reviewer": make_member(Role.REVIEWER, "reviewer"),
        "adjudicator": make_member(Role.ADJUDICATOR, "adjudicator"),
        "lead": make_member(Role.LEAD, "lead"),
        "admin": make_member(Role.ADMIN, "admin"),
    }


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _links(html: str, slug: str) -> list[str]:
    return sorted({href for href in HREF.findall(html) if href.startswith(f"/p/{slug}/")})


@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_the_queue_page_opens_for_whoever_sees_it(
    project: Any, users: dict[str, Any], role: str
) -> None:
    queue = _pair_queue(project, [users["reviewer"]])
    client = _client(users[role])
    page = client.get(reverse("queue-detail", args=[project.slug, queue.pk]))
    if role == "stranger":
        assert page.status_code == 404
        return
    assert page.status_code == 200
    pairwise = reverse("queue-pairwise", args=[project.slug, queue.pk])
    links = _links(page.content.decode(), project.slug)
    assert (pairwise in links) == (role == "reviewer")
    for href in links:
        assert client.get(href).status_code == 200, f"{role} is shown {href} but cannot open it"


def test_no_pairwise_link_when_the_queue_has_no_pairs(project: Any, users: dict[str, Any]) -> None:
    queue = make_queue(project, items=3, reviewers=[users["reviewer"]])
    page = _client(users["reviewer"]).get(reverse("queue-detail", args=[project.slug, queue.pk]))
    assert reverse("queue-pairwise", args=[project.slug, queue.pk]) not in page.content.decode()


def test_queues_of_a_version_say_which_ones_the_user_reviews(
    project: Any, users: dict[str, Any]
) -> None:
    """The comparison page links a queue's pairwise page only when ``mine`` (it would be 403)."""
    queue = _pair_queue(project, [users["reviewer"], users["lead"]])
    other = _pair_queue_again(project, queue)
    version_id = (
        ModelOutput.objects.filter(queue_items__queue=queue)
        .values_list("prompt_version_id", flat=True)
        .first()
    )
    assert version_id is not None
    for user, mine in ((users["reviewer"], {queue.pk}), (users["admin"], set())):
        rows = queue_output_counts(prompt_version_id=version_id, reviewer=user)
        assert {r["id"] for r in rows} == {queue.pk, other.pk}
        assert {r["id"] for r in rows if r["mine"]} == mine


def _pair_queue_again(project: Any, queue: Queue) -> Queue:
    """A second queue over the same outputs, with no reviewers."""
    ids = list(ModelOutput.objects.filter(queue_items__queue=queue).values_list("id", flat=True))
    return queue_create(
        project=project,
        name="second",
        rubric_version=queue.rubric_version,
        overlap=1,
        output_ids=ids,
    )
