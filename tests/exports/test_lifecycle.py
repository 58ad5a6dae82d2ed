"""An export's life after it starts: cancel, delete, and files expiring under the retention
policy, through the services, the API and the HTML pages, each audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from llmops_core.models import AuditEvent, ExportJob, JobStatus, Role
from llmops_core.services.exports import (
    export_job_cancel,
    export_job_create,
    export_job_run,
    export_spec_build,
    exports_expire,
)
from llmops_core.services.exports import jobs as export_jobs
from tests.exports.builders import RatedProject

pytestmark = pytest.mark.django_db


def _job(rated: RatedProject, lead: Any, fmt: str = "csv") -> ExportJob:
    spec = export_spec_build(project=rated.project, kind="ratings", fmt=fmt, role=None)
    return export_job_create(spec=spec, project=rated.project, requested_by=lead)


def _actions(job: ExportJob) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="ExportJob", object_id=str(job.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_cancelled_pending_job_never_runs(rated: RatedProject, lead: Any) -> None:
    job = _job(rated, lead)
    assert export_job_cancel(job=job, actor=lead)
    export_job_run(job=job)  # the message arrives after the cancel
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.file and job.finished_at is not None
    assert not export_job_cancel(job=job, actor=lead)  # already finished
    assert _actions(job) == ["export.create", "export.cancel"]


def test_cancelling_a_running_export_stops_it_at_the_next_block_and_keeps_no_file(
    rated: RatedProject, lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _job(rated, lead)
    real = export_jobs.export_write
    blocks: list[float] = []

    def write(spec: Any, handle: Any, *, on_progress: Any, **options: Any) -> Any:
        def progress(fraction: float) -> None:
            blocks.append(fraction)
            if len(blocks) == 2:  # someone presses "Cancel" while block 2 is written
                export_job_cancel(job=ExportJob.objects.get(pk=job.pk), actor=lead)
            on_progress(fraction)

        return real(spec, handle, on_progress=progress, **options)

    monkeypatch.setattr(export_jobs, "export_write", write)
    export_job_run(job=job, block_ratings=5)
    job.refresh_from_db()
    assert len(blocks) == 2  # it stopped instead of writing the other six blocks
    assert job.status == JobStatus.CANCELLED and not job.file and job.progress < 1


def test_a_cancel_after_the_last_block_drops_the_finished_file(
    rated: RatedProject, lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _job(rated, lead)
    real = export_jobs.datasheet_build

    def datasheet(*args: Any, **kwargs: Any) -> Any:
        export_job_cancel(job=ExportJob.objects.get(pk=job.pk), actor=lead)
        return real(*args, **kwargs)

    monkeypatch.setattr(export_jobs, "datasheet_build", datasheet)
    export_job_run(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not job.file and not job.sha256


def test_cancel_and_delete_through_the_api(
    rated: RatedProject, lead: Any, api_as: Callable[[Any], APIClient]
) -> None:
    job = _job(rated, lead)
    base = f"/api/projects/{rated.project.slug}/exports/{job.pk}/"
    client = api_as(lead)
    response = client.post(base + "cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    response = client.post(base + "cancel/")
    assert response.status_code == 409 and "nothing to cancel" in response.json()["detail"]

    done = export_job_run(job=_job(rated, lead))
    name = done.file.name
    assert default_storage.exists(name)
    response = client.delete(f"/api/projects/{rated.project.slug}/exports/{done.pk}/")
    assert response.status_code == 204
    assert not ExportJob.objects.filter(pk=done.pk).exists()
    assert not default_storage.exists(name)
    event = AuditEvent.objects.get(action="export.delete", object_id=str(done.pk))
    assert event.actor == lead and event.before["sha256"] == done.sha256


def test_reviewers_can_neither_cancel_nor_delete(
    rated: RatedProject,
    lead: Any,
    make_member: Callable[..., Any],
    api_as: Callable[[Any], APIClient],
) -> None:
    job = _job(rated, lead)
    client = api_as(make_member(Role.REVIEWER, "curious"))
    base = f"/api/projects/{rated.project.slug}/exports/{job.pk}/"
    assert client.post(base + "cancel/").status_code == 403
    assert client.delete(base).status_code == 403
    html = Client()
    html.force_login(make_member(Role.REVIEWER, "curious-too"))
    page = f"/p/{rated.project.slug}/exports/{job.pk}/"
    assert html.post(page + "cancel/").status_code == 403
    assert html.post(page + "delete/").status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING


def test_cancel_and_delete_from_the_export_page(rated: RatedProject, lead: Any) -> None:
    job = _job(rated, lead)
    client = Client()
    client.force_login(lead)
    page = f"/p/{rated.project.slug}/exports/{job.pk}/"
    assert b"Cancel export" in client.get(page).content
    response = client.post(page + "cancel/", follow=True)
    assert b"was cancelled" in response.content and b"Cancel export" not in response.content
    assert client.get(page + "cancel/").status_code == 405
    response = client.post(page + "delete/", follow=True)
    assert response.redirect_chain[-1][0] == f"/p/{rated.project.slug}/exports/"
    assert b"was deleted" in response.content
    assert not ExportJob.objects.filter(pk=job.pk).exists()


def test_files_past_the_retention_period_are_deleted_and_the_record_stays(
    rated: RatedProject, lead: Any, settings: Any, api_as: Callable[[Any], APIClient]
) -> None:
    settings.EXPORT_RETENTION_DAYS = 30
    old, recent = export_job_run(job=_job(rated, lead)), export_job_run(job=_job(rated, lead))
    now = timezone.now()
    ExportJob.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=31))
    ExportJob.objects.filter(pk=recent.pk).update(finished_at=now - timedelta(days=29))
    old_name = old.file.name

    assert exports_expire() == [old.pk]
    assert exports_expire() == []  # nothing left to do: safe to run every hour
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.file and not default_storage.exists(old_name)
    assert old.sha256 and old.datasheet and old.status == JobStatus.SUCCEEDED
    assert recent.file and default_storage.exists(recent.file.name)
    assert _actions(old)[-1] == "export.expire"

    client = api_as(lead)
    response = client.get(f"/api/projects/{rated.project.slug}/exports/{old.pk}/download/")
    assert response.status_code == 410 and "retention policy" in response.json()["detail"]
    html = Client()
    html.force_login(lead)
    page = f"/p/{rated.project.slug}/exports/{old.pk}/"
    assert html.get(page + "download/").status_code == 404
    assert b"retention policy" in html.get(page).content
    assert html.get(page + "datasheet.json").status_code == 200


def test_retention_zero_keeps_files_forever(rated: RatedProject, lead: Any, settings: Any) -> None:
    settings.EXPORT_RETENTION_DAYS = 0
    job = export_job_run(job=_job(rated, lead))
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=999))
    assert exports_expire() == []
    job.refresh_from_db()
    assert job.file
