"""An export job whose worker is SIGKILLed mid-file is dispatched again by the stale-job sweep.

Its heartbeat stops with the worker; the sweep sends it back to a (new) worker, which writes
the whole file again: the same rows and the same SHA-256 as a clean run of the same export.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from llmops_core.models import ExportJob, JobStatus, Project
from llmops_core.services.exports import export_spec_build, export_write
from llmops_core.services.jobs.sweep import jobs_resume_stale
from tests.judges.helpers import make_outputs, make_queue, rate_queue
from tests.support.db import database_url_for_subprocess
from tests.support.worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OUTPUTS = 600  # x 3 reviewers x 3 criteria = 5,400 ratings, one row each
# Blocks of 27 ratings (three outputs): 200 blocks, each a progress update and a heartbeat, so
# the export runs for a second or more and the kill lands mid-file.
WORKER_ENV = {"EXPORT_BLOCK_RATINGS": "27"}


def _job(pk: int) -> ExportJob:
    return ExportJob.objects.get(pk=pk)


def _mid_file(pk: int) -> bool:
    job = _job(pk)
    return job.status == JobStatus.RUNNING and job.progress >= 0.1


def test_an_export_killed_mid_file_completes_after_a_restart_with_a_correct_file(
    project: Project,
    lead: Any,
    team: list[Any],
    api_as: Callable[..., APIClient],
    settings: Any,
) -> None:
    rate_queue(make_queue(project, make_outputs(project, OUTPUTS)), team)
    worker = WorkerProcess(database_url=database_url_for_subprocess(), env=WORKER_ENV)
    worker.start()
    try:
        response = api_as(lead).post(
            reverse("api-exports", kwargs={"project_slug": project.slug}),
            {"kind": "ratings", "format": "jsonl"},
            format="json",
        )
        assert response.status_code == 202, response.content
        pk = int(response.json()["id"])
        assert wait_for(lambda: _mid_file(pk), timeout=60, interval=0.05), worker.log()
    finally:
        worker.kill()
    killed = _job(pk)
    assert killed.status == JobStatus.RUNNING and 0.1 <= killed.progress < 0.99, (
        f"the kill did not land mid-file: {killed.status} at {killed.progress}"
    )
    assert (killed.attempts, killed.file.name) == (1, "")

    replacement = WorkerProcess(database_url=database_url_for_subprocess(), env=WORKER_ENV)
    replacement.start()
    try:
        # What the beat task does once the dead worker's heartbeat is older than the setting.
        settings.JOB_STALE_SECONDS = 1
        assert wait_for(lambda: f"export:{pk}" in jobs_resume_stale().dispatched, timeout=30), (
            "the sweep never dispatched the export again"
        )
        assert wait_for(lambda: _job(pk).is_finished, timeout=90), replacement.log()
    finally:
        replacement.kill()

    job = _job(pk)
    assert (job.status, job.error, job.attempts, job.progress) == (JobStatus.SUCCEEDED, "", 2, 1.0)
    with job.file.open("rb") as handle:
        data = handle.read()
    spec = export_spec_build(project=project, kind="ratings", fmt="jsonl", role=None)
    clean = io.BytesIO()
    outcome = export_write(spec, clean)
    assert (job.rows, job.sha256) == (outcome.result.rows, outcome.result.sha256)
    assert (
        hashlib.sha256(data).hexdigest()
        == job.sha256
        == hashlib.sha256(clean.getvalue()).hexdigest()
    )
    lines = data.decode().splitlines()
    assert len(lines) == job.rows == OUTPUTS * 9
    keys = {(r["output_id"], r["reviewer"], r["criterion"]) for r in map(json.loads, lines)}
    assert len(keys) == len(lines), "a rating appears twice in the file"
    # The killed attempt wrote to a temporary file: one export file is stored, no leftover.
    stored = [p for p in Path(settings.MEDIA_ROOT, "exports").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [Path(job.file.name).name]


def _children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_the_parts_of_a_parallel_export_whose_process_was_killed_remove_themselves(
    project: Project,
    lead: Any,
    team: list[Any],
    api_as: Callable[..., APIClient],
    tmp_path: Path,
) -> None:
    """SIGKILL the pool process writing a parallel export: its forked parts outlive it.

    They notice at their next block, stop, and remove their files and their folder, so a
    killed worker leaves nothing under ``EXPORT_PARTS_DIR``.
    """
    rate_queue(make_queue(project, make_outputs(project, OUTPUTS)), team)
    parts_dir = tmp_path / "parts"
    # Blocks of 9 ratings: each part writes 200 blocks, so the kill lands while they write.
    env = {
        "EXPORT_BLOCK_RATINGS": "9",
        "EXPORT_WORKERS": "3",
        "EXPORT_PARALLEL_MIN_RATINGS": "2",
        "EXPORT_PARTS_DIR": str(parts_dir),
    }
    worker = WorkerProcess(database_url=database_url_for_subprocess(), env=env)
    worker.start()
    try:
        response = api_as(lead).post(
            reverse("api-exports", kwargs={"project_slug": project.slug}),
            {"kind": "ratings", "format": "csv"},
            format="json",
        )
        assert response.status_code == 202, response.content
        pk = int(response.json()["id"])

        def writing_parts() -> list[int]:
            """Return the pool process with forked parts, once the export is under way."""
            assert worker.proc is not None
            files = list(parts_dir.glob("*/part-*"))
            done = list(parts_dir.glob("*/*.stats"))  # a part already finished: too late
            busy = [pool for pool in _children(worker.proc.pid) if _children(pool)]
            under_way = files and not done and len(busy) == 1 and _mid_file(pk)
            return busy if under_way else []

        assert wait_for(writing_parts, timeout=60, interval=0.02), worker.log()
        [exporter] = writing_parts()
        parts = _children(exporter)
        assert len(parts) == 2, parts
        os.kill(exporter, signal.SIGKILL)  # only the export's process: its parts live on
        assert not _job(pk).is_finished, "the export finished before the kill"
        assert wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in parts), timeout=30), (
            "the orphaned parts did not stop"
        )
        assert list(parts_dir.iterdir()) == [], "the orphaned parts left files behind"
    finally:
        worker.kill()
