"""Real Celery round trips: a worker computes drift reports from outputs made with the ORM."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.services.drift import drift_reports_schedule
from tests.drift.builders import NOW, outputs_between
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(report_id: int) -> bool:
    return Report.objects.get(pk=report_id).is_finished


def test_a_drift_report_asked_for_through_the_api_is_computed_by_a_worker(
    celery_worker_process: WorkerProcess, project: Project, lead: object
) -> None:
    rng = np.random.default_rng(9)
    outputs_between(project, since=NOW - timedelta(days=14), n=300, rng=rng, prefix="b")
    outputs_between(project, since=NOW - timedelta(days=7), n=300, rng=rng, prefix="a", scale=1.2)
    client = APIClient()
    client.force_authenticate(lead)  # type: ignore[arg-type]
    body = {
        "before": {
            "since": (NOW - timedelta(days=14)).isoformat(),
            "until": (NOW - timedelta(days=7)).isoformat(),
        },
        "after": {"since": (NOW - timedelta(days=7)).isoformat(), "until": NOW.isoformat()},
    }
    response = client.post(
        reverse("api-drift-reports", kwargs={"project_slug": project.slug}), body, format="json"
    )
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    assert wait_for(lambda: _finished(report_id), timeout=120), celery_worker_process.log()
    poll = client.get(response["Location"]).json()
    assert poll["status"] == "succeeded", poll["error"]
    assert (poll["progress"], poll["attempts"]) == (1.0, 1)
    signals = poll["results"]["drift"]["signals"]
    assert signals["output_length"]["drifted"] is True
    assert poll["results"]["windows"]["before"]["n"] == 300
    chart = f"/p/{project.slug}/drift/{report_id}/charts/lengths.svg"
    assert chart in poll["urls"]["charts"]["lengths"]["svg"]


def test_the_weekly_schedule_is_computed_by_a_worker_once_per_week(
    celery_worker_process: WorkerProcess, project: Project
) -> None:
    rng = np.random.default_rng(10)
    monday = NOW - timedelta(days=NOW.weekday())  # 2026-11-23, a Monday at noon
    outputs_between(project, since=monday - timedelta(days=14), n=50, rng=rng, prefix="b")
    outputs_between(project, since=monday - timedelta(days=7), n=50, rng=rng, prefix="a")
    (report_id,) = drift_reports_schedule(now=NOW)
    assert drift_reports_schedule(now=NOW + timedelta(days=2)) == []  # same week: no second one
    assert wait_for(lambda: _finished(report_id), timeout=120), celery_worker_process.log()
    report = Report.objects.get(pk=report_id)
    assert report.status == JobStatus.SUCCEEDED, report.error
    assert report.parameters["trigger"] == "schedule"
    assert Report.objects.filter(kind=ReportKind.DRIFT).count() == 1
