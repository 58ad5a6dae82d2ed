"""The load test in its quick mode: through gunicorn, PostgreSQL, Redis and a real worker.

``python -m bench.load --quick`` runs as a subprocess, exactly as a person would run it, on its
own throwaway database (on the test run's PostgreSQL server) and its own Redis database, which
it flushes: never the broker this test run uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.support.db import database_url_for_subprocess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
REDIS_DB = 12
REPORTED = {
    "reviewers",
    "seconds",
    "acknowledged",
    "stored",
    "lost",
    "duplicates",
    "over_overlap",
    "errors",
    "throughput_rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
}


def load_redis_url() -> str:
    """Return Redis database ``REDIS_DB`` on the server the test run's broker uses."""
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        parts = urlsplit(broker)
        return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))
    return f"redis://127.0.0.1:6379/{REDIS_DB}"


def test_quick_load_stores_every_acknowledged_rating_exactly_once() -> None:
    """Reviewers rate at full speed while a report and an export run; nothing is lost or doubled."""
    redis_url = load_redis_url()
    assert redis_url != settings.CELERY_BROKER_URL, "the load test flushes its Redis database"
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess()}
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--quick", "--redis-url", redis_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, output
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["reviewers"] == 10, output
    assert result["acknowledged"] > 0, output
    assert result["stored"] == result["acknowledged"], output
    assert (result["lost"], result["duplicates"], result["unexpected"]) == (0, 0, 0), output
    assert result["over_overlap"] == 0, output
    assert result["report_status"] == "succeeded", output
    assert result["export_status"] == "succeeded", output
    assert result["throughput_rps"] > 0, output
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"], output
    assert result.keys() >= REPORTED, output
