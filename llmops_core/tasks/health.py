"""Celery task of the health check: a worker stamps the heartbeat row (periodic, from beat)."""

from __future__ import annotations

from celery import shared_task

from llmops_core.services.health import worker_heartbeat_stamp


@shared_task(ignore_result=True)
def worker_heartbeat_stamp_task() -> None:
    """Record that a worker ran this task just now; a lost stamp is replaced by the next one."""
    worker_heartbeat_stamp()
