"""Alert evaluation: a rule's value over its window, its new state, and whom to tell.

State: the value against the thresholds (``above``: bad when value >= threshold; ``below``:
bad when value <= threshold), ``alert`` before ``warning``; with no data, the rule's no-data
behaviour (``keep`` keeps the last state).

Notifications, per rule (``notified_state`` is what the receivers were last told):

- every change of state is an event in the history;
- a change is sent when it differs from what was last told and the cool-down since the last
  notification has passed; an escalation (towards ``alert``) is sent at once, cool-down or not;
- a change held back by the cool-down is sent once the cool-down has passed, if the state
  still differs from what was last told (a ``catch_up`` event); a flap that came back to the
  told state is never sent;
- while the state stays ``warning`` or ``alert``, a ``reminder`` is sent each time the
  cool-down passes (a cool-down of 0 sends changes at once and no reminders).

Evaluation is idempotent per window end: the rule records the last window end it evaluated
(under a row lock) and the database refuses a second event at the same end.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial

from django.db import transaction

from llmops_core.models import (
    AlertDelivery,
    AlertEvent,
    AlertRule,
    AlertState,
    Channel,
    Direction,
    NoData,
)
from llmops_core.models.alerts import STATE_SEVERITY
from llmops_core.services.alerts.metrics import MetricFilter, metric_get
from llmops_core.services.audit import audit_record
from llmops_core.services.jobs.dispatch import TASKS, JobKind, task_publish

logger = logging.getLogger(__name__)

STEP_SECONDS = 60  # beat runs every minute; window ends are whole minutes


def window_end_for(now: datetime) -> datetime:
    """Return the window end beat evaluates at ``now``: the whole minute that just began."""
    seconds = int(now.timestamp()) // STEP_SECONDS * STEP_SECONDS
    return datetime.fromtimestamp(seconds, tz=UTC)


def state_for(rule: AlertRule, value: float | None) -> str:
    """Return the state ``value`` puts ``rule`` in (None: no data in the window)."""
    if value is None:
        return rule.state if rule.no_data == NoData.KEEP else str(rule.no_data)
    above = rule.direction == Direction.ABOVE

    def breached(threshold: float) -> bool:
        return value >= threshold if above else value <= threshold

    if breached(rule.alert_threshold):
        return AlertState.ALERT
    if rule.warning_threshold is not None and breached(rule.warning_threshold):
        return AlertState.WARNING
    return AlertState.OK


def notification_for(rule: AlertRule, new_state: str, now: datetime) -> tuple[str | None, bool]:
    """Return the event kind to record (None: nothing) and whether to send it."""
    cooldown = timedelta(seconds=rule.cooldown_seconds)
    cooled = rule.notified_at is None or now - rule.notified_at >= cooldown
    told = rule.notified_state
    if new_state != rule.state:
        escalation = STATE_SEVERITY[AlertState(new_state)] > STATE_SEVERITY[AlertState(told)]
        return AlertEvent.Kind.TRANSITION, new_state != told and (cooled or escalation)
    if not cooled:
        return None, False
    if new_state != told:
        return AlertEvent.Kind.CATCH_UP, True
    if new_state != AlertState.OK and rule.cooldown_seconds > 0:
        return AlertEvent.Kind.REMINDER, True
    return None, False


def _channels(rule: AlertRule) -> list[str]:
    channels: list[str] = []
    if rule.webhook_url:
        channels.append(Channel.WEBHOOK)
    if rule.emails:
        channels.append(Channel.EMAIL)
    return channels


def _evaluated(rule: AlertRule, window_end: datetime) -> bool:
    return rule.last_window_end is not None and window_end <= rule.last_window_end


def alert_rule_evaluate(*, rule_id: int, window_end: datetime) -> AlertEvent | None:
    """Evaluate rule ``rule_id`` for the window ending at ``window_end``; return its event.

    Returns None when nothing was recorded: no change, paused, already evaluated at this
    end or later, or the rule is gone. Deliveries are published after the commit; sending
    them never happens here.
    """
    rule = AlertRule.objects.select_related("project").filter(pk=rule_id).first()
    if rule is None or rule.paused or _evaluated(rule, window_end):
        return None
    metric = metric_get(rule.metric)
    if metric is None:
        logger.error("alert rule %s names an unregistered metric %r", rule.pk, rule.metric)
        return None
    window = timedelta(seconds=rule.window_seconds)
    flt = MetricFilter(rule.prompt_version_id, rule.model_name, rule.criterion)
    value = metric.function(rule.project, window_end, window, flt)
    return _record(rule.pk, window_end, value)


@transaction.atomic
def _record(rule_id: int, window_end: datetime, value: float | None) -> AlertEvent | None:
    """Apply ``value`` to the locked rule: new state, event, deliveries, audit."""
    rule = AlertRule.objects.select_for_update().select_related("project").get(pk=rule_id)
    if rule.paused or _evaluated(rule, window_end):
        return None
    new_state = state_for(rule, value)
    kind, notify = notification_for(rule, new_state, window_end)
    event = None
    if kind is not None:
        event = AlertEvent.objects.create(
            rule=rule,
            kind=kind,
            from_state=rule.state if kind == AlertEvent.Kind.TRANSITION else rule.notified_state,
            to_state=new_state,
            value=value,
            window_start=window_end - timedelta(seconds=rule.window_seconds),
            window_end=window_end,
            notify=notify,
        )
    if event is not None and notify:
        deliveries = AlertDelivery.objects.bulk_create(
            AlertDelivery(event=event, channel=channel, next_retry_at=window_end)
            for channel in _channels(rule)
        )
        if not deliveries:
            event.delivered = True
            event.save(update_fields=["delivered"])
        audit_record(
            actor=None,
            action="alert.fire",
            obj=event,
            project=rule.project,
            after={"rule": rule.name, "kind": kind, "state": new_state, "value": value},
        )
        rule.notified_state, rule.notified_at = new_state, window_end
        for delivery in deliveries:
            transaction.on_commit(partial(alert_delivery_publish, delivery.pk))
    rule.state, rule.last_value, rule.last_window_end = new_state, value, window_end
    rule.save(
        update_fields=["state", "last_value", "last_window_end", "notified_state", "notified_at"]
    )
    return event


def alert_delivery_publish(delivery_id: int, *, countdown: float | None = None) -> bool:
    """Publish the task that sends delivery ``delivery_id``; return whether the broker took it."""
    if countdown:
        from celery import current_app

        from llmops_core.services.jobs.dispatch import PUBLISH_ERRORS

        try:
            current_app.send_task(
                TASKS[JobKind.ALERT_DELIVERY], args=[delivery_id], countdown=countdown
            )
        except PUBLISH_ERRORS as exc:
            logger.error(
                "could not publish alert delivery %s (%s); beat sends it", delivery_id, exc
            )
            return False
        return True
    return task_publish(TASKS[JobKind.ALERT_DELIVERY], delivery_id)


def alert_rules_evaluate_due(*, now: datetime) -> int:
    """Publish one evaluation per active rule for the minute ending now; return how many.

    Also publishes again every delivery whose retry is more than a minute overdue (its
    message was lost with a worker or a broker); a delivery is claimed before it is sent,
    so a second message for it does nothing.
    """
    end = window_end_for(now)
    ids = list(AlertRule.objects.filter(paused=False).order_by("id").values_list("id", flat=True))
    for rule_id in ids:
        task_publish(TASKS[JobKind.ALERT_EVALUATE], rule_id, end.isoformat())
    overdue = AlertDelivery.objects.filter(
        next_retry_at__lt=now - timedelta(seconds=STEP_SECONDS)
    ).values_list("id", flat=True)[:1000]
    for delivery_id in overdue:
        alert_delivery_publish(delivery_id)
    return len(ids)
