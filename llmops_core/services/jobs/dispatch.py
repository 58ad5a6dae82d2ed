"""Which task runs each kind of job, and the only code that publishes tasks to the broker.

``TASKS`` is the one table from job kind to task name. Services name the kind, never the task:
they do not import ``tasks`` modules (an import contract holds that), which is what keeps
services and tasks free of import cycles. The names are checked against the registered tasks
by ``tests/llmops_core/test_jobs.py``.

A publish never raises: the job's row is already committed, and when the broker is
unreachable the error is logged and the row stays pending until the stale-job sweep
(``services.jobs.sweep``) dispatches it again.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from celery import Task, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from llmops_core.models import ReportKind

logger = logging.getLogger(__name__)

# A web request that enqueues waits at most about half a second for a broker that is down.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.3}
PUBLISH_ERRORS = (BrokerError, OSError)


class JobKind(enum.StrEnum):
    """Every kind of job a worker runs for a row (the row's id is the task's one argument)."""

    EXPORT = "export"
    IMPORT = "import"
    AGREEMENT_REPORT = "agreement_report"
    JUDGE_REPORT = "judge_report"
    VERSION_REPORT = "version_report"  # scorecards and version comparisons
    JUDGE_RUN_STEP = "judge_run_step"
    GENERATION_RUN_STEP = "generation_run_step"
    GENERATION_QUEUE = "generation_queue"  # the annotation app queues a run's outputs
    SPAN_BATCH = "span_batch"  # map a received OTLP batch's spans to model outputs
    ALERT_EVALUATE = "alert_evaluate"  # one alert rule at one window end (two arguments)
    ALERT_DELIVERY = "alert_delivery"  # send (or retry) one alert delivery
    DRIFT_REPORT = "drift_report"
    JUDGE_STALENESS = "judge_staleness"  # re-check a judge version against fresh ratings
    ROUTING_JUDGE = "routing_judge"  # a routing rule's pending outputs to its judge


TASKS: Final[Mapping[JobKind, str]] = MappingProxyType(
    {
        JobKind.EXPORT: "llmops_core.tasks.exports.export_job_run_task",
        JobKind.IMPORT: "llmops_core.tasks.imports.import_job_run_task",
        JobKind.AGREEMENT_REPORT: "llmops_core.tasks.reports.report_compute_task",
        JobKind.JUDGE_REPORT: "llmops_core.tasks.judges.judge_report_compute_task",
        JobKind.VERSION_REPORT: "llmops_core.tasks.versions.version_report_compute_task",
        JobKind.JUDGE_RUN_STEP: "llmops_core.tasks.judges.judge_run_step_task",
        JobKind.GENERATION_RUN_STEP: "llmops_core.tasks.generation.generation_run_step_task",
        JobKind.GENERATION_QUEUE: "annotate.tasks.generation_outputs_to_queue_task",
        JobKind.SPAN_BATCH: "llmops_core.tasks.traces.span_batch_process_task",
        JobKind.ALERT_EVALUATE: "llmops_core.tasks.alerts.alert_rule_evaluate_task",
        JobKind.ALERT_DELIVERY: "llmops_core.tasks.alerts.alert_delivery_send_task",
        JobKind.DRIFT_REPORT: "llmops_core.tasks.drift.drift_report_compute_task",
        JobKind.JUDGE_STALENESS: "llmops_core.tasks.drift.judge_staleness_check_task",
        JobKind.ROUTING_JUDGE: "annotate.tasks.routing_judge_task",
    }
)
# Not a job of one row: route new outputs (project id, first id, last id) through the rules.
ROUTING_APPLY_TASK: Final = "annotate.tasks.routing_apply_task"

_REPORT_JOBS: Final[Mapping[str, JobKind]] = MappingProxyType(
    {
        ReportKind.AGREEMENT: JobKind.AGREEMENT_REPORT,
        ReportKind.JUDGE_COMPARISON: JobKind.JUDGE_REPORT,
        ReportKind.SCORECARD: JobKind.VERSION_REPORT,
        ReportKind.VERSION_COMPARISON: JobKind.VERSION_REPORT,
        ReportKind.DRIFT: JobKind.DRIFT_REPORT,
        ReportKind.JUDGE_STALENESS: JobKind.JUDGE_STALENESS,
    }
)


def report_job_kind(report_kind: str) -> JobKind | None:
    """Return the job kind that computes reports of ``report_kind`` (None for an unknown kind)."""
    return _REPORT_JOBS.get(report_kind)


def task_publish(task: Task | str, *args: Any) -> bool:
    """Publish ``task`` (a task or its name) with ``args``; return whether the broker took it.

    When the broker is unreachable the error is logged, not raised: raising from
    ``transaction.on_commit`` would turn a saved job into a 500.
    """
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            current_app.send_task(task, args=list(args), retry=True, retry_policy=PUBLISH_RETRY)
        else:
            task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY)
    except PUBLISH_ERRORS as exc:
        logger.error(
            "could not publish %s%r (%s); the job stays pending until the stale-job "
            "sweep dispatches it again",
            name,
            args,
            exc,
        )
        return False
    return True


def job_dispatch(kind: JobKind, job_id: int) -> bool:
    """Publish the task of ``kind`` for job ``job_id`` now; return whether the broker took it."""
    return task_publish(TASKS[kind], job_id)


def job_enqueue(kind: JobKind, job_id: int) -> None:
    """Publish the task of ``kind`` for job ``job_id`` once the current transaction commits.

    Outside a transaction it publishes at once; inside one, a rollback publishes nothing, so a
    worker never looks for a row that was not saved.
    """
    transaction.on_commit(lambda: job_dispatch(kind, job_id))
