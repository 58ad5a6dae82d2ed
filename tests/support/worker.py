"""Run a real Celery worker process against the test database and the configured broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """A ``celery worker`` subprocess consuming this test session's queue."""

    def __init__(
        self, *, database_url: str, concurrency: int = 2, env: Mapping[str, str] | None = None
    ) -> None:
        """``env`` overrides the worker's environment (a broker URL, short timeouts)."""
        self.database_url = database_url
        self.concurrency = concurrency
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = Path(settings.VAR_DIR) / f"worker-{os.getpid()}.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DATABASE_URL"] = self.database_url
        env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        env["VAR_DIR"] = str(settings.VAR_DIR)
        env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
        env["CELERY_QUEUE"] = settings.CELERY_TASK_DEFAULT_QUEUE
        env["DEBUG"] = "1"
        env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "llmops_core",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log()}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its children, as a crash would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                # The test is over: a worker still finishing (or polling) after this is killed.
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(predicate: object, timeout: float = 30, interval: float = 0.2) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(interval)
    return False
