"""Alerts: rules on monitored numbers, evaluated by beat, delivered by webhook and email.

The public door; see ``metrics`` (the registry), ``evaluate`` (state machine and cool-down),
``delivery`` (sending and retries) and ``webhooks`` (egress check and signature).
"""

from llmops_core.services.alerts import extra_metrics  # noqa: F401  (registers its metrics)
from llmops_core.services.alerts.delivery import alert_delivery_attempt, alert_payload
from llmops_core.services.alerts.evaluate import (
    alert_delivery_publish,
    alert_rule_evaluate,
    alert_rules_evaluate_due,
    window_end_for,
)
from llmops_core.services.alerts.events import alert_event_acknowledge
from llmops_core.services.alerts.metrics import METRICS, MetricFilter, metric_register
from llmops_core.services.alerts.rules import (
    RuleInput,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_update,
    rule_input_from,
    window_parse,
    window_text,
)
from llmops_core.services.alerts.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    webhook_signature,
)

__all__ = [
    "METRICS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "MetricFilter",
    "RuleInput",
    "alert_delivery_attempt",
    "alert_delivery_publish",
    "alert_event_acknowledge",
    "alert_payload",
    "alert_rule_create",
    "alert_rule_delete",
    "alert_rule_evaluate",
    "alert_rule_update",
    "alert_rules_evaluate_due",
    "metric_register",
    "rule_input_from",
    "webhook_signature",
    "window_end_for",
    "window_parse",
    "window_text",
]
