"""Acknowledging alert events: a lead says someone is on it (audited)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.models import AlertEvent, AlertState
from llmops_core.services.audit import audit_record


@transaction.atomic
def alert_event_acknowledge(*, event: AlertEvent, actor: User) -> AlertEvent:
    """Mark ``event`` acknowledged by ``actor``; acknowledging it again changes nothing."""
    event = AlertEvent.objects.select_for_update().select_related("rule__project").get(pk=event.pk)
    if event.to_state == AlertState.OK:
        raise DomainError(
            f"event {event.pk} is a return to ok; only warnings and alerts are acknowledged",
            field="event",
        )
    if event.acknowledged_at is not None:
        return event
    event.acknowledged_by, event.acknowledged_at = actor, timezone.now()
    event.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=actor,
        action="alert.acknowledge",
        obj=event,
        project=event.rule.project,
        after={"rule": event.rule.name, "state": event.to_state},
    )
    return event
