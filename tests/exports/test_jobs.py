"""Export jobs: progress block by block, failures recorded, and a real Celery worker run."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from llmops_core.models import ExportJob, JobStatus, Role
from llmops_core.services.exports import (
    export_job_create,
    export_job_run,
    export_spec_build,
    export_write,
)
from tests.exports.builders import RatedProject
from tests.support.worker import wait_for


@pytest.mark.django_db
def test_progress_is_reported_after_every_block(rated: RatedProject) -> None:
    spec = export_spec_build(project=rated.project, kind="ratings", fmt="jsonl", role=None)
    seen: list[float] = []
    export_write(spec, io.BytesIO(), on_progress=seen.append, block_ratings=5)
    assert len(seen) == 8  # a block never splits an output: here one output per block
    assert seen == sorted(seen) and seen[0] == pytest.approx(9 / 69) and seen[-1] == 1.0


@pytest.mark.django_db
def test_a_job_records_its_snapshot(rated: RatedProject, lead: Any) -> None:
    spec = export_spec_build(project=rated.project, kind="ratings", fmt="parquet", role=None)
    job = export_job_run(
        job=export_job_create(spec=spec, project=rated.project, requested_by=lead), block_ratings=10
    )
    job.refresh_from_db()
    data = job.file.open("rb").read()
    assert (job.status, job.progress, job.rows, job.error) == (JobStatus.SUCCEEDED, 1.0, 69, "")
    assert job.sha256 == hashlib.sha256(data).hexdigest() and job.finished_at is not None
    assert job.datasheet["file"]["sha256"] == job.sha256 and job.app_version == "0.1.0"
    first_name = job.file.name
    export_job_run(job=job)  # a finished job is left alone
    job.refresh_from_db()
    assert job.finished_at is not None and job.file.name == first_name
    # A worker that died after storing the file left the job running: the rerun replaces the
    # file with identical bytes.
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    export_job_run(job=job)
    job.refresh_from_db()
    assert job.file.name == first_name and job.file.open("rb").read() == data


@pytest.mark.django_db
def test_a_job_that_cannot_run_fails_with_the_reason(rated: RatedProject, lead: Any) -> None:
    spec = export_spec_build(project=rated.project, kind="sft", fmt="csv", role=None)
    job = export_job_create(spec=spec, project=rated.project, requested_by=lead)
    ExportJob.objects.filter(pk=job.pk).update(filters={"queue_ids": [987654]})
    job.refresh_from_db()
    export_job_run(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "987654 not in this project" in job.error
    assert not job.file


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_export_job_runs_on_a_real_worker(
    celery_worker_process: Any, rated: RatedProject, make_member: Callable[..., Any]
) -> None:
    client = APIClient()
    client.force_authenticate(make_member(Role.LEAD, "worker-lead"))
    response = client.post(
        f"/api/projects/{rated.project.slug}/exports/",
        {"kind": "consensus", "format": "parquet", "filters": {"min_ratings": 3}},
        format="json",
    )
    assert response.status_code == 202
    poll = f"/api/projects/{rated.project.slug}/exports/{response.json()['id']}/"
    assert wait_for(
        lambda: client.get(poll).json()["status"] in ("succeeded", "failed"), timeout=60
    ), celery_worker_process.log()
    job = client.get(poll).json()
    assert job["status"] == "succeeded", job["error"]
    assert (job["progress"], job["rows"]) == (1.0, 7)
    data = b"".join(client.get(job["download_url"]).streaming_content)
    assert hashlib.sha256(data).hexdigest() == job["sha256"]
