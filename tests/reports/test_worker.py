"""Real Celery round trips: a worker process computes reports asked for through the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import JobStatus, Membership, Project, Report
from tests.reports.builders import KRIPPENDORFF_2011, rated_queue
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def api_for(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)  # type: ignore[arg-type]
    return client


def finished(report_id: int) -> bool:
    return Report.objects.get(pk=report_id).is_finished


def test_a_report_asked_for_through_the_api_is_computed_by_a_worker(
    celery_worker_process: WorkerProcess, project: Project, lead: object
) -> None:
    rq = rated_queue(project, KRIPPENDORFF_2011, name="Krippendorff 2011")
    client = api_for(lead)
    response = client.post(
        reverse("api-reports", kwargs={"project_slug": project.slug}),
        {"queue_id": rq.queue.pk, "bootstrap_draws": 500},
        format="json",
    )
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    assert wait_for(lambda: finished(report_id), timeout=90), celery_worker_process.log()
    poll = client.get(response["Location"] + "?results=0").json()
    assert poll["status"] == "succeeded", poll["error"]
    assert (poll["progress"], poll["attempts"]) == (1.0, 1)
    results = client.get(response["Location"]).json()["results"]
    alpha = results["criteria"]["fluency"]["krippendorff_alpha"]
    assert round(alpha["ordinal"], 3) == 0.815
    assert results["summary"]["criteria"][0]["level"] == "good"
    assert poll["snapshot_counts"]["ratings"] == 41


def test_a_failed_report_is_retried_through_the_worker(
    celery_worker_process: WorkerProcess, project: Project, lead: object
) -> None:
    rq = rated_queue(project, KRIPPENDORFF_2011, name="Krippendorff 2011")
    leaver = rq.reviewers[0]
    client = api_for(lead)
    response = client.post(
        reverse("api-reports", kwargs={"project_slug": project.slug}),
        {
            "queue_id": rq.queue.pk,
            "reviewers": [leaver.username, rq.reviewers[1].username],
            "bootstrap_draws": 100,
        },
        format="json",
    )
    Membership.objects.filter(project=project, user=leaver).delete()
    report_id = response.json()["id"]
    assert wait_for(lambda: finished(report_id), timeout=90), celery_worker_process.log()
    failed = Report.objects.get(pk=report_id)
    assert failed.status == JobStatus.FAILED
    assert "are no longer members" in failed.error
    Membership.objects.create(project=project, user=leaver, role="reviewer")
    retry = client.post(
        reverse("api-report-retry", kwargs={"project_slug": project.slug, "pk": report_id})
    )
    assert retry.status_code == 202
    assert wait_for(lambda: finished(report_id), timeout=90), celery_worker_process.log()
    done = Report.objects.get(pk=report_id)
    assert (done.status, done.attempts, done.snapshot_counts["reviewers"]) == (
        JobStatus.SUCCEEDED,
        2,
        2,
    )
