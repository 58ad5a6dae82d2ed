"""Who may do what: every annotation endpoint and page, run once per role.

Roles: anonymous; a reviewer of another project; a reviewer of this project who is not in the
queue; the queue's reviewer; an adjudicator, a lead and an admin of the project (none of them
in the queue). Non-members get 404 so that projects and queues do not leak; members whose role
is too low get 403; only the queue's own reviewers rate in it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Annotation, QueueItem
from annotate.services.assignment import assignment_claim_next
from llmops_core.models import Role
from tests.annotate.helpers import SCORES, make_queue, rate_next
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "stranger", "reviewer", "adjudicator", "lead", "admin"]


@dataclass
class World:
    users: dict[str, Any]
    slug: str
    queue: Any
    item: QueueItem  # leased to the reviewer, not yet rated
    annotation: Annotation  # the reviewer's, on another item


@pytest.fixture
def world(project: Any, make_member: Callable[..., Any]) -> World:
    users: dict[str, Any] = {
        "anonymous": None,
        "stranger": make_member(Role.REVIEWER, "stranger"),
        "reviewer": make_member(Role.REVIEWER, "reviewer"),
        "adjudicator": make_member(Role.ADJUDICATOR, "adjudicator"),
        "lead": make_member(Role.LEAD, "lead"),
        "admin": make_member(Role.ADMIN, "admin"),
    }
    users["outsider"] = UserFactory(username="outsider")
    MembershipFactory(project=ProjectFactory(), user=users["outsider"], role=Role.LEAD)
    queue = make_queue(project, items=4, reviewers=[users["reviewer"]], overlap=2)
    annotation = rate_next(queue, users["reviewer"])
    queue.refresh_from_db()
    item = assignment_claim_next(queue=queue, reviewer=users["reviewer"]).assignment.item
    return World(users=users, slug=project.slug, queue=queue, item=item, annotation=annotation)


def api_url(name: str, w: World, *extra: Any) -> str:
    return reverse(name, args=[w.slug, w.queue.pk, *extra])


# name, method, url, body, expected status per role (anonymous, outsider, stranger, reviewer,
# adjudicator, lead, admin).
API = [
    (
        "next",
        "post",
        lambda w: api_url("api-queue-next", w),
        {},
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "submit",
        "post",
        lambda w: api_url("api-item-submit", w, w.item.pk),
        lambda w: {"client_token": str(uuid.uuid4()), "scores": SCORES},
        [401, 404, 404, 201, 403, 403, 403],
    ),
    (
        "skip",
        "post",
        lambda w: api_url("api-item-skip", w, w.item.pk),
        {"reason": "x"},
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "renew",
        "post",
        lambda w: api_url("api-item-renew", w, w.item.pk),
        {},
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "release",
        "post",
        lambda w: api_url("api-queue-release", w),
        lambda w: {"item_ids": [w.item.pk]},
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "undo",
        "post",
        lambda w: api_url("api-queue-undo", w),
        {},
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "progress",
        "get",
        lambda w: api_url("api-queue-progress", w),
        None,
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "my annotations",
        "get",
        lambda w: api_url("api-queue-annotations", w),
        None,
        [401, 404, 404, 200, 403, 403, 403],
    ),
    (
        "annotation",
        "get",
        lambda w: reverse("api-annotation", args=[w.slug, w.annotation.pk]),
        None,
        [401, 404, 404, 200, 404, 200, 200],
    ),
    (
        "edit annotation",
        "patch",
        lambda w: reverse("api-annotation", args=[w.slug, w.annotation.pk]),
        {"comment": "x"},
        [401, 404, 404, 200, 404, 403, 403],
    ),
    (
        "revisions",
        "get",
        lambda w: reverse("api-annotation-revisions", args=[w.slug, w.annotation.pk]),
        None,
        [401, 404, 404, 200, 404, 200, 200],
    ),
    ("queue", "get", lambda w: api_url("api-queue", w), None, [401, 404, 404, 200, 200, 200, 200]),
    (
        "change queue",
        "patch",
        lambda w: api_url("api-queue", w),
        {"guidelines": "Be kind."},
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "reviewers",
        "get",
        lambda w: api_url("api-queue-reviewers", w),
        None,
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "set reviewers",
        "put",
        lambda w: api_url("api-queue-reviewers", w),
        {"reviewers": [{"username": "reviewer", "quota": 5}]},
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "pins",
        "post",
        lambda w: api_url("api-queue-pins", w),
        lambda w: {"reviewer": "reviewer", "item_ids": [w.item.pk]},
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "items",
        "get",
        lambda w: api_url("api-queue-items", w),
        None,
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "add items",
        "post",
        lambda w: api_url("api-queue-items", w),
        {"output_ids": []},
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "item with ratings",
        "get",
        lambda w: api_url("api-item", w, w.annotation.item_id),
        None,
        [401, 404, 403, 403, 200, 200, 200],
    ),
    (
        "gold",
        "put",
        lambda w: api_url("api-item-gold", w, w.item.pk),
        {"scores": {"fluency": 3}},
        [401, 404, 403, 403, 403, 200, 200],
    ),
    (
        "adjudication stream",
        "post",
        lambda w: api_url("api-queue-adjudication-next", w),
        {},
        [401, 404, 403, 403, 200, 200, 200],
    ),
    (
        "adjudicate",
        "post",
        lambda w: api_url("api-item-adjudicate", w, w.annotation.item_id),
        {"scores": SCORES},
        [401, 404, 403, 403, 200, 200, 200],
    ),
]

PAGES = [
    (
        "queue page",
        lambda w: reverse("queue-detail", args=[w.slug, w.queue.pk]),
        [302, 404, 404, 200, 200, 200, 200],
    ),
    (
        "rating page",
        lambda w: reverse("queue-rate", args=[w.slug, w.queue.pk]),
        [302, 404, 404, 200, 403, 403, 403],
    ),
    (
        "adjudication page",
        lambda w: reverse("queue-adjudicate", args=[w.slug, w.queue.pk]),
        [302, 404, 403, 403, 200, 200, 200],
    ),
    (
        "pairwise page",
        lambda w: reverse("queue-pairwise", args=[w.slug, w.queue.pk]),
        [302, 404, 404, 200, 403, 403, 403],
    ),
    (
        "controls page",
        lambda w: reverse("queue-controls", args=[w.slug, w.queue.pk]),
        [302, 404, 403, 403, 403, 200, 200],
    ),
    (
        "new queue page",
        lambda w: reverse("queue-new", args=[w.slug]),
        [302, 404, 403, 403, 403, 200, 200],
    ),
    ("home", lambda w: reverse("home"), [302, 200, 200, 200, 200, 200, 200]),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "url", "body", "expected"), API, ids=[row[0] for row in API]
)
def test_api_permissions(
    world: World,
    role: str,
    name: str,
    method: str,
    url: Callable[[World], str],
    body: Any,
    expected: list[int],
) -> None:
    client = APIClient()
    if world.users[role] is not None:
        client.force_authenticate(world.users[role])
    data = body(world) if callable(body) else body
    response = getattr(client, method)(url(world), data, format="json")
    assert response.status_code == expected[ROLES.index(role)], response.content[:300]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[row[0] for row in PAGES])
def test_page_permissions(
    world: World, role: str, name: str, url: Callable[[World], str], expected: list[int]
) -> None:
    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    assert client.get(url(world)).status_code == expected[ROLES.index(role)]


def test_reviewer_cannot_see_other_reviewers_ratings(world: World, make_member: Any) -> None:
    """Another reviewer's annotation is a 404 for the queue's reviewer, never its content."""
    other = make_member(Role.REVIEWER, "other")
    from annotate.services.reviewers import queue_set_reviewers

    queue_set_reviewers(queue=world.queue, reviewers=[world.users["reviewer"], other])
    theirs = rate_next(world.queue, other)
    client = APIClient()
    client.force_authenticate(world.users["reviewer"])
    for name in ("api-annotation", "api-annotation-revisions"):
        assert client.get(reverse(name, args=[world.slug, theirs.pk])).status_code == 404
    mine = client.get(reverse("api-queue-annotations", args=[world.slug, world.queue.pk]))
    assert [a["id"] for a in mine.json()["results"]] == [world.annotation.pk]


@pytest.mark.parametrize("role", ["outsider", "stranger"])
def test_no_queue_url_tells_a_hidden_queue_from_a_missing_one(world: World, role: str) -> None:
    """Whoever may not see the queue gets the answer a queue that does not exist gets.

    One rule (``annotate.permissions``) for every page and endpoint of a queue: 404 for a
    queue one may not see or that does not exist, 403 only for a role too low for the action,
    which is decided before the queue is looked up.
    """
    missing = World(**{**world.__dict__, "queue": SimpleNamespace(pk=10**9)})
    api = APIClient()
    api.force_authenticate(world.users[role])
    pages = Client()
    pages.force_login(world.users[role])
    for name, method, url, body, _ in API:
        data = body(world) if callable(body) else body
        answers = [
            getattr(api, method)(url(w), data, format="json").status_code for w in (world, missing)
        ]
        assert answers[0] == answers[1] and answers[0] in (403, 404), (name, answers)
    for name, url, _ in PAGES:
        answers = [pages.get(url(w)).status_code for w in (world, missing)]
        assert answers[0] == answers[1], (name, answers)
