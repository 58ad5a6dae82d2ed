"""Lean processes: a web process imports no worker-only library; pool processes do not hoard.

Each check runs ``python -m bench.process_imports`` in a fresh interpreter, as gunicorn (or
``celery worker``) starts, with production settings. A failure names the heavy library and the
chain of our own module-level imports that loaded it: move that import into the function that
uses it (or into a worker-only module).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from django.conf import settings

from bench.process_imports import HEAVY_MODULES, RSS_LIMIT_MB
from llmops_core.models import AuditEvent
from llmops_core.tasks import ping_task
from tests.support.db import database_url_for_subprocess
from tests.support.worker import WorkerProcess, wait_for

ROOT = Path(__file__).resolve().parents[1]


def _start(*flags: str) -> dict[str, Any]:
    """Run the import probe in a fresh process with production settings; return its report."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bench.process_imports", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def _explain(heavy: dict[str, str]) -> str:
    return "; ".join(f"{name} loaded by {chain}" for name, chain in heavy.items())


@pytest.fixture(scope="module")
def web() -> dict[str, Any]:
    """A web process that has imported every view and API module."""
    return _start()


@pytest.mark.backend_independent
def test_importing_every_view_loads_no_heavy_library(web: dict[str, Any]) -> None:
    """Every URL's view and every view and API module import none of the worker's libraries."""
    assert web["imported"] > 30, web  # the probe really walked the URL conf
    assert {"scipy", "matplotlib", "pandas", "pyarrow", "openai"} <= set(HEAVY_MODULES)
    assert web["heavy"] == {}, _explain(web["heavy"])


@pytest.mark.backend_independent
def test_a_web_process_with_every_view_stays_under_the_memory_bound(web: dict[str, Any]) -> None:
    assert web["rss_mb"] < RSS_LIMIT_MB, web


@pytest.mark.backend_independent
def test_a_celery_worker_starts_without_the_heavy_libraries() -> None:
    """The worker's parent loads task modules only; a task imports what it needs when it runs,
    so a pool child that never computes a report never carries scipy."""
    report = _start("--worker")
    assert report["imported"] >= 5, report  # every tasks module was loaded
    assert report["heavy"] == {}, _explain(report["heavy"])
    assert report["rss_mb"] < RSS_LIMIT_MB, report


def _pool(worker: WorkerProcess) -> set[int]:
    """Return the pids of the worker's pool processes."""
    assert worker.proc is not None
    return {child.pid for child in psutil.Process(worker.proc.pid).children()}


def test_the_worker_recycles_pool_processes_above_the_memory_bound_by_default() -> None:
    from llmops_core.celery import app

    assert settings.WORKER_MAX_MEMORY_MB == 200
    assert app.conf.worker_max_memory_per_child == 200 * 1024  # KiB, as Celery reads it


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_that_grew_past_the_bound_is_replaced_after_its_task() -> None:
    """What a job loaded (scipy, pyarrow) leaves with its process instead of staying resident."""
    worker = WorkerProcess(
        database_url=database_url_for_subprocess(),
        concurrency=1,
        env={"WORKER_MAX_MEMORY_MB": "1"},  # every pool process is past 1 MB after a task
    )
    worker.start()
    try:
        assert wait_for(lambda: len(_pool(worker)) == 1), worker.log()
        before = _pool(worker)
        ping_task.delay("recycle")
        assert wait_for(
            lambda: AuditEvent.objects.filter(
                action="worker.ping", after__marker="recycle"
            ).exists()
        ), worker.log()
        assert wait_for(lambda: len(_pool(worker)) == 1 and _pool(worker) != before), worker.log()
    finally:
        worker.stop()
