"""Celery tasks of the annotation app: thin wrappers around one service each."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from annotate.services.assignment import assignment_expire_stale
from annotate.services.generation_hooks import generation_outputs_to_queue
from annotate.services.routing import routing_apply, routing_catch_up, routing_judge_dispatch
from llmops_core.services.jobs import TRANSIENT_ERRORS


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


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def routing_apply_task(project_id: int, first_id: int, last_id: int) -> None:
    """Route the project's new outputs ``first_id..last_id`` through its rules (idempotent)."""
    routing_apply(project_id=project_id, first_id=first_id, last_id=last_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def routing_judge_task(rule_id: int) -> None:
    """Start a judge run over rule ``rule_id``'s waiting outputs; look again while one runs."""
    if routing_judge_dispatch(rule_id=rule_id):
        routing_judge_task.apply_async((rule_id,), countdown=settings.ROUTING_JUDGE_POLL_SECONDS)


@shared_task(acks_late=True, ignore_result=True)
def routing_catch_up_task() -> int:
    """Route recent outputs a lost routing task missed; restart lost judge dispatchers."""
    return routing_catch_up()
