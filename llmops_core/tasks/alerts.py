"""Celery tasks of alerts: beat's evaluation fan-out, one rule's evaluation, one delivery."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from llmops_core.services.alerts import (
    alert_delivery_attempt,
    alert_delivery_publish,
    alert_rule_evaluate,
    alert_rules_evaluate_due,
)


@shared_task(ignore_result=True)
def alert_rules_evaluate_due_task() -> None:
    """Publish one evaluation per active rule for the minute that just began (from beat)."""
    alert_rules_evaluate_due(now=timezone.now())


@shared_task(ignore_result=True)
def alert_rule_evaluate_task(rule_id: int, window_end: str) -> None:
    """Evaluate one rule at one window end; a second run for the same end does nothing."""
    alert_rule_evaluate(rule_id=rule_id, window_end=datetime.fromisoformat(window_end))


@shared_task(ignore_result=True)
def alert_delivery_send_task(delivery_id: int) -> None:
    """Send one delivery; after a failure, publish the next attempt after its backoff."""
    retry = alert_delivery_attempt(delivery_id=delivery_id)
    if retry is not None:
        alert_delivery_publish(delivery_id, countdown=retry)
