"""Helpers the benchmarks share: a throwaway database, free ports and server subprocesses."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class BenchDatabase:
    """Point DATABASE_URL at a fresh database named after the benchmark, and drop it after.

    The PostgreSQL database is ``<prefix><name>`` on the server DATABASE_URL names.
    """

    name: str
    url: str = ""
    admin_url: str | None = None
    prefix: str = "llmops_bench_"

    @property
    def database(self) -> str:
        """Return the name of the PostgreSQL database."""
        return f"{self.prefix}{self.name}"

    def create(self) -> str:
        """Create the database (replacing a previous run's) and return its URL."""
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            base, _, _ = url.rpartition("/")
            self.admin_url = base + "/postgres"
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {self.database}")
            self.url = f"{base}/{self.database}"
        else:
            path = ROOT / "var" / "bench" / f"{self.name}.sqlite3"
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            self.url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = self.url
        return self.url

    def drop(self) -> None:
        """Drop the PostgreSQL database (a SQLite file stays for inspection)."""
        if self.admin_url is None:
            return
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


SUPPORT_ANSWER = (
    "Open **Settings → Data → Export** and choose CSV. Large exports are emailed to "
    "you as a download link.\n\n```\nexport --csv\n```\n"
)


def bench_outputs(
    project: Any, items: int, *, prefix: str, text: str = SUPPORT_ANSWER, model: str = "bench-model"
) -> list[int]:
    """Insert ``items`` model outputs of a support answer in bulk; return their ids in order."""
    from llmops_core.hashing import content_hash
    from llmops_core.models import ModelOutput

    for start in range(0, items, 5000):
        batch = []
        for i in range(start, min(items, start + 5000)):
            payload = {"question": f"How do I export my data? ({i})", "product": "Acme Notes"}
            batch.append(
                ModelOutput(
                    project=project,
                    external_id=f"{prefix}-{i}",
                    input=payload,
                    input_hash=content_hash(payload),
                    output_text=text,
                    model_name=model,
                    metadata={},
                )
            )
        ModelOutput.objects.bulk_create(batch)
    return list(
        ModelOutput.objects.filter(project=project).order_by("id").values_list("id", flat=True)
    )


def gunicorn_config(label: str) -> str:
    """Return a gunicorn config file that preloads the app and says when its views are loaded.

    gunicorn loads the app once and imports every view module (the URLconf) before it forks
    its workers: they start warm, and a benchmark measures a warm server.
    """
    return f"""
import sys

preload_app = True


def when_ready(server):
    from django.urls import get_resolver

    get_resolver().url_patterns
    print("{label}: views loaded", file=sys.stderr, flush=True)
"""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A long-running child (a web server, a Celery worker) in its own session, logging to a file.

    ``stop`` ends the whole process group: SIGTERM first, SIGKILL after ``grace`` seconds.
    """

    def __init__(
        self, name: str, command: Sequence[str], *, env: dict[str, str], log_path: Path
    ) -> None:
        self.name = name
        self.command = list(command)
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.terminated = False

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ``ready()`` until it is true; raise with the log's tail if the child dies first."""
        assert self.proc is not None, "start() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def terminate(self) -> None:
        """Ask the whole process group to stop (SIGTERM): gunicorn and Celery fork workers."""
        if self.proc is not None and not self.terminated:
            self.terminated = True
            self._signal_group(signal.SIGTERM)

    def stop(self, grace: float = 10) -> int | None:
        """End the process group and return the exit code (None if it was never started)."""
        if self.proc is None:
            return None
        self.terminate()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=10)
        # Children outliving their parent (a worker of a crashed server) go too.
        self._signal_group(signal.SIGKILL)
        return self.proc.returncode

    def _signal_group(self, sig: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):  # the whole group has already exited
            os.killpg(self.proc.pid, sig)


def stop_all(servers: Sequence[ServerProcess], grace: float = 10) -> None:
    """Stop every server, all at the same time: SIGTERM to all, SIGKILL after ``grace``."""
    for server in servers:
        server.terminate()
    deadline = time.monotonic() + grace
    for server in servers:
        server.stop(grace=max(0.1, deadline - time.monotonic()))
