"""Health of the deployment for load balancers: the database, the broker, the workers' heartbeat.

Cheap enough to ask every second: the database answers one primary-key read (the heartbeat
row), which proves it is up; the broker is probed with a one-second connect and its answer is
kept for ``BROKER_PROBE_SECONDS`` per web process; nothing else is touched.

How a worker's liveness is known: Celery beat sends ``worker_heartbeat_stamp_task`` every
``WORKER_HEARTBEAT_SECONDS``, and whichever worker runs it stamps the ``worker`` heartbeat row.
Its age therefore grows when no worker consumes the queue, or when beat is not running (both
are needed for the app to work). Asking the workers over the broker (``celery inspect ping``)
would take a second or more on every probe, and would say nothing about beat.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from llmops_core.models import Heartbeat

logger = logging.getLogger(__name__)

WORKER = "worker"
BROKER_PROBE_SECONDS = 2.0
BROKER_TIMEOUT_SECONDS = 1.0

_probe_lock = threading.Lock()
_last_probe: dict[str, tuple[float, bool]] = {}


@dataclass(frozen=True)
class Health:
    database: bool
    broker: bool
    worker_heartbeat_age_s: float | None

    @property
    def ok(self) -> bool:
        """Whether this web process can serve: the database and the broker answer."""
        return self.database and self.broker

    def as_dict(self) -> dict[str, object]:
        return {
            "database": "ok" if self.database else "error",
            "broker": "ok" if self.broker else "error",
            "worker_heartbeat_age_s": self.worker_heartbeat_age_s,
        }


def worker_heartbeat_stamp() -> None:
    """Record that a worker is running now (called by the heartbeat task, on a worker)."""
    now = timezone.now()
    if not Heartbeat.objects.filter(name=WORKER).update(beat_at=now):
        Heartbeat.objects.bulk_create([Heartbeat(name=WORKER, beat_at=now)], ignore_conflicts=True)


def health_check() -> Health:
    """Probe the database and the broker; read the age of the workers' heartbeat."""
    database, age = _database_and_heartbeat()
    return Health(database=database, broker=_broker_up(), worker_heartbeat_age_s=age)


def _database_and_heartbeat() -> tuple[bool, float | None]:
    try:
        beat_at = Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
    except DatabaseError as exc:
        logger.warning("health check: database unavailable: %s", exc)
        connection.close()  # the next probe connects afresh
        return False, None
    if beat_at is None:
        return True, None
    return True, round(max(0.0, (timezone.now() - beat_at).total_seconds()), 1)


def _broker_up() -> bool:
    """Return whether the broker accepts a connection, probing at most every couple of seconds."""
    url = settings.CELERY_BROKER_URL
    with _probe_lock:
        cached = _last_probe.get(url)
        if cached is not None and time.monotonic() - cached[0] < BROKER_PROBE_SECONDS:
            return cached[1]
        up = _probe_broker(url)
        _last_probe[url] = (time.monotonic(), up)
        return up


def _probe_broker(url: str) -> bool:
    from kombu import Connection

    options = {
        **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
    }
    try:
        with Connection(
            url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            _ = conn.default_channel  # opening a channel talks to the broker (Redis: PING)
    except Exception as exc:  # any failure means "not usable"; the reason goes to the log
        logger.warning("health check: broker %s unavailable: %s", _safe_url(url), exc)
        return False
    return True


def _safe_url(url: str) -> str:
    """Return the broker URL without its password, for the log."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))
