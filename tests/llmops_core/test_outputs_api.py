"""The outputs filter in the API: ``GET .../outputs/`` and a queue made from a filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Queue, QueueItem
from llmops_core.models import ModelOutput, Project, Role
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


@pytest.fixture
def client(api_as: Callable[[object], APIClient], lead: Any) -> APIClient:
    return api_as(lead)


def outputs_url(project: Project) -> str:
    return reverse("api-outputs", args=[project.slug])


def queues_url(project: Project) -> str:
    return reverse("api-queues", args=[project.slug])


def test_outputs_endpoint_filters_by_every_parameter(
    client: APIClient, project: Project, make_member: Callable[..., Any]
) -> None:
    v1, v2 = make_versions(project)
    a, b = make_outputs(project, v1, 3), make_outputs(project, v2, 3)
    reviewer = make_member(Role.REVIEWER, "api-rev")
    rate_all(make_queue(project, [a[0], b[0]], [reviewer], overlap=1), reviewer, lambda o: SCORES)
    judge_scores(project, {a[1]: {"fluency": 1}, b[1]: {"fluency": 5}})

    def got(**params: Any) -> list[int]:
        response = client.get(outputs_url(project), params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert got(prompt_version_id=[v1.pk, v2.pk]) == sorted(o.pk for o in a + b)
    assert got(rated="yes") == [a[0].pk, b[0].pk]
    assert got(rated="no", prompt_version_id=v2.pk) == [b[1].pk, b[2].pk]
    assert got(queue="none", prompt_version_id=v1.pk) == [a[1].pk, a[2].pk]
    assert got(judge_criterion="fluency", judge_max=2) == [a[1].pk]
    assert got(q="q2") == [a[2].pk, b[2].pk]


def test_outputs_endpoint_names_the_bad_parameter(client: APIClient, project: Project) -> None:
    response = client.get(outputs_url(project), {"judge_criterion": "fluency", "judge_min": 7})
    assert response.status_code == 400
    assert response.json()["judge_min"] == ["7 is outside 1-5"]
    assert "judge_min" in response.json()["detail"]
    response = client.get(outputs_url(project), {"prompt_version_id": "abc"})
    assert response.status_code == 400
    assert "prompt_version_id" in response.json()


def test_outputs_endpoint_query_count_does_not_grow_with_the_page(
    client: APIClient, project: Project
) -> None:
    (v1,) = make_versions(project, count=1)
    make_outputs(project, v1, 40)
    params = {"prompt_version_id": v1.pk, "model": v1.model_name, "rated": "no", "queue": "none"}
    counts = []
    for size in (1, 40):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(outputs_url(project), {**params, "page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def queue_body(project: Project, **extra: Any) -> dict[str, Any]:
    return {"name": "from filter", "rubric_version_id": rubric_version(project).pk, **extra}


def test_a_queue_takes_the_outputs_filter(client: APIClient, project: Project) -> None:
    v1, v2 = make_versions(project)
    a, b = make_outputs(project, v1, 3), make_outputs(project, v2, 3)
    ModelOutput.objects.filter(pk=b[2].pk).update(model_name="other")
    body = queue_body(
        project, filter={"prompt_version_id": [v1.pk, v2.pk], "model": ["local-generator"]}
    )
    response = client.post(queues_url(project), body, format="json")
    assert response.status_code == 201, response.content
    items = QueueItem.objects.filter(queue_id=response.json()["id"])
    assert sorted(items.values_list("output_id", flat=True)) == [o.pk for o in a + b[:2]]


def test_an_empty_filter_takes_every_output(client: APIClient, project: Project) -> None:
    (v1,) = make_versions(project, count=1)
    make_outputs(project, v1, 4)
    response = client.post(queues_url(project), queue_body(project, filter={}), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["item_count"] == 4


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({}, "output_ids", "choose the queue's outputs"),
        ({"output_ids": []}, "output_ids", "choose the queue's outputs"),
        (
            {"filter": {"model": ["local-generator"], "rated": "yes"}},
            "filter",
            "the filter matches no outputs",
        ),
        ({"filter": {"judge_criterion": "fluency", "judge_min": 7}}, "filter.judge_min", "outside"),
        ({"filter": {"colour": "red"}}, "filter", '"colour" is not a filter parameter'),
        ({"filter": ["model"]}, "filter", "dictionary"),
    ],
)
def test_a_queue_of_no_outputs_is_refused_saying_why(
    client: APIClient, project: Project, extra: dict[str, Any], field: str, words: str
) -> None:
    (v1,) = make_versions(project, count=1)
    make_outputs(project, v1, 2)
    response = client.post(queues_url(project), queue_body(project, **extra), format="json")
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()[field]), response.json()
    assert not Queue.objects.filter(project=project, name="from filter").exists()


def test_a_queue_filter_sees_only_this_projects_outputs(
    client: APIClient, project: Project
) -> None:
    from tests.factories import ProjectFactory

    other = ProjectFactory()
    (theirs,) = make_versions(other, count=1)
    make_outputs(other, theirs, 3)
    (mine,) = make_versions(project, count=1)
    make_outputs(project, mine, 2)
    response = client.post(queues_url(project), queue_body(project, filter={}), format="json")
    assert response.json()["item_count"] == 2
    body = queue_body(project, name="theirs", filter={"prompt_version_id": [theirs.pk]})
    response = client.post(queues_url(project), body, format="json")
    assert response.status_code == 400
    assert (
        "is not a prompt version of this project" in response.json()["filter.prompt_version_id"][0]
    )


def test_adding_items_by_filter_skips_what_the_queue_holds(
    client: APIClient, project: Project
) -> None:
    (v1,) = make_versions(project, count=1)
    outputs = make_outputs(project, v1, 4)
    queue = make_queue(project, outputs[:1], [])
    url = reverse("api-queue-items", args=[project.slug, queue.pk])
    response = client.post(url, {"filter": {"queue": ["none"]}}, format="json")
    assert response.json() == {"added": 3, "item_count": 4}
    response = client.post(url, {"filter": {"queue": ["none"]}}, format="json")
    assert response.json() == {"added": 0, "item_count": 4}
