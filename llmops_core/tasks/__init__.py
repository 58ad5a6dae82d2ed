"""Celery tasks of the LLMOps core, one module per job family (found by autodiscovery here)."""

from llmops_core.tasks.dispatch import jobs_resume_stale_task  # noqa: F401
from llmops_core.tasks.exports import export_job_run_task  # noqa: F401
from llmops_core.tasks.generation import generation_run_step_task  # noqa: F401
from llmops_core.tasks.imports import import_job_run_task, ping_task
from llmops_core.tasks.judges import judge_run_step_task  # noqa: F401
from llmops_core.tasks.reports import report_compute_task, report_refresh_stale_task  # noqa: F401
from llmops_core.tasks.traces import span_batch_process_task  # noqa: F401
from llmops_core.tasks.versions import version_report_compute_task, version_reports_refresh_task  # noqa: F401

__all__ = ["import_job_run_task", "ping_task"]
