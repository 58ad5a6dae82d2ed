"""The stale-job sweep and the claim, in this process: which rows are dispatched, and when."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from celery import current_app
from django.utils import timezone

from llmops_core.models import ExportJob, ImportJob, JobStatus, Project, Report, ReportKind
from llmops_core.services.exports import export_job_run
from llmops_core.services.import_jobs import import_bytes
from llmops_core.services.jobs import TASKS, JobKind, job_claim, report_job_kind, task_publish
from llmops_core.services.jobs.sweep import jobs_resume_stale
from llmops_core.tasks import ping_task
from tests.faults.redis_server import broker, free_port
from tests.judges.helpers import make_outputs, make_queue, rate_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record what the sweep publishes instead of publishing it (the broker is not under test)."""
    published: list[tuple[str, int]] = []
    monkeypatch.setattr(
        current_app,
        "send_task",
        lambda name, args=None, *a, **kw: published.append((name, *args)),
    )
    return published


def _report_task(kind: str) -> str:
    job_kind = report_job_kind(kind)
    assert job_kind is not None
    return TASKS[job_kind]


def _later(seconds: float) -> Any:
    return timezone.now() + timedelta(seconds=seconds)


def _export(project: Project, **fields: Any) -> ExportJob:
    job = ExportJob.objects.create(project=project, kind="ratings", format="jsonl")
    ExportJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def test_a_pending_job_is_dispatched_again_after_the_grace_and_only_once_per_grace(
    project: Project,
    sent: list[tuple[str, int]],
    settings: Any,
) -> None:
    settings.JOB_PENDING_GRACE_SECONDS = 60
    job = _export(project)
    assert jobs_resume_stale(now=_later(30)).dispatched == []  # maybe still queued: wait
    assert jobs_resume_stale(now=_later(61)).dispatched == [f"export:{job.pk}"]
    assert sent == [(TASKS[JobKind.EXPORT], job.pk)]
    # The dispatch counts as a sign of life: the next sweeps wait another grace period.
    assert jobs_resume_stale(now=_later(62)).dispatched == []
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (JobStatus.PENDING, 0, "")


def test_a_running_job_is_left_alone_while_its_heartbeat_is_fresh(
    project: Project,
    sent: list[tuple[str, int]],
    settings: Any,
) -> None:
    settings.JOB_STALE_SECONDS = 60
    job = _export(
        project,
        status=JobStatus.RUNNING,
        attempts=1,
        heartbeat_at=_later(0),
        started_at=_later(-3600),
    )
    assert jobs_resume_stale(now=_later(30)).dispatched == []
    assert jobs_resume_stale(now=_later(61)).dispatched == [f"export:{job.pk}"]
    job.refresh_from_db()
    assert (job.status, job.error) == (
        JobStatus.PENDING,
        "attempt 1 stopped with its worker; dispatched again",
    )


def test_a_job_that_kills_its_worker_every_time_fails_after_the_last_attempt(
    project: Project,
    sent: list[tuple[str, int]],
    settings: Any,
) -> None:
    settings.JOB_MAX_ATTEMPTS, settings.JOB_STALE_SECONDS = 3, 60
    job = _export(project)
    for attempt in (1, 2, 3):
        assert job_claim(model=ExportJob, job_id=job.pk)  # a worker starts it ... and dies
        swept = jobs_resume_stale(now=_later(61 * attempt))
        assert (swept.dispatched, swept.failed) == (
            ([f"export:{job.pk}"], []) if attempt < 3 else ([], [f"export:{job.pk}"])
        )
    job.refresh_from_db()
    assert (job.status, job.attempts, len(sent)) == (JobStatus.FAILED, 3, 2)
    assert job.error.startswith("gave up after 3 attempts: the worker running it stopped")
    assert jobs_resume_stale(now=_later(1000)).failed == []  # finished: never looked at again


def test_a_claimed_job_is_claimed_again_only_once_its_heartbeat_is_stale(
    project: Project,
    settings: Any,
) -> None:
    settings.JOB_STALE_SECONDS = 60
    job = _export(project)
    assert job_claim(model=ExportJob, job_id=job.pk)
    assert not job_claim(model=ExportJob, job_id=job.pk), "a duplicate message ran the job twice"
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=_later(-61))
    assert job_claim(model=ExportJob, job_id=job.pk)  # redelivered after its worker died
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    assert not job_claim(model=ExportJob, job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)


