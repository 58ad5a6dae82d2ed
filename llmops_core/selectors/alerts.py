"""Named reads of alert rules and their history, scoped to one project."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from llmops_core.models import AlertDelivery, AlertEvent, AlertRule, Project


def alert_rules_for_project(project: Project) -> QuerySet[AlertRule]:
    """Return the project's rules by name, with their prompt version's template."""
    return (
        AlertRule.objects.filter(project=project)
        .select_related("prompt_version__template")
        .order_by("name", "id")
    )


def alert_events_for_project(
    project: Project, *, rule_id: int | None = None
) -> QuerySet[AlertEvent]:
    """Return the project's events (of one rule when given), with rule, acker and deliveries."""
    events = AlertEvent.objects.filter(rule__project=project)
    if rule_id is not None:
        events = events.filter(rule_id=rule_id)
    return events.select_related("rule", "acknowledged_by").prefetch_related(
        Prefetch("deliveries", queryset=AlertDelivery.objects.order_by("channel"))
    )
