"""Alerts in Chromium: a lead creates a rule, reads its history and acknowledges an alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from llmops_core.models import AlertEvent, AlertRule, ModelOutput, OutputStatus, Project, Role
from llmops_core.services.alerts import alert_delivery_attempt, alert_rule_evaluate
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.factories import MembershipFactory, ModelOutputFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _traffic(project: Project, errors: int, total: int, minutes_ago: int) -> None:
    made = [
        ModelOutputFactory(project=project, status=OutputStatus.ERROR if i < errors else "ok")
        for i in range(total)
    ]
    ModelOutput.objects.filter(pk__in=[o.pk for o in made]).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_a_lead_sets_up_an_alert_and_acknowledges_it(page: Any, live_server: Any) -> None:
    project = ProjectFactory(name="Support bot", slug="support")
    lead = UserFactory(username="lead")
    MembershipFactory(project=project, user=lead, role=Role.LEAD)
    log_in(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/p/support/alerts/new/")
    page.fill("#id_name", "Error rate")
    page.select_option("#id_metric", "error_rate")
    page.fill("#id_window", "1h")
    page.fill("#id_warning_threshold", "0.05")
    page.fill("#id_alert_threshold", "0.1")
    page.fill("#id_cooldown_seconds", "900")
    page.fill("#id_webhook_url", "http://10.0.0.9/hooks/alerts")
    page.click("#save-rule")
    page.wait_for_selector("p.error")
    assert "private address" in page.inner_text(".field-webhook_url")
    page.fill("#id_webhook_url", "")
    page.fill("#id_emails", "oncall@example.com")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "alert-rule-form.png"), full_page=True)
    page.click("#save-rule")
    page.wait_for_selector("#rule-state")
    rule = AlertRule.objects.get(name="Error rate")
    now = timezone.now().replace(second=0, microsecond=0)
    _traffic(project, errors=1, total=40, minutes_ago=150)
    alert_rule_evaluate(rule_id=rule.pk, window_end=now - timedelta(minutes=120))
    _traffic(project, errors=3, total=40, minutes_ago=70)
    alert_rule_evaluate(rule_id=rule.pk, window_end=now - timedelta(minutes=60))
    _traffic(project, errors=9, total=40, minutes_ago=20)
    alert_rule_evaluate(rule_id=rule.pk, window_end=now)
    for event in AlertEvent.objects.filter(rule=rule):
        for delivery in event.deliveries.all():
            alert_delivery_attempt(delivery_id=delivery.pk)
    page.goto(f"{live_server.url}/p/support/alerts/{rule.pk}/")
    assert page.inner_text("#rule-state") == "Alert"
    assert page.locator("#alert-events tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "alert-history.png"), full_page=True)
    page.locator("#alert-events button", has_text="Acknowledge").first.click()
    page.wait_for_selector("text=Acknowledged.")
    assert "lead" in page.inner_text("#alert-events tbody tr:first-child")
    page.goto(f"{live_server.url}/p/support/alerts/")
    assert page.locator("#alert-rules tr[data-state=alert]").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "alert-rules.png"))
