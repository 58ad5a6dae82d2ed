"""Celery tasks of the annotation app: thin wrappers around one service each."""

from __future__ import annotations

from celery import shared_task

from annotate.services.assignment import assignment_expire_stale
from annotate.services.generation_hooks import generation_outputs_to_queue


@shared_task(acks_late=True, ignore_result=True)
def assignment_expire_stale_task() -> int:
    """Return expired leases' slots to the pool (claims also do this lazily; safe to repeat)."""
    return assignment_expire_stale()


@shared_task(acks_late=True, ignore_result=True)
def generation_outputs_to_queue_task(run_id: int) -> None:
    """Queue the outputs of generation run ``run_id`` for review (safe to run twice).

    Enqueued by the LLMOps core as ``JobKind.GENERATION_QUEUE`` when a run that names a queue
    has succeeded.
    """
    generation_outputs_to_queue(run_id=run_id)
