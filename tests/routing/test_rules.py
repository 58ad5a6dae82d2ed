"""Routing rules through the API and pages: versions, revisions, audit, refusals, roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Queue
from annotate.services.queues_state import queue_transition
from llmops_core.models import (
    AuditEvent,
    Project,
    Role,
    RoutingRule,
    RoutingRuleRevision,
)
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def _list_url(project: Project) -> str:
    return reverse("api-routing-rules", kwargs={"project_slug": project.slug})


def _url(project: Project, pk: int, name: str = "api-routing-rule") -> str:
    return reverse(name, kwargs={"project_slug": project.slug, "pk": pk})


def test_an_edit_makes_a_new_version_and_keeps_the_previous_definition(
    project: Project, lead: Any, queue: Queue, api_as: Callable[..., APIClient]
) -> None:
    api = api_as(lead)
    response = api.post(
        _list_url(project),
        {"name": "QA sample", "queue": queue.pk, "rate_percent": "10", "filter": {"tag": ["vip"]}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["inclusion_probability"]) == (1, 0.1)
    pk = body["id"]
    response = api.patch(_url(project, pk), {"rate_percent": "20"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and [r["version"] for r in body["revisions"]] == [2, 1]
    assert body["revisions"][1]["definition"]["rate_percent"] == "10.000"
    assert body["revisions"][0]["definition"]["rate_percent"] == "20.000"
    # Saving the same definition again is no edit.
    assert (
        api.patch(_url(project, pk), {"rate_percent": "20"}, format="json").json()["version"] == 2
    )
    actions = list(
        AuditEvent.objects.filter(object_type="RoutingRule")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["routing_rule.create", "routing_rule.update"]
    update = AuditEvent.objects.get(action="routing_rule.update")
    assert (update.before["rate_percent"], update.after["rate_percent"]) == ("10.000", "20.000")
    assert api.post(_url(project, pk, "api-routing-rule-pause")).json()["paused"] is True
    assert api.post(_url(project, pk, "api-routing-rule-resume")).json()["paused"] is False
    assert (
        AuditEvent.objects.filter(action__in=["routing_rule.pause", "routing_rule.resume"]).count()
        == 2
    )
    assert api.delete(_url(project, pk)).status_code == 204
    assert (
        not RoutingRule.objects.exists()
        and AuditEvent.objects.filter(action="routing_rule.delete").exists()
    )


def _archived(project: Project) -> int:
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    from annotate.services.queues import queue_create

    old = queue_create(project=project, name="old", rubric_version=rubric_version)
    queue_transition(queue=old, action="archive")
    return old.pk


BAD = [
    ({"queue": "QUEUE", "filter": {"colour": ["red"]}}, '"colour" is not a filter key'),
    ({"queue": "QUEUE", "rate_percent": "0"}, 'field "rate_percent"'),
    ({"queue": "QUEUE", "rate_percent": "150"}, 'field "rate_percent"'),
    ({"queue": "QUEUE", "day_cap": 0}, 'field "day_cap"'),
    ({}, 'field "queue": give a queue'),
    ({"queue": "QUEUE", "judge_day_budget": "5"}, "a budget needs a judge version"),
    ({"queue": "OTHER"}, "is not a queue of this project"),
    ({"queue": "ARCHIVED"}, "archived"),
    ({"queue": "QUEUE", "filter": {"metadata": ["region"]}}, "is not of the form key=value"),
    ({"queue": "QUEUE", "filter": {"length_min": 9, "length_max": 2}}, "below length_min"),
    ({"queue": "QUEUE", "filter": {"judge_criterion": "fluency", "judge_min": 9}}, "outside 1-5"),
    ({"queue": "QUEUE", "filter": {"status": "broken"}}, 'key "status"'),
    ({"queue": "QUEUE", "filter": ["x"]}, "give an object"),
    ({"queue": "QUEUE", "judge_version": 999999}, "is not a judge version"),
    ({"queue": "QUEUE", "surprise": 1}, "not a field of a rule"),
    ({"queue": "QUEUE", "filter": {"queue": ["none"]}}, '"queue" cannot narrow a rule'),
    ({"queue": "QUEUE", "rate_percent": "ten"}, "rate_percent"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(
    project: Project,
    lead: Any,
    queue: Queue,
    api_as: Callable[..., APIClient],
    data: dict[str, Any],
    message: str,
) -> None:
    ids = {
        "QUEUE": queue.pk,
        "ARCHIVED": _archived(project),
        "OTHER": _other_queue(),
    }
    data = {
        "name": "rule",
        **{k: ids.get(v, v) if isinstance(v, str) else v for k, v in data.items()},
    }
    before = AuditEvent.objects.count()
    response = api_as(lead).post(_list_url(project), data, format="json")
    assert response.status_code == 400, response.content
    assert message in str(response.json())
    assert not RoutingRule.objects.exists() and not RoutingRuleRevision.objects.exists()
    assert AuditEvent.objects.count() == before


def _other_queue() -> int:
    from annotate.services.queues import queue_create

    other = ProjectFactory()
    rubric_version = other.rubrics.get(name="default").versions.get(number=1)
    return queue_create(project=other, name="theirs", rubric_version=rubric_version).pk


def test_a_bad_edit_is_a_400_and_leaves_the_rule_as_it_was(
    project: Project, lead: Any, queue: Queue, api_as: Callable[..., APIClient]
) -> None:
    api = api_as(lead)
    pk = api.post(_list_url(project), {"name": "r", "queue": queue.pk}, format="json").json()["id"]
    response = api.patch(_url(project, pk), {"rate_percent": "-3"}, format="json")
    assert response.status_code == 400
    rule = RoutingRule.objects.get(pk=pk)
    assert (rule.version, rule.rate_percent, rule.revisions.count()) == (1, None, 1)


@pytest.mark.parametrize(
    ("role", "status"),
    [("reviewer", 403), ("adjudicator", 403), ("lead", 200), ("admin", 200), ("outsider", 404)],
)
def test_only_leads_see_and_change_rules(
    project: Project,
    queue: Queue,
    make_member: Callable[..., Any],
    api_as: Callable[..., APIClient],
    client: Client,
    role: str,
    status: int,
) -> None:
    rule = RoutingRule.objects.create(project=project, name="r", queue=queue)
    if role == "outsider":
        user = make_member(Role.LEAD, "outsider", proj=ProjectFactory())
    else:
        user = make_member(role, f"user-{role}")
    assert api_as(user).get(_list_url(project)).status_code == status
    patched = api_as(user).patch(_url(project, rule.pk), {"day_cap": 3}, format="json")
    assert patched.status_code == status
    client.force_login(user)
    page = client.get(reverse("routing-rules", kwargs={"project_slug": project.slug}))
    assert page.status_code == status
    paused = client.post(
        reverse("routing-rule-pause", kwargs={"project_slug": project.slug, "pk": rule.pk})
    )
    assert paused.status_code == (302 if status == 200 else status)
    rule.refresh_from_db()
    assert rule.paused == (status == 200) and (rule.day_cap == 3) == (status == 200)


def test_the_pages_create_edit_and_show_the_history(
    project: Project, lead: Any, queue: Queue, client: Client
) -> None:
    client.force_login(lead)
    slug = project.slug
    bad = client.post(
        reverse("routing-rule-new", kwargs={"project_slug": slug}),
        {"name": "x", "filter": "{not json", "queue": queue.pk},
    )
    assert bad.status_code == 400 and not RoutingRule.objects.exists()
    response = client.post(
        reverse("routing-rule-new", kwargs={"project_slug": slug}),
        {
            "name": "<b>QA</b>",
            "filter": '{"tag": ["<i>vip</i>"]}',
            "queue": queue.pk,
            "rate_percent": "5",
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    edit = reverse("routing-rule-edit", kwargs={"project_slug": slug, "pk": rule.pk})
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"name": "<b>QA</b>", "queue": queue.pk, "day_cap": "50"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.version, rule.day_cap, rule.filter) == (2, 50, {})
    listing = client.get(reverse("routing-rules", kwargs={"project_slug": slug})).content.decode()
    assert "&lt;b&gt;QA&lt;/b&gt;" in listing and "<b>QA</b>" not in listing
    assert "not known exactly" in listing
    history = client.get(
        reverse("routing-rule-history", kwargs={"project_slug": slug, "pk": rule.pk})
    ).content.decode()
    assert "v2" in history and "v1" in history and "&lt;i&gt;vip&lt;/i&gt;" in history


def test_the_list_api_costs_the_same_few_queries_for_many_rules(
    project: Project,
    lead: Any,
    queue: Queue,
    api_as: Callable[..., APIClient],
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    for i in range(30):
        RoutingRule.objects.create(project=project, name=f"r{i}", queue=queue)
    api = api_as(lead)
    with django_assert_max_num_queries(6):
        response = api.get(_list_url(project))
    assert response.status_code == 200 and response.json()["count"] == 30


def test_the_list_page_costs_the_same_queries_for_one_rule_or_many(
    project: Project,
    lead: Any,
    queue: Queue,
    client: Client,
    make_judge: Callable[..., Any],
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from llmops_core.models import RoutingRuleDay

    judge = make_judge()
    client.force_login(lead)
    url = reverse("routing-rules", kwargs={"project_slug": project.slug})

    def add(n: int) -> None:
        for i in range(n):
            rule = RoutingRule.objects.create(
                project=project,
                name=f"r{RoutingRule.objects.count()}-{i}",
                queue=queue,
                judge_version=judge,
                judge_day_budget=5,
                filter={"prompt_version_id": [1]},
            )
            RoutingRuleDay.objects.create(rule=rule, date=timezone.localdate(), seen=3)

    add(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(one)):
        page = client.get(url)
    assert page.content.decode().count("of a $5.00 cap") == 21
