"""The one call every path that creates model outputs makes so routing rules see them."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from llmops_core.models import RoutingRule
from llmops_core.services.jobs.dispatch import ROUTING_APPLY_TASK, task_publish


def routing_schedule(*, project_id: int, output_ids: Sequence[int]) -> None:
    """Route outputs ``output_ids``, just created, once the creating transaction commits.

    Nothing is published for a project without an active rule. The task gets the id range;
    it routes each output of the range at most once per rule, so a range that also covers
    another insert's rows, or a task that runs twice, routes nothing twice.
    """
    if (
        not output_ids
        or not RoutingRule.objects.filter(project_id=project_id, paused=False).exists()
    ):
        return
    first, last = min(output_ids), max(output_ids)
    transaction.on_commit(lambda: task_publish(ROUTING_APPLY_TASK, project_id, first, last))
