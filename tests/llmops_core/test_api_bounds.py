"""Numbers and names that fit their columns: a 400 naming the field, never a database overflow.

PostgreSQL refuses 40,000 in a smallint and 90 characters in a varchar(64) (a 500 before these
checks); SQLite stores both. The API checks the columns' ranges itself, so both databases
answer the same, and the schema carries the bounds for clients and the API fuzzing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Annotation, Queue, QueueReviewer
from llmops_core.api.fields import COLUMN_RANGES
from llmops_core.models import Criterion, LLMEndpoint, Project
from tests.annotate.helpers import SCORES, make_queue

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def queue(project: Project, lead: Any, reviewer: Any) -> Queue:
    return make_queue(project, items=2, reviewers=[reviewer], created_by=lead)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gold_every", 40_000),
        ("disagreement_threshold", 40_000),
        ("overlap", 40_000),
        ("lease_seconds", 3_000_000_000),
        ("lease_seconds", 90_000),
    ],
)
def test_a_queue_setting_outside_its_range_is_a_400(
    queue: Queue, lead: Any, field: str, value: int
) -> None:
    url = reverse("api-queue", args=[queue.project.slug, queue.pk])
    response = client_for(lead).patch(url, {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert f'field "{field}"' in response.json()["detail"]
    before = Queue.objects.get(pk=queue.pk)
    assert getattr(before, field) != value


def test_the_largest_value_a_column_holds_is_accepted(queue: Queue, lead: Any) -> None:
    url = reverse("api-queue", args=[queue.project.slug, queue.pk])
    response = client_for(lead).patch(url, {"gold_every": 32767}, format="json")
    assert response.status_code == 200, response.content
    assert Queue.objects.get(pk=queue.pk).gold_every == 32767


def test_a_new_queue_with_an_overflowing_threshold_is_a_400(project: Project, lead: Any) -> None:
    response = client_for(lead).post(
        reverse("api-queues", args=[project.slug]),
        {
            "name": "big",
            "rubric_version_id": project.rubrics.get().versions.get().pk,
            "disagreement_threshold": 40_000,
        },
        format="json",
    )
    assert response.status_code == 400 and "disagreement_threshold" in response.json()["detail"]
    assert not Queue.objects.filter(name="big").exists()


def test_a_quota_or_active_time_past_the_column_is_a_400(
    queue: Queue, lead: Any, reviewer: Any
) -> None:
    slug = queue.project.slug
    quota = client_for(lead).put(
        reverse("api-queue-reviewers", args=[slug, queue.pk]),
        {"reviewers": [{"username": reviewer.username, "quota": 3_000_000_000}]},
        format="json",
    )
    assert quota.status_code == 400 and "quota" in quota.json()["detail"], quota.content
    assert QueueReviewer.objects.get(queue=queue, reviewer=reviewer).quota is None
    client = client_for(reviewer)
    item = client.post(reverse("api-queue-next", args=[slug, queue.pk]), {}, format="json").json()[
        "next"
    ]["item"]
    submit = client.post(
        reverse("api-item-submit", args=[slug, queue.pk, item]),
        {"client_token": str(uuid.uuid4()), "scores": SCORES, "active_ms": 3_000_000_000},
        format="json",
    )
    assert submit.status_code == 400 and "active_ms" in submit.json()["detail"], submit.content
    assert not Annotation.objects.exists()


def test_a_long_project_name_gets_a_slug_that_fits(admin_client_api: APIClient) -> None:
    name = "Quarterly evaluation of the customer support assistant " * 2
    response = admin_client_api.post(reverse("api-projects"), {"name": name[:90]}, format="json")
    assert response.status_code == 201, response.content
    slug = response.json()["slug"]
    assert len(slug) <= 64 and slug.startswith("quarterly-evaluation-of-the")
    assert not slug.endswith("-")
    assert Project.objects.get(slug=slug).name == name[:90]


def test_a_slug_given_too_long_is_a_400(admin_client_api: APIClient) -> None:
    response = admin_client_api.post(
        reverse("api-projects"), {"name": "x", "slug": "a" * 65}, format="json"
    )
    assert response.status_code == 400 and 'field "slug"' in response.json()["detail"]


@pytest.fixture
def admin_client_api(db: None) -> APIClient:
    staff = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    return client_for(staff)


# Every integer a write endpoint stores as it is, and the column it goes to. The schema must
# bound each one within the column's range, so clients and the fuzzer know the limits.
STORED: list[tuple[str, str, str, type[models.Model], str]] = [
    ("patch", "/api/projects/{project_slug}/queues/{id}/", "gold_every", Queue, "gold_every"),
    ("patch", "/api/projects/{project_slug}/queues/{id}/", "overlap", Queue, "overlap"),
    ("patch", "/api/projects/{project_slug}/queues/{id}/", "max_overlap", Queue, "max_overlap"),
    (
        "patch",
        "/api/projects/{project_slug}/queues/{id}/",
        "disagreement_threshold",
        Queue,
        "disagreement_threshold",
    ),
    ("patch", "/api/projects/{project_slug}/queues/{id}/", "lease_seconds", Queue, "lease_seconds"),
    (
        "post",
        "/api/projects/{project_slug}/queues/",
        "disagreement_threshold",
        Queue,
        "disagreement_threshold",
    ),
    ("post", "/api/projects/{project_slug}/queues/", "lease_seconds", Queue, "lease_seconds"),
    (
        "post",
        "/api/projects/{project_slug}/queues/{id}/items/{item_id}/submit/",
        "active_ms",
        Annotation,
        "active_ms",
    ),
    (
        "post",
        "/api/projects/{project_slug}/llm-endpoints/",
        "concurrency",
        LLMEndpoint,
        "concurrency",
    ),
    (
        "post",
        "/api/projects/{project_slug}/llm-endpoints/",
        "timeout_seconds",
        LLMEndpoint,
        "timeout_seconds",
    ),
]


def _request_schema(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]


@pytest.mark.parametrize(("method", "path", "prop", "model", "column"), STORED)
def test_the_schema_bounds_every_stored_integer_within_its_column(
    api: APIClient, method: str, path: str, prop: str, model: type[models.Model], column: str
) -> None:
    schema = api.get("/api/schema/?format=json").json()
    spec = _request_schema(schema, method, path)["properties"][prop]
    low, high = COLUMN_RANGES[model._meta.get_field(column).get_internal_type()]
    assert "minimum" in spec and "maximum" in spec, (path, prop, spec)
    assert low <= spec["minimum"] <= spec["maximum"] <= high, (path, prop, spec)


def test_nested_stored_integers_are_bounded_too(api: APIClient) -> None:
    schema = api.get("/api/schema/?format=json").json()
    reviewers = schema["components"]["schemas"]["ReviewerQuotaRequest"]["properties"]["quota"]
    assert reviewers["maximum"] <= COLUMN_RANGES["PositiveIntegerField"][1]
    criterion = schema["components"]["schemas"]["CriterionRequest"]["properties"]
    smallint = COLUMN_RANGES[Criterion._meta.get_field("scale_max").get_internal_type()]
    assert (criterion["scale_max"]["minimum"], criterion["scale_max"]["maximum"]) == smallint
