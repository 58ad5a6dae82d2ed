"""Alerts: rules on a monitored number, the history of their states, and each delivery.

A rule names a metric of ``llmops_core.services.alerts.metrics``, a window and thresholds;
Celery beat evaluates it (``services.alerts.evaluate``). A change of state, or a reminder
while it stays bad, is an ``AlertEvent``; each channel it goes to is an ``AlertDelivery``,
sent and retried by its own task.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.projects import Project


class AlertState(models.TextChoices):
    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    ALERT = "alert", "Alert"


# How bad each state is: an escalation is notified at once, even inside the cool-down.
STATE_SEVERITY = {AlertState.OK: 0, AlertState.WARNING: 1, AlertState.ALERT: 2}


class Direction(models.TextChoices):
    ABOVE = "above", "Bad when above the threshold"
    BELOW = "below", "Bad when below the threshold"


class NoData(models.TextChoices):
    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    ALERT = "alert", "Alert"
    KEEP = "keep", "Keep the last state"


class AlertRule(models.Model):
    """A monitored number of a project, with its window, thresholds and where to tell."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=64, help_text="A name of the metric registry.")
    prompt_version = models.ForeignKey(
        "llmops_core.PromptVersion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    model_name = models.CharField(max_length=200, blank=True)
    criterion = models.CharField(
        max_length=100, blank=True, help_text="A criterion name (score metrics need one)."
    )
    window_seconds = models.PositiveIntegerField(help_text="The window ending at evaluation.")
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.ABOVE)
    warning_threshold = models.FloatField(null=True, blank=True)
    alert_threshold = models.FloatField()
    no_data = models.CharField(max_length=8, choices=NoData.choices, default=NoData.KEEP)
    cooldown_seconds = models.PositiveIntegerField(default=3600)
    webhook_url = models.CharField(max_length=2000, blank=True)
    webhook_secret = models.TextField(
        blank=True, help_text="The HMAC key, encrypted (llmops_core.secrets)."
    )
    emails = models.JSONField(default=list, blank=True)
    paused = models.BooleanField(default=False)
    # The evaluation state, written by the evaluator only.
    state = models.CharField(max_length=8, choices=AlertState.choices, default=AlertState.OK)
    last_value = models.FloatField(null=True, blank=True)
    last_window_end = models.DateTimeField(null=True, blank=True)
    notified_state = models.CharField(
        max_length=8, choices=AlertState.choices, default=AlertState.OK
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="alertrule_unique_name"),
            models.CheckConstraint(
                condition=models.Q(window_seconds__gt=0), name="alertrule_window_positive"
            ),
        ]
        indexes = [models.Index(fields=["paused", "id"], name="alertrule_active")]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"


class AlertEvent(models.Model):
    """A change of a rule's state (or a reminder while it stays bad), as evaluated."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", "State changed"
        REMINDER = "reminder", "Still bad after the cool-down"
        CATCH_UP = "catch_up", "Sent after the cool-down"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TRANSITION)
    from_state = models.CharField(max_length=8, choices=AlertState.choices)
    to_state = models.CharField(max_length=8, choices=AlertState.choices)
    value = models.FloatField(null=True, blank=True, help_text="Empty: no data in the window.")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    notify = models.BooleanField(default=True, help_text="False: held back by the cool-down.")
    delivered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-window_end", "-id"]
        constraints = [
            # One evaluation per window end: evaluating twice writes one event.
            models.UniqueConstraint(fields=["rule", "window_end"], name="alertevent_unique_end"),
        ]
        indexes = [models.Index(fields=["rule", "-window_end"], name="alertevent_rule")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.from_state}→{self.to_state} at {self.window_end:%Y-%m-%d %H:%M}"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "Email"


class AlertDelivery(models.Model):
    """One channel an event goes to: attempts, the last error and when to try again."""

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(
        null=True, blank=True, help_text="Due then; empty once delivered or given up."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="alertdelivery_unique"),
        ]
        indexes = [
            models.Index(
                fields=["next_retry_at"],
                condition=models.Q(next_retry_at__isnull=False),
                name="alertdelivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.channel}"
