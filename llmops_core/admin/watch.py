"""Admin registrations for production watching: roll-ups, routing, feedback and alerts.

Read-only: these rows are written by their services (routing rules keep revisions and an audit
trail, alert rules pass the egress check and keep an encrypted webhook secret), which an admin
form would bypass. Operators change them on the project's pages or through the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from llmops_core import models as m
from llmops_core.admin.base import AuditedAdmin


class ReadOnlyAdmin(AuditedAdmin):
    """Lists and shows rows; adding, changing and deleting go through the services."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(m.OutputRollup)
class OutputRollupAdmin(ReadOnlyAdmin):
    list_display = ["project", "grain", "period", "version", "model_name", "requests", "errors"]
    list_filter = ["grain"]


@admin.register(m.OutputRollupError)
class OutputRollupErrorAdmin(ReadOnlyAdmin):
    list_display = ["project", "grain", "period", "version", "model_name", "error_type", "count"]


@admin.register(m.OutputRollupLatency)
class OutputRollupLatencyAdmin(ReadOnlyAdmin):
    list_display = ["project", "grain", "period", "version", "model_name", "bin", "count"]


@admin.register(m.RoutingRule)
class RoutingRuleAdmin(ReadOnlyAdmin):
    list_display = ["name", "project", "version", "queue", "judge_version", "paused"]
    list_filter = ["paused"]


@admin.register(m.RoutingRuleRevision)
class RoutingRuleRevisionAdmin(ReadOnlyAdmin):
    list_display = ["rule", "version", "created_by", "created_at"]


@admin.register(m.RoutingRuleDay)
class RoutingRuleDayAdmin(ReadOnlyAdmin):
    list_display = ["rule", "date", "seen", "sent_to_queue", "sent_to_judge"]


@admin.register(m.RoutedOutput)
class RoutedOutputAdmin(ReadOnlyAdmin):
    list_display = ["rule", "output", "sampled", "probability", "queue_result", "judge_state"]
    raw_id_fields = ["output"]


@admin.register(m.Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["project", "output", "kind", "thumb", "score", "source", "created_at"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["output"]


@admin.register(m.AlertRule)
class AlertRuleAdmin(ReadOnlyAdmin):
    """The webhook secret is never shown."""

    list_display = ["name", "project", "metric", "state", "paused", "updated_at"]
    list_filter = ["state", "paused"]
    exclude = ["webhook_secret"]


@admin.register(m.AlertEvent)
class AlertEventAdmin(ReadOnlyAdmin):
    list_display = ["rule", "kind", "from_state", "to_state", "window_end", "delivered"]


@admin.register(m.AlertDelivery)
class AlertDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "channel", "attempts", "delivered_at", "gave_up"]
