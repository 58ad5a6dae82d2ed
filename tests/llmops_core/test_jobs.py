"""The job lifecycle in ``services.jobs``: the one table of job kinds, and each move of a row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from celery import current_app
from django.conf import settings

from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.services.jobs import (
    TASKS,
    UNFINISHED,
    JobKind,
    job_enqueue,
    job_fail,
    job_heartbeat,
    job_retry,
    job_start,
    job_succeed,
    report_job_kind,
)


def _worker_tasks() -> set[str]:
    """Return the task names a worker registers: what its autodiscovery imports at start."""
    current_app.loader.import_default_modules()
    return set(current_app.tasks)


def test_every_job_kind_names_a_task_a_worker_registers() -> None:
    assert set(TASKS) == set(JobKind)
    registered = _worker_tasks()
    assert {kind: name for kind, name in TASKS.items() if name not in registered} == {}


def test_every_beat_entry_names_a_task_a_worker_registers() -> None:
    registered = _worker_tasks()
    entries = settings.CELERY_BEAT_SCHEDULE.items()
    assert {key: e["task"] for key, e in entries if e["task"] not in registered} == {}


def test_every_report_kind_is_computed_by_a_job_kind() -> None:
    assert {kind: report_job_kind(kind) for kind in ReportKind if not report_job_kind(kind)} == {}
    assert report_job_kind("no such kind") is None


@pytest.mark.django_db
def test_a_job_is_published_by_name_only_once_its_transaction_commits(
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    sent: list[tuple[str, list[int]]] = []  # what would go to the broker (the process boundary)
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args=None, *a, **kw: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_enqueue(JobKind.EXPORT, 7)
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [(TASKS[JobKind.EXPORT], [7])]


@pytest.fixture
def report(project: Project) -> Report:
    return Report.objects.create(project=project, kind=ReportKind.AGREEMENT)


def _row(report: Report) -> tuple[str, int, float, str]:
    report.refresh_from_db()
    return report.status, report.attempts, report.progress, report.error


def test_a_start_counts_an_attempt_and_a_finished_job_never_starts_again(report: Report) -> None:
    assert job_start(model=Report, job_id=report.pk, progress=0.02)
    assert _row(report) == (JobStatus.RUNNING, 1, 0.02, "")
    assert report.started_at is not None and report.heartbeat_at == report.started_at
    assert job_succeed(model=Report, job_id=report.pk, results={"n": 1})
    assert _row(report) == (JobStatus.SUCCEEDED, 1, 1.0, "")
    assert not job_start(model=Report, job_id=report.pk)
    assert not job_start(model=Report, job_id=report.pk + 1)  # gone
    assert _row(report) == (JobStatus.SUCCEEDED, 1, 1.0, "")


def test_a_start_matches_the_kind_it_is_asked_for(report: Report) -> None:
    assert not job_start(model=Report, job_id=report.pk, kind=ReportKind.SCORECARD)
    assert _row(report)[:2] == (JobStatus.PENDING, 0)


def test_a_heartbeat_tells_the_worker_its_job_was_finished_by_someone_else(report: Report) -> None:
    job_start(model=Report, job_id=report.pk)
    assert job_heartbeat(model=Report, job_id=report.pk, progress=0.5)
    assert job_fail(model=Report, job_id=report.pk, reason="stopped by a lead")
    assert not job_heartbeat(model=Report, job_id=report.pk, progress=0.6)
    assert not job_succeed(model=Report, job_id=report.pk), "a failure is never overwritten"
    assert _row(report) == (JobStatus.FAILED, 1, 0.5, "stopped by a lead")


def test_only_a_failed_job_is_retried_and_its_attempts_stay_counted(report: Report) -> None:
    assert not job_retry(model=Report, job_id=report.pk)  # pending: nothing to retry
    job_start(model=Report, job_id=report.pk)
    job_fail(model=Report, job_id=report.pk, reason="the database went away", statuses=UNFINISHED)
    assert job_retry(model=Report, job_id=report.pk)
    assert _row(report) == (JobStatus.PENDING, 1, 0.0, "")
    assert report.started_at is None and report.finished_at is None
