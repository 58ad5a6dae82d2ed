"""The life of every asynchronous job, in one place: dispatch, claim, heartbeat, finish, sweep.

A job is a row (``ExportJob``, ``ImportJob``, ``Report``, ``JudgeRun``, ``GenerationRun``) with
``status``, ``progress``, ``error``, ``started_at``, ``finished_at``, ``heartbeat_at`` and
``attempts``; the UI and the API poll the row, never a Celery result. Its life:

1. a service saves the row and calls ``job_enqueue(JobKind.X, pk)``, which publishes the task
   named in ``TASKS`` once the transaction commits (``dispatch``: the one table from job kind
   to task name, and the only code that publishes);
2. the task (in a ``tasks`` module: load the row by id, call one service, retry only on
   ``TRANSIENT_ERRORS``) runs the service, which moves the row with ``lifecycle``:
   ``job_claim`` or ``job_start`` (running, one more attempt), ``job_heartbeat`` (progress and
   a sign of life), ``job_succeed`` / ``job_fail``, ``job_requeue`` (back to pending for a
   retry) and ``job_retry`` (a failed job asked for again);
3. ``sweep.jobs_resume_stale`` (Celery beat, every minute) dispatches again every job whose
   message or worker was lost, and fails those that used up their attempts.

Judge and generation runs go through many steps, so instead of a claim they take a lease
(``services.llm_runs``); they are dispatched and swept here all the same.

This package exports ``dispatch`` and ``lifecycle``; ``sweep`` imports the job families'
services and is imported only by its task, so that those services can import this package.
"""

from llmops_core.services.jobs.dispatch import (
    TASKS,
    JobKind,
    job_dispatch,
    job_enqueue,
    report_job_kind,
    task_publish,
)
from llmops_core.services.jobs.lifecycle import (
    TRANSIENT_ERRORS,
    UNFINISHED,
    job_claim,
    job_fail,
    job_finish,
    job_heartbeat,
    job_requeue,
    job_retry,
    job_start,
    job_succeed,
    quiet_since,
)

__all__ = [
    "TASKS",
    "TRANSIENT_ERRORS",
    "UNFINISHED",
    "JobKind",
    "job_claim",
    "job_dispatch",
    "job_enqueue",
    "job_fail",
    "job_finish",
    "job_heartbeat",
    "job_requeue",
    "job_retry",
    "job_start",
    "job_succeed",
    "quiet_since",
    "report_job_kind",
    "task_publish",
]
