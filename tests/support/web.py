"""Run the app as the README's Production section does: gunicorn processes with ``DEBUG=0``.

``production_env`` is the environment of a deployment on plain HTTP inside a private network
(the README says what to set for that); ``GunicornServer`` starts one gunicorn with its own
workers on a free port, in its own process group, logging to a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.support import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "multi-process-test-" + "k9#Fq" * 10


def production_env(
    *, database_url: str, var_dir: Path, cache_url: str | None, **extra: str
) -> dict[str, str]:
    """Return a production environment: ``DEBUG=0``, real settings, plain HTTP.

    ``cache_url`` None leaves ``CACHE_URL`` unset (the production default).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            # Plain HTTP on a private network, as the README's Production section says.
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    if cache_url is not None:
        env["CACHE_URL"] = cache_url
    env.update(extra)
    return env


def collect_static(env: dict[str, str]) -> None:
    """Run ``manage.py collectstatic`` as the README says (pages need WhiteNoise's manifest)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


class GunicornServer:
    """``gunicorn llmops_core.wsgi --preload`` with ``workers`` sync workers on 127.0.0.1."""

    def __init__(self, *, env: dict[str, str], log_path: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "llmops_core.wsgi",
            "--preload",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "2",
            "--log-level",
            "warning",
        ]
        self.process = ServerProcess("gunicorn", command, env=env, log_path=log_path)

    def start(self) -> None:
        self.process.start()

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until the server answers an HTTP request (its first one loads the views)."""

        def answers() -> bool:
            try:
                requests.get(self.url + "/accounts/login/", timeout=30, allow_redirects=False)
            except requests.RequestException:
                return False
            return True

        self.process.wait_ready(answers, timeout=timeout)

    def log_tail(self) -> str:
        return self.process.log_tail()

    def stop(self) -> None:
        self.process.stop(grace=5)


def start_servers(count: int, *, env: dict[str, str], log_dir: Path) -> list[GunicornServer]:
    """Start ``count`` gunicorn servers at once and wait until all of them answer."""
    servers = [
        GunicornServer(env=env, log_path=log_dir / f"gunicorn-{i}-{time.monotonic_ns()}.log")
        for i in range(count)
    ]
    for server in servers:
        server.start()
    try:
        for server in servers:
            server.wait_ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers
