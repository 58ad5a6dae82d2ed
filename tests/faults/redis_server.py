"""A throwaway ``redis-server`` on a free port that a test can SIGKILL and start again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import current_app
from kombu import pools


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` that keeps nothing on disk, like the Redis of CI (``--save ""``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = directory / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10) -> None:
        """Start the server on this object's port and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited early:\n{self.log()}")
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server not answering after {timeout}s:\n{self.log()}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server, as a crash or an OOM kill would: every queue in it is gone."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def queue_length(self, queue: str, db: int = 0) -> int:
        """Return how many messages wait in ``queue`` (kombu keeps a Redis list per queue)."""
        import redis

        with redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=2) as client:
            return int(client.llen(queue))  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (what ``task.delay`` publishes with) at ``url``."""
    conf: Any = current_app.conf
    saved = conf.broker_url, conf.broker_transport_options

    def reset_pools() -> None:
        # Celery has no public way to swap brokers: close and forget every cached pool (kombu
        # keeps them per broker URL); the next publish opens a new one on the current URL.
        pools.reset()
        current_app._pool = None
        current_app.amqp._producer_pool = None

    saved_env = os.environ.get("CELERY_BROKER_URL")  # Celery prefers it to the configuration
    reset_pools()
    os.environ["CELERY_BROKER_URL"] = conf.broker_url = url
    conf.broker_transport_options = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
    try:
        yield
    finally:
        reset_pools()
        conf.broker_url, conf.broker_transport_options = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
