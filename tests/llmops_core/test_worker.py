"""Real Celery round trips: a worker process on the configured broker executes real tasks."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import AuditEvent, ImportJob, JobStatus, ModelOutput, Project
from llmops_core.tasks import ping_task
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_executes_a_task_through_the_broker(celery_worker_process: WorkerProcess) -> None:
    ping_task.delay("hello-from-the-test")
    assert wait_for(
        lambda: AuditEvent.objects.filter(
            action="worker.ping", after__marker="hello-from-the-test"
        ).exists()
    ), celery_worker_process.log()


def test_uploaded_file_is_imported_by_the_worker_with_progress(
    celery_worker_process: WorkerProcess, project: Project, lead: object
) -> None:
    rows = "\n".join(
        json.dumps({"external_id": f"w{i}", "output": "o", "input": "i"}) for i in range(2500)
    ).encode()
    client = APIClient()
    client.force_authenticate(lead)  # type: ignore[arg-type]
    response = client.post(
        reverse("api-imports", kwargs={"project_slug": project.slug}),
        {"file": SimpleUploadedFile("rows.jsonl", rows), "partial": False},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert wait_for(lambda: ImportJob.objects.get(pk=job_id).is_finished, timeout=60), (
        celery_worker_process.log()
    )
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.rows_created, job.progress) == (2500, 1.0)
    assert ModelOutput.objects.filter(project=project).count() == 2500
    poll = client.get(reverse("api-import", kwargs={"project_slug": project.slug, "pk": job_id}))
    assert poll.json()["status"] == "succeeded"
