"""Sending alert deliveries: claim one, post or mail it, record the outcome, back off.

Each delivery is sent by its own task, so a slow or failing receiver holds up nothing but its
own retries. A delivery is claimed (its due time moved past the attempt's longest duration)
in a short transaction before anything is sent, so two messages for the same delivery never
send it twice at once; a failure schedules the next attempt after base x 2^(attempts-1)
seconds (``ALERT_DELIVERY_BACKOFF_SECONDS``, capped by ``ALERT_DELIVERY_MAX_BACKOFF_SECONDS``)
until ``ALERT_DELIVERY_MAX_ATTEMPTS``, then gives up and says so on the history page.
"""

from __future__ import annotations

import json
import smtplib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from llmops_core.models import AlertDelivery, AlertEvent, AlertRule, Channel
from llmops_core.secrets import SecretError, secret_decrypt
from llmops_core.services.alerts.metrics import metric_get
from llmops_core.services.alerts.rules import window_text
from llmops_core.services.alerts.webhooks import DeliveryFailed, webhook_post

_CLAIM_MARGIN_SECONDS = 30


def alert_payload(event: AlertEvent) -> dict[str, Any]:
    """Return the JSON document a webhook receives for ``event``."""
    rule: AlertRule = event.rule
    metric = metric_get(rule.metric)
    return {
        "project": {"slug": rule.project.slug, "name": rule.project.name},
        "rule": {
            "id": rule.pk,
            "name": rule.name,
            "metric": rule.metric,
            "unit": metric.unit if metric else "",
            "direction": rule.direction,
            "warning_threshold": rule.warning_threshold,
            "alert_threshold": rule.alert_threshold,
            "filter": {
                "prompt_version_id": rule.prompt_version_id,
                "model": rule.model_name or None,
                "criterion": rule.criterion or None,
            },
        },
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "from_state": event.from_state,
            "state": event.to_state,
            "value": event.value,
            "no_data": event.value is None,
            "window": window_text(rule.window_seconds),
            "window_start": event.window_start.isoformat(),
            "window_end": event.window_end.isoformat(),
        },
        "link": settings.SITE_URL
        + reverse("alert-rule", kwargs={"project_slug": rule.project.slug, "pk": rule.pk}),
    }


def _email_text(payload: dict[str, Any]) -> tuple[str, str]:
    """Return the subject and the plain-text body of an alert email."""
    rule, event = payload["rule"], payload["event"]
    value = "no data" if event["value"] is None else f"{event['value']:.6g} {rule['unit']}"
    subject = f"[{payload['project']['slug']}] {rule['name']}: {event['state'].upper()}"
    body = "\n".join(
        [
            f"Rule: {rule['name']} (project {payload['project']['name']})",
            f"State: {event['from_state']} -> {event['state']} ({event['kind']})",
            f"{rule['metric']} over the last {event['window']}: {value}",
            f"Thresholds ({rule['direction']}): warning {rule['warning_threshold']}, "
            f"alert {rule['alert_threshold']}",
            f"Window: {event['window_start']} to {event['window_end']}",
            f"History: {payload['link']}",
        ]
    )
    return subject, body


def _send(delivery: AlertDelivery) -> None:
    """Send ``delivery`` once; raise ``DeliveryFailed`` saying why it did not go through."""
    event = delivery.event
    payload = alert_payload(event)
    rule = event.rule
    if delivery.channel == Channel.WEBHOOK:
        if not rule.webhook_url:
            raise DeliveryFailed("the rule no longer has a webhook URL")
        try:
            secret = secret_decrypt(rule.webhook_secret)
        except SecretError as exc:
            raise DeliveryFailed(
                f"the webhook secret cannot be read ({exc}); set it again"
            ) from exc
        body = json.dumps(payload, sort_keys=True).encode("utf-8")
        webhook_post(rule.webhook_url, body, secret=secret, delivery_id=delivery.pk)
        return
    if not rule.emails:
        raise DeliveryFailed("the rule no longer has email addresses")
    subject, text = _email_text(payload)
    message = EmailMessage(subject, text, settings.DEFAULT_FROM_EMAIL, list(rule.emails))
    try:
        message.send()
    except (OSError, smtplib.SMTPException, BadHeaderError) as exc:
        raise DeliveryFailed(f"the mail server refused: {exc}") from exc


def backoff_seconds(attempts: int) -> float:
    """Return the wait before the next attempt, after ``attempts`` failed ones."""
    base = float(settings.ALERT_DELIVERY_BACKOFF_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), float(settings.ALERT_DELIVERY_MAX_BACKOFF_SECONDS))


@transaction.atomic
def _claim(delivery_id: int, now: datetime) -> AlertDelivery | None:
    """Return the delivery, claimed for one attempt, when it is due; else None."""
    delivery = (
        AlertDelivery.objects.select_for_update()
        .select_related("event__rule__project")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.next_retry_at is None or delivery.next_retry_at > now:
        return None
    if delivery.attempts >= settings.ALERT_DELIVERY_MAX_ATTEMPTS:
        # Every attempt was claimed and none recorded an outcome (a crashed worker).
        delivery.gave_up, delivery.next_retry_at = True, None
        delivery.save(update_fields=["gave_up", "next_retry_at"])
        return None
    lease = settings.ALERT_WEBHOOK_TIMEOUT_SECONDS + _CLAIM_MARGIN_SECONDS
    delivery.attempts += 1
    delivery.next_retry_at = now + timedelta(seconds=lease)
    delivery.save(update_fields=["attempts", "next_retry_at"])
    return delivery


@transaction.atomic
def _finish(delivery: AlertDelivery, error: str, now: datetime) -> float | None:
    """Record one attempt's outcome; return the seconds until the next one (None: done)."""
    retry = None
    delivery.last_error = error
    if not error:
        delivery.delivered_at, delivery.next_retry_at = now, None
    elif delivery.attempts >= settings.ALERT_DELIVERY_MAX_ATTEMPTS:
        delivery.gave_up, delivery.next_retry_at = True, None
    else:
        retry = backoff_seconds(delivery.attempts)
        delivery.next_retry_at = now + timedelta(seconds=retry)
    delivery.save(update_fields=["last_error", "delivered_at", "next_retry_at", "gave_up"])
    if not error:
        pending = AlertDelivery.objects.filter(event_id=delivery.event_id, delivered_at=None)
        if not pending.exists():
            AlertEvent.objects.filter(pk=delivery.event_id).update(delivered=True)
    return retry


def alert_delivery_attempt(*, delivery_id: int) -> float | None:
    """Send delivery ``delivery_id`` if it is due; return seconds until a retry, or None.

    None means nothing more to do now: delivered, given up, not due (another message has it
    or will), or gone.
    """
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    try:
        _send(delivery)
    except DeliveryFailed as exc:
        return _finish(delivery, str(exc) or type(exc).__name__, timezone.now())
    return _finish(delivery, "", timezone.now())
