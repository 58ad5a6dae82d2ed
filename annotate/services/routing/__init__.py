"""Routing rules: new outputs sampled into review queues and to a judge within a budget.

``rules`` creates, edits and pauses rules; ``apply`` routes new outputs (the task that
``llmops_core.services.routing.routing_schedule`` publishes); ``judging`` hands the outputs
drawn for a judge to judge runs within the day's budget; ``filters`` and ``sampler`` are the
filter and the seeded draw they share.
"""

from annotate.services.routing.apply import routing_apply, routing_catch_up
from annotate.services.routing.judging import routing_judge_day, routing_judge_dispatch
from annotate.services.routing.rules import (
    routing_rule_create,
    routing_rule_definition,
    routing_rule_delete,
    routing_rule_pause,
    routing_rule_update,
)

__all__ = [
    "routing_apply",
    "routing_catch_up",
    "routing_judge_day",
    "routing_judge_dispatch",
    "routing_rule_create",
    "routing_rule_definition",
    "routing_rule_delete",
    "routing_rule_pause",
    "routing_rule_update",
]