def test_an_import_that_ran_inline_in_a_process_that_died_fails_with_the_reason(
    project: Project,
    sent: list[tuple[str, int]],
    settings: Any,
) -> None:
    settings.JOB_STALE_SECONDS = 60
    inline = ImportJob.objects.create(
        project=project,
        format="jsonl",
        source="api",
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
    )
    queued = ImportJob.objects.create(project=project, format="jsonl", file="imports/x.jsonl")
    swept = jobs_resume_stale(now=_later(3600))
    assert (swept.dispatched, swept.failed) == ([f"import:{queued.pk}"], [f"import:{inline.pk}"])
    assert sent == [(TASKS[JobKind.IMPORT], queued.pk)]
    inline.refresh_from_db()
    assert inline.status == JobStatus.FAILED and "import the file again" in inline.error


def test_pending_reports_of_every_kind_go_back_to_their_own_task(
    project: Project,
    sent: list[tuple[str, int]],
    settings: Any,
) -> None:
    settings.JOB_PENDING_GRACE_SECONDS = 60
    reports = {kind: Report.objects.create(project=project, kind=kind) for kind in ReportKind}
    Report.objects.create(project=project, kind=ReportKind.AGREEMENT, status=JobStatus.RUNNING)
    jobs_resume_stale(now=_later(61))
    assert sorted(sent) == sorted((_report_task(kind), r.pk) for kind, r in reports.items())


def test_a_publish_to_a_broker_that_is_down_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with broker(f"redis://127.0.0.1:{free_port()}/0"), caplog.at_level(logging.ERROR):
        started = time.monotonic()
        assert task_publish(ping_task, "lost") is False
        assert task_publish("llmops_core.tasks.imports.ping_task", "lost") is False
        assert time.monotonic() - started < 5
    assert caplog.text.count("could not publish") == 2
    assert "stays pending until the stale-job sweep" in caplog.text


def test_exports_and_imports_beat_their_heartbeat_as_they_progress(
    project: Project,
    lead: Any,
    team: list[Any],
    settings: Any,
) -> None:
    rate_queue(make_queue(project, make_outputs(project, 3)), team)
    settings.IMPORT_BATCH_SIZE = 1  # a progress report after every row
    before = timezone.now()
    export_job_run(job=_export(project))
    rows = b"".join(b'{"external_id": "h%d", "output": "o", "input": "i"}\n' % i for i in range(3))
    job, _ = import_bytes(
        project=project, created_by=lead, data=rows, fmt="jsonl", partial=False, source="api"
    )
    for row in (ExportJob.objects.get(), ImportJob.objects.get(pk=job.pk)):
        assert row.heartbeat_at is not None and row.heartbeat_at >= before, row


def test_a_report_whose_worker_died_is_dispatched_again_then_fails_after_its_attempts(
    project: Project,
    sent: list[tuple[str, int]],
    settings: Any,
) -> None:
    settings.JOB_STALE_SECONDS, settings.REPORT_MAX_ATTEMPTS = 60, 2
    started = timezone.now()
    report = Report.objects.create(
        project=project,
        kind=ReportKind.SCORECARD,
        status=JobStatus.RUNNING,
        started_at=started,
        heartbeat_at=started,
        attempts=1,
    )
    assert jobs_resume_stale(now=_later(30)).dispatched == [], "its heartbeat is fresh"
    assert jobs_resume_stale(now=_later(61)).dispatched == [f"report:{report.pk}"]
    assert sent == [(_report_task(ReportKind.SCORECARD), report.pk)]
    # The second worker starts it (attempt 2) and dies too: no more attempts.
    Report.objects.filter(pk=report.pk).update(attempts=2, heartbeat_at=_later(61))
    swept = jobs_resume_stale(now=_later(200))
    assert (swept.dispatched, swept.failed) == ([], [f"report:{report.pk}"])
    report.refresh_from_db()
    assert report.status == JobStatus.FAILED and report.error.startswith("gave up after 2")


def test_reports_beat_their_heartbeat_as_they_progress(
    project: Project,
    team: list[Any],
) -> None:
    from llmops_core.services.reports.compute import report_compute
    from llmops_core.services.reports.requests import report_request
    from llmops_core.services.reports.scope import ReportScope

    queue = make_queue(project, make_outputs(project, 3))
    rate_queue(queue, team)
    before = timezone.now()
    report, _ = report_request(
        project=project, requested_by=None, scope=ReportScope(queue_id=queue.pk, bootstrap_draws=20)
    )
    report_compute(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.SUCCEEDED
    assert report.heartbeat_at is not None and report.heartbeat_at >= before
