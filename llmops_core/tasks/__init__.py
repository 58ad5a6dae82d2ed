"""Celery tasks of the LLMOps core, one module per job family (found by autodiscovery here).

Tasks are thin: load the row by id, call one service, retry only on named transient errors.
Services never import this package; they name a job kind and ``services.jobs`` publishes the
task its table names.
"""

from llmops_core.tasks.alerts import (
    alert_delivery_send_task,
    alert_rule_evaluate_task,
    alert_rules_evaluate_due_task,
)
from llmops_core.tasks.drift import (
    drift_report_compute_task,
    drift_reports_schedule_task,
    judge_staleness_check_task,
    judge_staleness_schedule_task,
)
from llmops_core.tasks.exports import export_job_run_task, exports_expire_task
from llmops_core.tasks.generation import generation_run_step_task
from llmops_core.tasks.health import worker_heartbeat_stamp_task
from llmops_core.tasks.imports import import_job_run_task, ping_task
from llmops_core.tasks.jobs import jobs_resume_stale_task
from llmops_core.tasks.judges import judge_report_compute_task, judge_run_step_task
from llmops_core.tasks.reports import report_compute_task, report_refresh_stale_task
from llmops_core.tasks.traces import span_batch_process_task
from llmops_core.tasks.versions import version_report_compute_task, version_reports_refresh_task

__all__ = [
    "alert_delivery_send_task",
    "alert_rule_evaluate_task",
    "alert_rules_evaluate_due_task",
    "drift_report_compute_task",
    "drift_reports_schedule_task",
    "export_job_run_task",
    "exports_expire_task",
    "generation_run_step_task",
    "import_job_run_task",
    "jobs_resume_stale_task",
    "judge_report_compute_task",
    "judge_run_step_task",
    "judge_staleness_check_task",
    "judge_staleness_schedule_task",
    "ping_task",
    "report_compute_task",
    "report_refresh_stale_task",
    "span_batch_process_task",
    "version_report_compute_task",
    "version_reports_refresh_task",
    "worker_heartbeat_stamp_task",
]
