"""The alert pages: leads list, create, edit and acknowledge; lower roles 403, outsiders 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from llmops_core.models import AlertEvent, AlertRule, AuditEvent, Project, Role
from llmops_core.services.alerts import alert_rule_evaluate
from tests.conftest import ROLES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
FORM = {
    "name": "Errors",
    "metric": "error_rate",
    "window": "1h",
    "direction": "above",
    "alert_threshold": "0.2",
    "no_data": "keep",
    "cooldown_seconds": "600",
}


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def base(project: Project) -> str:
    return f"/p/{project.slug}/alerts/"


def test_a_lead_creates_a_rule_and_sees_its_secret_once(
    project: Project, lead: Any, receiver: Any
) -> None:
    client = logged_in(lead)
    assert client.get(base(project) + "new/").status_code == 200
    data = {**FORM, "webhook_url": receiver.url, "emails": "a@example.com, b@example.com"}
    response = client.post(base(project) + "new/", data)
    assert response.status_code == 200 and b"Copy it now" in response.content
    rule = AlertRule.objects.get(name="Errors")
    assert rule.emails == ["a@example.com", "b@example.com"]
    page = client.get(base(project) + f"{rule.pk}/")
    assert b"Copy it now" not in page.content
    listing = client.get(base(project)).content.decode()
    assert "Errors" in listing and "not evaluated yet" in listing


def test_form_errors_come_back_on_their_fields(project: Project, lead: Any) -> None:
    client = logged_in(lead)
    response = client.post(
        base(project) + "new/", {**FORM, "window": "soon", "webhook_url": "http://10.0.0.8/x"}
    )
    assert response.status_code == 400 and b"is not a window" in response.content
    response = client.post(base(project) + "new/", {**FORM, "webhook_url": "http://10.0.0.8/x"})
    assert response.status_code == 400 and b"private address" in response.content
    response = client.post(base(project) + "new/", {**FORM, "alert_threshold": "x"})
    assert response.status_code == 400
    assert not AlertRule.objects.exists()


def test_editing_keeps_state_and_is_audited(project: Project, lead: Any) -> None:
    client = logged_in(lead)
    client.post(base(project) + "new/", FORM)
    rule = AlertRule.objects.get()
    edit = client.get(base(project) + f"{rule.pk}/edit/")
    assert edit.status_code == 200 and b'value="1h"' in edit.content
    response = client.post(
        base(project) + f"{rule.pk}/edit/", {**FORM, "window": "24h", "paused": "on"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.window_seconds == 86400 and rule.paused
    assert AuditEvent.objects.filter(action="alert_rule.update").count() == 1


def test_history_shows_events_and_a_lead_acknowledges(project: Project, lead: Any) -> None:
    rule = AlertRule.objects.create(
        project=project,
        name="<script>alert(1)</script>",
        metric="requests",
        window_seconds=3600,
        alert_threshold=0,
        emails=["ops@example.com"],
    )
    event = alert_rule_evaluate(rule_id=rule.pk, window_end=timezone.now())
    assert event is not None
    client = logged_in(lead)
    page = client.get(base(project) + f"{rule.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Acknowledge" in page and "email: retry" in page
    response = client.post(base(project) + f"events/{event.pk}/acknowledge/")
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.acknowledged_by == lead
    assert "Acknowledge</button>" not in client.get(base(project) + f"{rule.pk}/").content.decode()


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_pages_are_for_leads_only(project: Project, make_member: Any, role: str) -> None:
    rule = AlertRule.objects.create(
        project=project, name="r", metric="requests", window_seconds=3600, alert_threshold=0
    )
    event = alert_rule_evaluate(rule_id=rule.pk, window_end=timezone.now())
    assert isinstance(event, AlertEvent)
    user = UserFactory() if role == "outsider" else make_member(role, f"who-{role}")
    client = logged_in(user)
    codes = [
        client.get(base(project)).status_code,
        client.get(base(project) + "new/").status_code,
        client.post(base(project) + "new/", {**FORM, "name": "x"}).status_code,
        client.get(base(project) + f"{rule.pk}/").status_code,
        client.get(base(project) + f"{rule.pk}/edit/").status_code,
        client.post(base(project) + f"events/{event.pk}/acknowledge/").status_code,
    ]
    expected = {
        "outsider": [404] * 6,
        Role.REVIEWER: [403] * 6,
        Role.ADJUDICATOR: [403] * 6,
        Role.LEAD: [200, 200, 302, 200, 200, 302],
        Role.ADMIN: [200, 200, 302, 200, 200, 302],
    }[role]
    assert codes == expected
