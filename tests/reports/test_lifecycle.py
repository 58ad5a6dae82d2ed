"""A report's life: requested, deduplicated, failed with a reason, retried, refreshed, rescued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from annotate.models import QueueStatus
from llmops_core.errors import DomainError
from llmops_core.models import JobStatus, Membership, Project, Report
from llmops_core.services.reports import (
    ReportScope,
    report_compute,
    report_refresh_stale,
    report_request,
    report_request_on_queue_close,
    report_retry,
)
from llmops_core.tasks.reports import report_compute_task
from tests.factories import ProjectFactory
from tests.reports.builders import RatedQueue, rate, rated_queue

pytestmark = pytest.mark.django_db


def request(project: Project, **scope: object) -> Report:
    report, _ = report_request(project=project, requested_by=None, scope=ReportScope(**scope))
    return report


def test_request_enqueues_the_task_on_commit(
    project: Project, k2011: RatedQueue, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[attr-defined]
        report = request(project, queue_id=k2011.queue.pk)
    assert len(callbacks) == 1
    assert (report.status, report.kind, report.parameters["trigger"]) == (
        JobStatus.PENDING,
        "agreement",
        "manual",
    )
    assert report.title == f"Agreement: queue {k2011.queue.name}"


def test_an_identical_unfinished_request_returns_the_same_report(
    project: Project, k2011: RatedQueue
) -> None:
    first, created = report_request(
        project=project, requested_by=None, scope=ReportScope(queue_id=k2011.queue.pk)
    )
    again, created_again = report_request(
        project=project, requested_by=None, scope=ReportScope(queue_id=k2011.queue.pk)
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    report_compute(report_id=first.pk)
    third, created_third = report_request(
        project=project, requested_by=None, scope=ReportScope(queue_id=k2011.queue.pk)
    )
    assert created_third and third.pk != first.pk


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ({"queue_id": 999_999}, 'field "queue_id": no queue 999999'),
        ({"prompt_version_ids": (999_999,)}, 'field "prompt_version_ids": no prompt version'),
        ({"reviewers": ("nobody",)}, 'field "reviewers": nobody is not a member'),
        ({"rubric_version_id": 999_999}, 'field "rubric_version_id": no rubric version'),
        ({"bootstrap_draws": 10**6}, 'field "bootstrap_draws"'),
        (
            {"since": timezone.now(), "until": timezone.now() - timedelta(days=1)},
            'field "until": must be later',
        ),
    ],
)
def test_a_request_that_does_not_fit_the_project_is_refused(
    project: Project, scope: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        request(project, **scope)
    assert not Report.objects.exists()


def test_a_queue_of_another_project_is_refused(project: Project) -> None:
    other = rated_queue(ProjectFactory(), [[1, 2], [1, 2]])
    with pytest.raises(DomainError, match="no queue"):
        request(project, queue_id=other.queue.pk)


def test_a_data_problem_fails_the_report_with_the_reason_and_retry_recomputes(
    project: Project, k2011: RatedQueue
) -> None:
    leaver = k2011.reviewers[0]
    report = request(project, queue_id=k2011.queue.pk, reviewers=(leaver.username,))
    Membership.objects.filter(project=project, user=leaver).delete()
    failed = report_compute(report_id=report.pk)
    assert failed is not None and failed.status == JobStatus.FAILED
    assert failed.error == (
        f'reviewer(s) {leaver.username} are no longer members of project "{project.slug}"'
    )
    assert failed.finished_at is not None and failed.attempts == 1
    Membership.objects.create(project=project, user=leaver, role="reviewer")
    retried = report_retry(report=failed, actor=None)
    assert (retried.status, retried.error, retried.finished_at) == (JobStatus.PENDING, "", None)
    done = report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED and done.attempts == 2


def test_only_a_failed_report_can_be_retried(project: Project, k2011: RatedQueue) -> None:
    report = request(project, queue_id=k2011.queue.pk)
    with pytest.raises(DomainError, match="only a failed report can be retried"):
        report_retry(report=report, actor=None)


def test_an_unexpected_error_marks_the_report_failed_as_internal(
    project: Project, k2011: RatedQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_core.metrics.agreement_report import sections

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(sections, "agreement_report", broken)
    report = request(project, queue_id=k2011.queue.pk)
    failed = report_compute(report_id=report.pk)
    assert failed is not None and failed.status == JobStatus.FAILED
    assert failed.error == "internal error (RuntimeError): the engine broke"


def test_a_finished_report_is_not_computed_again(project: Project, k2011: RatedQueue) -> None:
    report = request(project, queue_id=k2011.queue.pk, bootstrap_draws=0)
    report_compute(report_id=report.pk)
    before = Report.objects.get(pk=report.pk)
    assert report_compute(report_id=report.pk) is None
    after = Report.objects.get(pk=report.pk)
    assert (after.attempts, after.finished_at) == (before.attempts, before.finished_at)


def test_a_computation_killed_midway_is_finished_by_the_next_delivery(
    project: Project, k2011: RatedQueue
) -> None:
    """acks_late redelivers the task; the row left running is picked up and completed."""
    report = request(project, queue_id=k2011.queue.pk, bootstrap_draws=0)
    Report.objects.filter(pk=report.pk).update(
        status=JobStatus.RUNNING, progress=0.3, attempts=1, started_at=timezone.now()
    )
    done = report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED
    assert (done.attempts, done.progress) == (2, 1.0)


def test_transient_database_errors_are_retried_then_fail_the_report(
    project: Project, k2011: RatedQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_core.services.reports import compute

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(compute, "ratings_snapshot", locked)
    report = request(project, queue_id=k2011.queue.pk)
    # Applied in-process, each retry runs at once instead of after its countdown.
    report_compute_task.apply(args=[report.pk])
    failed = Report.objects.get(pk=report.pk)
    assert (failed.status, failed.attempts) == (JobStatus.FAILED, 4)
    assert failed.error == "the database failed 4 times: database is locked"


def test_closing_a_queue_asks_for_its_report(
    project: Project, k2011: RatedQueue, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    k2011.queue.status = QueueStatus.CLOSED
    k2011.queue.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[attr-defined]
        report = report_request_on_queue_close(queue_id=k2011.queue.pk)
    assert report is not None and len(callbacks) == 1
    assert report.parameters["queue_id"] == k2011.queue.pk
    assert report.parameters["trigger"] == "queue_closed"
    assert report_request_on_queue_close(queue_id=k2011.queue.pk).pk == report.pk
    assert report_request_on_queue_close(queue_id=999_999) is None


def test_the_schedule_recomputes_a_report_only_when_its_ratings_changed(
    project: Project, k2011: RatedQueue
) -> None:
    report = request(project, queue_id=k2011.queue.pk, bootstrap_draws=0)
    report_compute(report_id=report.pk)
    assert report_refresh_stale().refreshed == []
    rate(k2011, k2011.reviewers[0], k2011.items[10], {"fluency": 1})
    result = report_refresh_stale()
    assert len(result.refreshed) == 1
    fresh = Report.objects.get(pk=result.refreshed[0])
    assert fresh.parameters["trigger"] == "schedule" and fresh.status == JobStatus.PENDING
    assert report_refresh_stale().refreshed == []  # the fresh one is pending: no duplicate


def test_the_schedule_requeues_stuck_reports_and_gives_up_after_three_attempts(
    project: Project, k2011: RatedQueue
) -> None:
    stuck = request(project, queue_id=k2011.queue.pk)
    hopeless = request(project, queue_id=k2011.queue.pk, seed=1)
    long_ago = timezone.now() - timedelta(hours=3)
    Report.objects.filter(pk=stuck.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=1
    )
    Report.objects.filter(pk=hopeless.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, attempts=3
    )
    result = report_refresh_stale()
    assert (result.requeued, result.gave_up) == ([stuck.pk], [hopeless.pk])
    gave_up = Report.objects.get(pk=hopeless.pk)
    assert gave_up.status == JobStatus.FAILED and "gave up after 3 attempts" in gave_up.error
