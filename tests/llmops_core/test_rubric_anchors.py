"""Rubric anchors are text per integer level: anything else is a 400 naming the criterion."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.errors import DomainError
from llmops_core.models import Project, Rubric
from llmops_core.services.rubrics import CriterionSpec, rubric_version_create

pytestmark = pytest.mark.django_db

BAD_ANCHORS = [
    pytest.param({"one": "poor", "5": "great"}, '"one" is not a level', id="word-key"),
    pytest.param({"1.5": "between"}, '"1.5" is not a level', id="decimal-key"),
    pytest.param(["poor", "fair", "good"], "an object of level", id="list"),
    pytest.param("poor to great", "an object of level", id="text"),
    pytest.param({"1": 5}, "level 1: 5 is not text", id="number-text"),
    pytest.param({"1": {"text": "poor"}}, "level 1: an object is not text", id="object-text"),
    pytest.param({"9": "off the scale"}, "anchor for 9 is outside 1-5", id="off-scale"),
]


def lead_api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(("anchors", "reason"), BAD_ANCHORS)
def test_bad_anchors_are_refused_when_a_rubric_is_created(
    project: Project, lead: Any, anchors: Any, reason: str
) -> None:
    response = lead_api(lead).post(
        reverse("api-rubrics", kwargs={"project_slug": project.slug}),
        {"name": "tone", "criteria": [{"name": "tone", "anchors": anchors}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert 'field "criteria.0.anchors"' in detail or 'criterion "tone"' in detail, detail
    assert reason in detail, detail
    assert not Rubric.objects.filter(project=project, name="tone").exists()


@pytest.mark.parametrize(("anchors", "reason"), BAD_ANCHORS)
def test_bad_anchors_are_refused_when_a_rubric_is_versioned(
    project: Project, lead: Any, anchors: Any, reason: str
) -> None:
    rubric = project.rubrics.get()
    response = lead_api(lead).post(
        reverse("api-rubric-versions", kwargs={"project_slug": project.slug, "pk": rubric.pk}),
        {"criteria": [{"name": "tone", "anchors": anchors}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"]
    assert rubric.versions.count() == 1


def test_integer_keys_are_stored_in_their_plain_form(project: Project, lead: Any) -> None:
    response = lead_api(lead).post(
        reverse("api-rubrics", kwargs={"project_slug": project.slug}),
        {"name": "tone", "criteria": [{"name": "tone", "anchors": {"01": "poor", " 5": "great"}}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    criterion = Rubric.objects.get(name="tone").versions.get().criteria.get()
    assert criterion.anchors == {"1": "poor", "5": "great"}
    assert criterion.anchor(1) == "poor"


@pytest.mark.parametrize(
    "anchors", [{"x": "poor"}, ["poor"], {"1": 3}], ids=["word-key", "list", "number-text"]
)
def test_the_service_refuses_bad_anchors_with_a_domain_error(
    project: Project, anchors: Any
) -> None:
    spec = CriterionSpec(name="tone", description="", anchors=anchors)
    with pytest.raises(DomainError, match='criterion "tone"'):
        rubric_version_create(rubric=project.rubrics.get(), criteria=[spec])
