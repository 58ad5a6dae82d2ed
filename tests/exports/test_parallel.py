"""Large exports split into parts written by forked processes: same bytes, same datasheet.

These tests commit their data (the forked children read it over their own connections), so
they run with ``transaction=True``.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmops_core.models import JobStatus
from llmops_core.services.exports import (
    datasheet_build,
    export_job_create,
    export_job_run,
    export_spec_build,
    export_write,
    pipeline,
    shards,
)
from llmops_core.services.exports.shards import export_parts_for, export_parts_sweep
from llmops_core.tasks.exports import exports_expire_task
from tests.exports.builders import RatedProject

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def parts_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Give each test its own parts folder; whatever happened, no part is left in it."""
    settings.EXPORT_PARTS_DIR = tmp_path / "parts"
    yield settings.EXPORT_PARTS_DIR
    assert not list(settings.EXPORT_PARTS_DIR.glob("*")), "an export left its parts behind"


def _export(rated: RatedProject, kind: str, fmt: str, parts: int) -> tuple[bytes, dict[str, Any]]:
    spec = export_spec_build(project=rated.project, kind=kind, fmt=fmt, filters={}, role=None)
    buffer = io.BytesIO()
    outcome = export_write(spec, buffer, parts=parts, block_ratings=3)
    sheet = datasheet_build(outcome.run, outcome.result, file_name="export")
    assert outcome.result.rows > 0
    return buffer.getvalue(), sheet


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("kind", ["ratings", "consensus", "sft"])
def test_parts_give_the_bytes_and_datasheet_of_one_process(
    rated: RatedProject, kind: str, fmt: str
) -> None:
    one, one_sheet = _export(rated, kind, fmt, parts=1)
    three, three_sheet = _export(rated, kind, fmt, parts=3)
    assert three == one
    assert three_sheet == one_sheet


def test_a_failing_part_fails_the_export_with_the_child_s_error(
    rated: RatedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.ExportRun.batches

    def batches(self: pipeline.ExportRun, *args: Any, **kwargs: Any) -> Any:
        if self.context.rating_filter.output_id_min is not None:  # only the forked parts
            raise ValueError("disk on fire")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pipeline.ExportRun, "batches", batches)
    spec = export_spec_build(
        project=rated.project, kind="ratings", fmt="jsonl", filters={}, role=None
    )
    with pytest.raises(RuntimeError, match=r"(?s)an export part failed.*disk on fire"):
        export_write(spec, io.BytesIO(), parts=2, block_ratings=3)


def test_parts_whose_export_process_is_gone_remove_their_own_files(
    rated: RatedProject, monkeypatch: pytest.MonkeyPatch, parts_dir: Path
) -> None:
    """A killed worker's parts clean up after themselves: nobody else would read them."""
    monkeypatch.setattr(os, "getppid", lambda: -1)  # inherited by the children: "orphaned"
    # The parent is "dead": it neither removes the folder nor kills its children (it only
    # reaps them, so that the test knows they are done).
    monkeypatch.setattr(shards.shutil, "rmtree", lambda *a, **kw: None)
    monkeypatch.setattr(shards._Child, "kill", lambda child: child.pid and os.waitpid(child.pid, 0))
    spec = export_spec_build(
        project=rated.project, kind="ratings", fmt="jsonl", filters={}, role=None
    )
    with pytest.raises(RuntimeError, match="an export part ended with status"):
        export_write(spec, io.BytesIO(), parts=3, block_ratings=3)
    assert parts_dir.is_dir() and not list(parts_dir.glob("*"))


def test_the_hourly_sweep_removes_parts_folders_nothing_wrote_to_for_an_hour(
    parts_dir: Path, settings: Any
) -> None:
    old, fresh = parts_dir / "export-parts-old", parts_dir / "export-parts-fresh"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / "part-1").write_bytes(b"rows")
    hour_ago = time.time() - 3601
    for path in (old, old / "part-1"):
        os.utime(path, (hour_ago, hour_ago))
    (parts_dir / "unrelated").mkdir()
    settings.EXPORT_PARTS_MAX_AGE_SECONDS = 3600
    assert exports_expire_task() == 0
    assert sorted(p.name for p in parts_dir.iterdir()) == ["export-parts-fresh", "unrelated"]
    assert export_parts_sweep(max_age=0, now=time.time() + 1) == ["export-parts-fresh"]
    (parts_dir / "unrelated").rmdir()


def test_a_job_goes_parallel_from_the_size_threshold_and_not_below(
    rated: RatedProject, settings: Any, tmp_path: Path
) -> None:
    spec = export_spec_build(
        project=rated.project, kind="ratings", fmt="csv", filters={}, role=None
    )
    run = pipeline.ExportRun(spec)
    total = run.total_ratings()
    settings.EXPORT_WORKERS = 2
    settings.EXPORT_PARALLEL_MIN_RATINGS = total + 1
    assert export_parts_for(run) == 1
    settings.EXPORT_PARALLEL_MIN_RATINGS = 2
    assert export_parts_for(run) == 2
    settings.EXPORT_WORKERS = 1
    assert export_parts_for(run) == 1
    preferences = pipeline.ExportRun(
        export_spec_build(
            project=rated.project, kind="preferences", fmt="csv", filters={}, role=None
        )
    )
    settings.EXPORT_WORKERS = 2
    assert export_parts_for(preferences) == 1  # pairs span outputs: never split

    serial = export_job_run(
        job=export_job_create(spec=spec, project=rated.project, requested_by=None)
    )
    settings.EXPORT_PARALLEL_MIN_RATINGS = total + 1
    single = export_job_run(
        job=export_job_create(spec=spec, project=rated.project, requested_by=None)
    )
    assert serial.status == single.status == JobStatus.SUCCEEDED
    assert serial.sha256 == single.sha256
    for key in ("counts", "agreement", "prompt_versions", "rating_period", "caveats"):
        assert serial.datasheet[key] == single.datasheet[key], key


@pytest.mark.worker
def test_a_celery_worker_writes_a_parallel_export_with_the_bytes_of_one_process(
    rated: RatedProject, lead: Any
) -> None:
    """The forked parts run inside a real prefork worker's pool process, as in production."""
    from rest_framework.test import APIClient

    from tests.support.db import database_url_for_subprocess
    from tests.support.worker import WorkerProcess, wait_for

    one, _ = _export(rated, "ratings", "jsonl", parts=1)
    worker = WorkerProcess(
        database_url=database_url_for_subprocess(),
        env={
            "EXPORT_WORKERS": "2",
            "EXPORT_PARALLEL_MIN_RATINGS": "2",
            "EXPORT_BLOCK_RATINGS": "3",
        },
    )
    worker.start()
    try:
        client = APIClient()
        client.force_authenticate(lead)
        base = f"/api/projects/{rated.project.slug}/exports/"
        created = client.post(base, {"kind": "ratings", "format": "jsonl"}, format="json")
        assert created.status_code == 202
        poll = f"{base}{created.json()['id']}/"
        assert wait_for(
            lambda: client.get(poll).json()["status"] in ("succeeded", "failed"), timeout=60
        ), worker.log()
        job = client.get(poll).json()
    finally:
        worker.stop()
    assert job["status"] == "succeeded", job["error"]
    assert job["sha256"] == hashlib.sha256(one).hexdigest()
