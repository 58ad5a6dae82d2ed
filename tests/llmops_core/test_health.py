"""The health endpoint: ``GET /healthz/`` without login; 503 naming the part that is down."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.utils import timezone

from llmops_core.celery import app
from llmops_core.models import Heartbeat
from llmops_core.tasks.health import worker_heartbeat_stamp_task
from tests.support.web import production_env, start_servers
from tests.support.worker import WorkerProcess, wait_for

URL = "/healthz/"


class RefusingBroker:
    """A TCP listener that hangs up on every connection, counting them: a broker that is down
    (the port is open, nothing answers in the broker's protocol)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def refusing_broker() -> Iterator[RefusingBroker]:
    broker = RefusingBroker()
    yield broker
    broker.close()


@pytest.mark.django_db
def test_healthz_answers_ok_to_anyone_in_one_query(
    client: Client, django_assert_num_queries: Callable[..., Any]
) -> None:
    client.get(URL)  # the broker probe's first answer is kept for a second or two
    with django_assert_num_queries(1):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "worker_heartbeat_age_s": None}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_healthz_reports_the_age_of_the_workers_heartbeat(client: Client) -> None:
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - timedelta(seconds=42))
    age = client.get(URL).json()["worker_heartbeat_age_s"]
    assert 42 <= age < 60


@pytest.mark.django_db
def test_healthz_answers_503_naming_a_broker_that_is_down(
    client: Client, settings: Any, refusing_broker: RefusingBroker
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{refusing_broker.port}/0"
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error", "worker_heartbeat_age_s": None}
    # Probed once, then the answer is kept: a load balancer asking every second costs nothing.
    probes = refusing_broker.connections
    assert probes >= 1
    for _ in range(5):
        assert client.get(URL).status_code == 503
    assert refusing_broker.connections == probes


def test_healthz_answers_503_naming_a_database_that_is_down(tmp_path: Path) -> None:
    """A production server (DEBUG=0, https redirect on) whose PostgreSQL does not answer."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    port = closed.getsockname()[1]
    env = production_env(
        database_url=f"postgres://postgres@127.0.0.1:{port}/gone",
        var_dir=tmp_path,
        cache_url="locmem://",
        SECURE_SSL_REDIRECT="1",
    )
    (server,) = start_servers(1, env=env, log_dir=tmp_path)
    try:
        response = requests.get(server.url + URL, timeout=20, allow_redirects=False)
        login = requests.get(server.url + "/accounts/login/", timeout=20, allow_redirects=False)
    finally:
        server.stop()
        closed.close()
    assert response.status_code == 503, server.log_tail()
    assert response.json() == {"database": "error", "broker": "ok", "worker_heartbeat_age_s": None}
    # Load balancers probe over plain HTTP: the check is not redirected to https, pages are.
    assert login.status_code == 301 and login.headers["Location"].startswith("https://")


def test_beat_schedules_the_heartbeat_task_on_a_worker() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == worker_heartbeat_stamp_task.name and entry["task"] in app.tasks
    assert entry["options"]["expires"] <= entry["schedule"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_stamps_the_heartbeat_the_check_reports(
    celery_worker_process: WorkerProcess, client: Client
) -> None:
    worker_heartbeat_stamp_task.delay()
    assert wait_for(lambda: Heartbeat.objects.filter(name="worker").exists()), (
        celery_worker_process.log()
    )
    assert client.get(URL).json()["worker_heartbeat_age_s"] < 30
