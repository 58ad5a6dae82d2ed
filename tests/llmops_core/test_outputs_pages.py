"""The outputs pages: who may open them, what they cost, how they show untrusted text, and the
"make a queue from these results" link into the new-queue page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Queue, QueueItem
from llmops_core.models import ModelOutput, Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.versions.helpers import (
    judge_scores,
    make_outputs,
    make_queue,
    make_versions,
    rate_all,
    rubric_version,
)

pytestmark = pytest.mark.django_db

SCORES = {"fluency": 4, "relevance": 3, "factuality": 5}
ROLES = ["anonymous", "outsider", "reviewer", "adjudicator", "lead", "admin", "superuser"]
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class World:
    project: Project
    users: dict[str, Any]
    output: ModelOutput  # rated by the reviewer in a blind queue, scored by a judge


@pytest.fixture
def world(project: Project, make_member: Callable[..., Any]) -> World:
    users: dict[str, Any] = {"anonymous": None}
    for role in ("reviewer", "adjudicator", "lead", "admin"):
        users[role] = make_member(role, f"o-{role}")
    users["outsider"] = UserFactory(username="o-outsider")
    MembershipFactory(project=ProjectFactory(), user=users["outsider"], role=Role.ADMIN)
    users["superuser"] = UserFactory(username="o-root", is_superuser=True, is_staff=True)
    (v1,) = make_versions(project, count=1)
    outputs = make_outputs(project, v1, 2)
    queue = make_queue(project, outputs, [users["reviewer"]], overlap=1)
    rate_all(queue, users["reviewer"], lambda o: SCORES)
    judge_scores(project, {outputs[0]: {"fluency": 3}})
    return World(project, users, outputs[0])


PAGES: dict[str, Callable[[World], str]] = {
    "list": lambda w: reverse("output-list", args=[w.project.slug]),
    "detail": lambda w: reverse("output-detail", args=[w.project.slug, w.output.pk]),
    "api-list": lambda w: reverse("api-outputs", args=[w.project.slug]),
    "api-detail": lambda w: reverse("api-output", args=[w.project.slug, w.output.pk]),
}
# Leads and admins (and superusers) only: the pages show and filter by prompt version, model
# and judge score, which blind queues hide from reviewers; non-members get 404.
EXPECTED = {
    "anonymous": (302, 403),
    "outsider": (404, 404),
    "reviewer": (403, 403),
    "adjudicator": (403, 403),
    "lead": (200, 200),
    "admin": (200, 200),
    "superuser": (200, 200),
}


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_the_outputs_pages(world: World, role: str, page: str) -> None:
    user = world.users[role]
    client: Client | APIClient = APIClient() if page.startswith("api") else Client()
    if user is not None:
        client.force_login(user)
    response = client.get(PAGES[page](world))
    html, api = EXPECTED[role]
    expected = api if page.startswith("api") else html
    if role == "anonymous" and page.startswith("api"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == expected, (role, page, response.status_code)
    if response.status_code == 302:
        assert reverse("login") in response["Location"]
    if expected != 200:
        assert "local-generator" not in response.content.decode()


def test_the_project_page_links_the_outputs_list(world: World) -> None:
    client = Client()
    client.force_login(world.users["lead"])
    html = client.get(reverse("project", args=[world.project.slug])).content.decode()
    assert f'href="{reverse("output-list", args=[world.project.slug])}" id="outputs-link"' in html


def lead_client(world: World) -> Client:
    client = Client()
    client.force_login(world.users["lead"])
    return client


def test_the_list_costs_the_same_queries_for_one_output_or_a_full_page(
    world: World, make_member: Callable[..., Any]
) -> None:
    """Labels, queues and judge scores of a page are read in one query each, not per row."""
    client = lead_client(world)
    url = reverse("output-list", args=[world.project.slug])
    params = {
        "q": "answer",
        "model": "local-generator",
        "rated": "yes",
        "queue": ["none", Queue.objects.get().pk],
        "judge_criterion": "fluency",
        "judge_min": "1",
    }
    counts = []
    for size in (1, 50):
        extra = make_outputs(world.project, world.output.prompt_version, size, prefix=f"s{size}-")
        queue = make_queue(world.project, extra, [world.users["reviewer"]], overlap=1)
        rate_all(queue, world.users["reviewer"], lambda o: SCORES)
        judge_scores(world.project, {o: {"fluency": 4} for o in extra})
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {**params, "queue": [*params["queue"], queue.pk]})
        assert response.status_code == 200
        counts.append((len(queries), response.context["page"].object_list.__len__()))
    assert counts[0][1] < counts[1][1] == 50
    assert counts[0][0] == counts[1][0]


def test_untrusted_text_is_escaped_on_both_pages(world: World) -> None:
    ModelOutput.objects.filter(pk=world.output.pk).update(
        output_text=EVIL, input={"question": EVIL}, external_id=EVIL, metadata={"note": EVIL}
    )
    Queue.objects.update(name=EVIL)
    client = lead_client(world)
    for url in (
        reverse("output-list", args=[world.project.slug]),
        reverse("output-detail", args=[world.project.slug, world.output.pk]),
        reverse("output-list", args=[world.project.slug]) + "?q=" + EVIL,
    ):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_a_bad_filter_is_a_400_naming_the_parameter(world: World) -> None:
    client = lead_client(world)
    url = reverse("output-list", args=[world.project.slug])
    response = client.get(url, {"judge_criterion": "fluency", "judge_min": "7"})
    assert response.status_code == 400
    assert "judge_min: 7 is outside 1-5" in response.content.decode()
    response = client.get(url, {"page": "two"})
    assert response.status_code == 400
    assert "page: &#x27;two&#x27; is not a whole number from 1" in response.content.decode()


def test_the_detail_shows_labels_queues_and_judge_scores(world: World) -> None:
    html = (
        lead_client(world)
        .get(reverse("output-detail", args=[world.project.slug, world.output.pk]))
        .content.decode()
    )
    assert "o-reviewer" in html and "local-generator" in html
    assert 'id="label-summary"' in html and "4.00" in html  # fluency's mean
    assert 'id="judge-scores"' in html and "judge v1" in html


def test_the_make_a_queue_link_carries_the_filter_to_the_new_queue_page(world: World) -> None:
    client = lead_client(world)
    slug = world.project.slug
    html = client.get(reverse("output-list", args=[slug]), {"rated": "yes"}).content.decode()
    link = reverse("queue-new", args=[slug]) + "?from_outputs=1&amp;rated=yes"
    assert f'href="{link}"' in html
    url = reverse("queue-new", args=[slug]) + "?from_outputs=1&rated=yes"
    page = client.get(url).content.decode()
    assert "2 outputs" in page and "from the outputs list" in page
    body = {"name": "from list", "rubric_version": rubric_version(world.project).pk}
    body |= {"overlap": 1, "lease_minutes": 15, "disagreement_threshold": 2}
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()
    queue = Queue.objects.get(name="from list")
    assert set(QueueItem.objects.filter(queue=queue).values_list("output_id", flat=True)) == set(
        ModelOutput.objects.filter(project=world.project).values_list("id", flat=True)
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("rated=no", "the filter from the outputs list matches no outputs"),
        ("judge_criterion=fluency&amp;judge_min=9", "judge_min: 9 is outside 1-5"),
    ],
)
def test_a_carried_filter_of_no_outputs_makes_no_queue(
    world: World, query: str, words: str
) -> None:
    client = lead_client(world)
    url = reverse("queue-new", args=[world.project.slug]) + "?from_outputs=1&" + query
    url = url.replace("&amp;", "&")
    assert words in client.get(url).content.decode()
    body = {"name": "empty", "rubric_version": rubric_version(world.project).pk}
    body |= {"overlap": 1, "lease_minutes": 15}
    response = client.post(url, body)
    assert response.status_code == 400
    assert not Queue.objects.filter(name="empty").exists()


def test_an_import_page_makes_a_queue_of_the_outputs_its_rows_stand_for(world: World) -> None:
    from llmops_core.models import ImportJob, ImportJobOutput, JobStatus

    client = lead_client(world)
    slug = world.project.slug
    job = ImportJob.objects.create(
        project=world.project, format="jsonl", original_name="v.jsonl", status=JobStatus.SUCCEEDED
    )
    job.rows_created = 1
    job.save(update_fields=["rows_created"])
    ImportJobOutput.objects.create(job=job, row=1, output=world.output, created=True)
    html = client.get(reverse("import-detail", args=[slug, job.pk])).content.decode()
    link = reverse("queue-new", args=[slug]) + f"?from_outputs=1&amp;import_id={job.pk}"
    assert f'href="{link}"' in html
    url = link.replace("&amp;", "&")
    assert "1 output" in client.get(url).content.decode()
    body = {"name": "from import", "rubric_version": rubric_version(world.project).pk}
    body |= {"overlap": 1, "lease_minutes": 15, "disagreement_threshold": 2}
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()
    queue = Queue.objects.get(name="from import")
    assert list(QueueItem.objects.filter(queue=queue).values_list("output_id", flat=True)) == [
        world.output.pk
    ]
