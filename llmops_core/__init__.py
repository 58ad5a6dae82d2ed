"""The project package and the LLMOps core: prompts, outputs, judges, reports, exports."""

from llmops_core.celery import app as celery_app

__all__ = ["celery_app"]
