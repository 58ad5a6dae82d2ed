"""The demo data exports non-empty files of every kind, in every format, through every door."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.models import ExportJob, Project
from llmops_core.services.exports import export_job_run, export_spec_build, export_write

pytestmark = pytest.mark.django_db
KINDS = ["ratings", "consensus", "preferences", "sft"]


def test_every_kind_of_demo_export_is_non_empty_through_every_door(tmp_path: Path) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    project = Project.objects.get(slug="demo")
    lead = project.memberships.get(user__username="lead").user
    counts = {}
    for kind in KINDS:  # the pipeline itself, every format
        for fmt in ("jsonl", "csv", "parquet"):
            spec = export_spec_build(project=project, kind=kind, fmt=fmt, role=None)
            counts[kind, fmt] = export_write(spec, io.BytesIO()).result.rows
    assert all(counts.values()), counts
    assert counts["preferences", "csv"] >= 10  # v1 and v3 answer the same inputs
    for kind in KINDS:  # the CLI
        out = io.StringIO()
        call_command(
            "export",
            "--project",
            "demo",
            "--kind",
            kind,
            "--format",
            "jsonl",
            "--out",
            str(tmp_path / f"{kind}.jsonl"),
            stdout=out,
        )
        assert f"rows: {counts[kind, 'jsonl']}\n" in out.getvalue()
    api = APIClient()
    api.force_authenticate(lead)
    for kind in KINDS:  # the API, as a job and as a stream
        response = api.post(
            "/api/projects/demo/exports/", {"kind": kind, "format": "parquet"}, format="json"
        )
        job = export_job_run(job=ExportJob.objects.get(pk=response.json()["id"]))
        assert job.rows == counts[kind, "parquet"]
        streamed = api.get("/api/projects/demo/exports/stream/", {"kind": kind, "format": "csv"})
        lines = b"".join(streamed.streaming_content).decode().count("\r\n")
        assert lines > 1
    browser = Client()
    browser.force_login(lead)
    response = browser.post("/p/demo/exports/", {"kind": "sft", "format": "csv"})
    assert response.status_code == 302
    job = export_job_run(job=ExportJob.objects.latest("id"))
    assert job.rows == counts["sft", "csv"]
    assert browser.get(f"/p/demo/exports/{job.pk}/download/").status_code == 200
