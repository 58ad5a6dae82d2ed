"""The alert API: rule CRUD and events for leads, 403 for lower roles, 404 for outsiders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from llmops_core.models import AlertEvent, AlertRule, AuditEvent, Project, Role
from llmops_core.secrets import secret_decrypt
from llmops_core.services.alerts import alert_rule_evaluate
from tests.conftest import ROLES
from tests.factories import UserFactory
from tests.versions.helpers import make_versions

pytestmark = pytest.mark.django_db
GOOD = {"name": "Errors", "metric": "error_rate", "window": "1h", "alert_threshold": 0.2}


def rules_url(project: Project, pk: int | None = None) -> str:
    tail = f"{pk}/" if pk else ""
    return f"/api/projects/{project.slug}/alert-rules/{tail}"


@pytest.fixture
def as_lead(api_as: Callable[[object], APIClient], lead: Any) -> APIClient:
    return api_as(lead)


def test_a_lead_creates_reads_changes_and_deletes_a_rule(
    as_lead: APIClient, project: Project, receiver: Any
) -> None:
    created = as_lead.post(
        rules_url(project),
        {**GOOD, "warning_threshold": 0.1, "webhook_url": receiver.url, "emails": ["a@b.org"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    rule = AlertRule.objects.get(pk=body["id"])
    assert body["webhook_secret"] == secret_decrypt(rule.webhook_secret)  # generated, shown once
    assert (body["window"], body["window_seconds"], body["state"]) == ("1h", 3600, "ok")
    read = as_lead.get(rules_url(project, rule.pk)).json()
    assert "webhook_secret" not in read and read["has_webhook_secret"]
    patched = as_lead.patch(
        rules_url(project, rule.pk), {"window": "7d", "paused": True}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["window"], patched.json()["paused"]) == ("7d", True)
    assert patched.json()["emails"] == ["a@b.org"] and patched.json()["webhook_secret"] is None
    put = as_lead.put(rules_url(project, rule.pk), {**GOOD, "name": "Renamed"}, format="json")
    assert put.status_code == 200 and put.json()["webhook_url"] == ""
    assert as_lead.delete(rules_url(project, rule.pk)).status_code == 204
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="AlertRule")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "alert_rule.create",
        "alert_rule.update",
        "alert_rule.update",
        "alert_rule.delete",
    ]
    assert "secret" not in str(
        AuditEvent.objects.filter(object_type="AlertRule").values_list("after", flat=True)
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"window": "5x"}, "window", "not a window"),
        ({"window": "0m"}, "window", "outside"),
        ({"window": "91d"}, "window", "outside"),
        ({"metric": "nope"}, "metric", ""),
        ({"alert_threshold": "high"}, "alert_threshold", ""),
        ({"warning_threshold": 0.5}, "warning_threshold", "at or below"),
        ({"direction": "below", "warning_threshold": 0.1}, "warning_threshold", "at or above"),
        ({"metric": "human_score"}, "criterion", "needs a criterion"),
        ({"metric": "human_score", "criterion": "nonexistent"}, "criterion", "no rubric"),
        ({"emails": ["not-an-address"]}, "emails", "address 1"),
        ({"emails": "a@b.org"}, "emails", ""),
        ({"emails": [f"u{i}@b.org" for i in range(21)]}, "emails", ""),
        ({"cooldown_seconds": -1}, "cooldown_seconds", ""),
        ({"prompt_version": 987654}, "prompt_version", "not a prompt version"),
        ({"webhook_url": "ftp://example.com/x"}, "webhook_url", "http(s)"),
        ({"webhook_url": "http://10.1.2.3/hook"}, "webhook_url", "private"),
        ({"webhook_url": "http://169.254.169.254/latest"}, "webhook_url", "cloud metadata"),
        (
            {"webhook_url": "http://127.0.0.1:1/x", "webhook_secret": "short"},
            "webhook_secret",
            "16",
        ),
        ({"name": ""}, "name", ""),
        ({"name": "Errors\nBcc: x@y.z"}, "name", "line break"),
        ({"no_data": "maybe"}, "no_data", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    as_lead: APIClient, project: Project, change: dict[str, Any], field: str, words: str
) -> None:
    response = as_lead.post(rules_url(project), {**GOOD, **change}, format="json")
    assert response.status_code == 400, response.json()
    text = str(response.json())
    assert field in text and words in text
    assert not AlertRule.objects.exists()


def test_a_non_finite_threshold_is_a_400(as_lead: APIClient, project: Project) -> None:
    body = '{"name": "x", "metric": "error_rate", "window": "1h", "alert_threshold": NaN}'
    response = as_lead.post(rules_url(project), body, content_type="application/json")
    assert response.status_code == 400


def test_a_duplicate_name_is_a_400(as_lead: APIClient, project: Project) -> None:
    assert as_lead.post(rules_url(project), GOOD, format="json").status_code == 201
    response = as_lead.post(rules_url(project), GOOD, format="json")
    assert response.status_code == 400 and "already has a rule" in response.json()["detail"]


def test_a_prompt_version_of_another_project_is_refused(
    as_lead: APIClient, project: Project
) -> None:
    from tests.factories import ProjectFactory

    (foreign,) = make_versions(ProjectFactory(), 1)
    response = as_lead.post(
        rules_url(project), {**GOOD, "prompt_version": foreign.pk}, format="json"
    )
    assert response.status_code == 400
    (own,) = make_versions(project, 1)
    response = as_lead.post(rules_url(project), {**GOOD, "prompt_version": own.pk}, format="json")
    assert response.status_code == 201 and response.json()["prompt_version"] == own.pk


def test_a_lead_cannot_point_a_webhook_at_loopback_unless_the_operator_allows_it(
    as_lead: APIClient, project: Project, settings: Any
) -> None:
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = []
    for url in ("http://127.0.0.1:8000/x", "http://localhost/x", "http://[::1]/x"):
        response = as_lead.post(rules_url(project), {**GOOD, "webhook_url": url}, format="json")
        assert response.status_code == 400, url
        assert "ALERT_WEBHOOK_ALLOWED_HOSTS" in response.json()["detail"]
    settings.ALERT_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1:8000"]
    response = as_lead.post(
        rules_url(project), {**GOOD, "webhook_url": "http://127.0.0.1:8000/x"}, format="json"
    )
    assert response.status_code == 201


def _event(project: Project, lead: Any) -> AlertEvent:
    rule = AlertRule.objects.create(
        project=project,
        name="r",
        metric="requests",
        window_seconds=3600,
        alert_threshold=0,
        direction="above",
    )
    event = alert_rule_evaluate(rule_id=rule.pk, window_end=timezone.now())
    assert event is not None and event.to_state == "alert"
    return event


def test_events_are_listed_and_acknowledged(
    as_lead: APIClient, project: Project, lead: Any
) -> None:
    event = _event(project, lead)
    listed = as_lead.get(f"/api/projects/{project.slug}/alerts/").json()
    (row,) = listed["results"]
    assert (row["id"], row["to_state"], row["acknowledged_by"]) == (event.pk, "alert", None)
    url = f"/api/projects/{project.slug}/alerts/{event.pk}/acknowledge/"
    first = as_lead.post(url)
    assert first.status_code == 200 and first.json()["acknowledged_by"] == lead.username
    again = as_lead.post(url)
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert AuditEvent.objects.filter(action="alert.acknowledge").count() == 1
    bad = as_lead.get(f"/api/projects/{project.slug}/alerts/?rule=abc")
    assert bad.status_code == 400


def test_an_ok_event_cannot_be_acknowledged(
    as_lead: APIClient, project: Project, lead: Any
) -> None:
    event = _event(project, lead)
    AlertEvent.objects.filter(pk=event.pk).update(to_state="ok")
    response = as_lead.post(f"/api/projects/{project.slug}/alerts/{event.pk}/acknowledge/")
    assert response.status_code == 400


def test_the_event_list_costs_the_same_queries_for_many_events(
    as_lead: APIClient, project: Project, lead: Any, django_assert_max_num_queries: Any
) -> None:
    rule = AlertRule.objects.create(
        project=project, name="r", metric="requests", window_seconds=3600, alert_threshold=0
    )
    now = timezone.now()
    for i in range(30):
        AlertEvent.objects.create(
            rule=rule,
            from_state="ok",
            to_state="alert",
            window_start=now,
            window_end=now + timedelta(minutes=i),
        ).deliveries.create(channel="email")
    with django_assert_max_num_queries(8):
        response = as_lead.get(f"/api/projects/{project.slug}/alerts/")
    assert len(response.json()["results"]) == 30
    with django_assert_max_num_queries(8):
        assert len(as_lead.get(rules_url(project)).json()["results"]) == 1


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_only_leads_and_admins_reach_alerts(
    api_as: Callable[[object], APIClient], project: Project, lead: Any, make_member: Any, role: str
) -> None:
    event = _event(project, lead)
    rule = event.rule
    user = UserFactory() if role == "outsider" else make_member(role, f"who-{role}")
    client = api_as(user)
    calls = [
        client.get(rules_url(project)),
        client.post(rules_url(project), {**GOOD, "name": "x"}, format="json"),
        client.get(rules_url(project, rule.pk)),
        client.patch(rules_url(project, rule.pk), {"paused": True}, format="json"),
        client.get(f"/api/projects/{project.slug}/alerts/"),
        client.post(f"/api/projects/{project.slug}/alerts/{event.pk}/acknowledge/"),
        client.delete(rules_url(project, rule.pk)),
    ]
    codes = [c.status_code for c in calls]
    expected = {
        "outsider": [404] * 7,
        Role.REVIEWER: [403] * 7,
        Role.ADJUDICATOR: [403] * 7,
        Role.LEAD: [200, 201, 200, 200, 200, 200, 204],
        Role.ADMIN: [200, 201, 200, 200, 200, 200, 204],
    }[role]
    assert codes == expected


def test_another_projects_rule_is_a_404(as_lead: APIClient, project: Project, lead: Any) -> None:
    from tests.factories import ProjectFactory

    other = ProjectFactory()
    foreign = AlertRule.objects.create(
        project=other, name="r", metric="requests", window_seconds=60, alert_threshold=1
    )
    assert as_lead.get(rules_url(project, foreign.pk)).status_code == 404
    assert as_lead.delete(rules_url(project, foreign.pk)).status_code == 404
