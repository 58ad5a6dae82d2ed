"""Celery tasks of the annotation app: thin wrappers around one service each."""

from __future__ import annotations

from celery import shared_task

from annotate.services.assignment import assignment_expire_stale

# Registers the task that sends a finished generation run's outputs to a queue.
from annotate.services.generation_hooks import generation_outputs_to_queue_task  # noqa: F401


@shared_task(acks_late=True, ignore_result=True)
def assignment_expire_stale_task() -> int:
    """Return expired leases' slots to the pool (claims also do this lazily; safe to repeat)."""
    return assignment_expire_stale()
