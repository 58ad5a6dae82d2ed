"""Celery tasks of the LLMOps core, one module per job family (found by autodiscovery here)."""

from llmops_core.tasks.imports import import_job_run_task, ping_task

__all__ = ["import_job_run_task", "ping_task"]
