"""Benchmark lean processes: what a web process loads, how fast a restart serves, the tree's memory.

Run ``python -m bench.startup`` (or ``--quick``: one restart instead of three). Production
settings (``DEBUG=0``) on a throwaway database (a SQLite file under ``var/bench/`` or, when
``DATABASE_URL`` points at PostgreSQL, ``llmops_bench_startup`` on that server) with the demo
project seeded (``seed_demo``). Three figures:

- ``web_rss_mb``: a fresh process that loads the app as gunicorn does and imports every view
  and API module (``bench.process_imports``); ``heavy_modules`` lists the worker-only libraries
  it holds and which of our imports loaded each (none, when the rule holds);
  ``worker_start_rss_mb`` is the same for a Celery worker before its first task.
- ``restart_s``: from starting ``gunicorn llmops_core.wsgi --preload --workers 1`` (the README's
  production command, one worker) to the first page served, the signed-in dashboard ``/``;
  the median of three starts (``restart_runs`` has each).
- ``tree_rss_mb``: one gunicorn (master and one worker, as above) and one Celery worker (its
  main process and ``--concurrency`` pool processes, 1 by default; ``make run`` starts 2)
  after a workload: every page of the demo project, then an agreement report, a Parquet
  export, a judge run over a queue against the local OpenAI-compatible server (its own
  process, not counted), its judge-versus-human report and a scorecard, each requested through
  the API and polled to its end, then their pages and charts. The figure is the summed resident
  memory of every process of the tree once the workload is done (``tree_rss_peak_mb``: the
  highest sum, sampled every 0.2 s during it). A sum of RSS counts a page shared by two
  processes (gunicorn's preloaded master and its worker, Celery's parent and the pool
  processes it forked) twice; ``tree_pss_mb`` and ``tree_pss_peak_mb`` count it once.
  ``tree_processes_after`` lists each process with the heavy libraries it has loaded.

The last line printed is one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.support import BenchDatabase, ServerProcess, free_port, stop_all
from bench.tree_workload import TreeSampler, run_workload

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = BenchDatabase("startup")
RESTART_TARGET_S = 3.0
TREE_TARGET_MB = 500
WEB_TARGET_MB = 150


def configure(var_dir: Path, llm_port: int) -> None:
    """Set the production-like environment this process and its children share."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "LOG_LEVEL": "WARNING",
            "OPENAI_BASE_URL": f"http://127.0.0.1:{llm_port}/v1",
            "OPENAI_API_KEY": "bench-key",
            "CELERY_QUEUE": "bench-startup",
        }
    )


def process_imports(*flags: str) -> dict[str, Any]:
    """Run ``bench.process_imports`` in a fresh interpreter; return its report."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.process_imports", *flags],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def gunicorn(port: int, var_dir: Path, name: str) -> ServerProcess:
    """Return (not started) the README's production gunicorn command with one worker."""
    command = [sys.executable, "-m", "gunicorn", "llmops_core.wsgi", "--preload"]
    command += ["--workers", "1", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2"]
    return ServerProcess(name, command, env=dict(os.environ), log_path=var_dir / f"{name}.log")


def celery_worker(var_dir: Path, concurrency: int) -> ServerProcess:
    """Return (not started) one Celery worker with ``concurrency`` pool processes."""
    command = [sys.executable, "-m", "celery", "-A", "llmops_core", "worker", "--loglevel=INFO"]
    command += [f"--concurrency={concurrency}", "-Q", "bench-startup", "--without-gossip"]
    command += ["--without-mingle", "-n", f"bench-startup-{os.getpid()}@%h"]
    return ServerProcess(
        "celery worker", command, env=dict(os.environ), log_path=var_dir / "worker.log"
    )


def get_page(port: int, path: str, cookie: str, timeout: float = 30.0) -> int:
    """GET ``path`` with the session cookie and return the status (the body is read and dropped)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def time_restart(port: int, var_dir: Path, cookie: str) -> tuple[float, float]:
    """Start gunicorn; return the seconds until it served the signed-in dashboard, and its CPU s.

    The CPU time (master and worker, user and system) does not depend on how busy the machine
    is; the wall time does.
    """
    server = gunicorn(port, var_dir, "gunicorn-restart")
    started = time.perf_counter()
    server.start()
    try:
        while True:
            try:
                status = get_page(port, "/", cookie)
            except OSError:
                status = 0
            if status == 200:
                return time.perf_counter() - started, _tree_cpu(server)
            if status not in (0, 502, 503):
                raise RuntimeError(f"GET / answered {status}:\n{server.log_tail()}")
            if time.perf_counter() - started > 60 or (server.proc and server.proc.poll()):
                raise RuntimeError(f"gunicorn served nothing:\n{server.log_tail()}")
            time.sleep(0.02)
    finally:
        server.stop()


def _tree_cpu(server: ServerProcess) -> float:
    """Return the CPU seconds a server's process and its children have used so far."""
    import psutil

    assert server.proc is not None
    top = psutil.Process(server.proc.pid)
    times = [p.cpu_times() for p in [top, *top.children(recursive=True)]]
    return sum(t.user + t.system for t in times)


def seed() -> dict[str, Any]:
    """Migrate, collect static files and seed the demo; return the lead's cookie and token."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from llmops_core.services.tokens import token_create

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as in production
    call_command("seed_demo", stdout=io.StringIO())
    lead = get_user_model().objects.get(username="lead")
    session = SessionStore()
    session[SESSION_KEY] = str(lead.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = lead.get_session_auth_hash()
    session.create()
    return {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "token": token_create(user=lead, name="bench startup")[1],
    }


def measure_tree(
    world: dict[str, Any], var_dir: Path, concurrency: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the workload against gunicorn and a Celery worker; return memory and workload."""
    port = free_port()
    web = gunicorn(port, var_dir, "gunicorn")
    worker = celery_worker(var_dir, concurrency)
    servers = [web, worker]
    for server in servers:
        server.start()
    try:
        worker.wait_ready(lambda: " ready." in worker.log_text(), timeout=120)
        web.wait_ready(lambda: _serves(port, world["cookie"]), timeout=60)
        sampler = TreeSampler([s.proc.pid for s in servers if s.proc is not None])
        sampler.start()
        workload = run_workload(port, world, get_page=get_page)
        time.sleep(1.0)  # let the pool settle after its last task
        sampler.stop()
        return sampler.figures(), workload
    finally:
        stop_all(servers)


def _serves(port: int, cookie: str) -> bool:
    try:
        return get_page(port, "/", cookie) == 200
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one timed restart instead of three")
    parser.add_argument("--concurrency", type=int, default=1, help="Celery pool processes")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    restarts = 1 if args.quick else 3
    var_dir = ROOT / "var" / "bench" / "startup"
    llm_port = free_port()
    configure(var_dir, llm_port)
    sys.path.insert(0, str(ROOT))
    web = process_imports()
    worker_start = process_imports("--worker")
    BENCH_DB.create()
    llm = ServerProcess(
        "openai server",
        [sys.executable, "-m", "tests.support.openai_server", "--port", str(llm_port)],
        env=dict(os.environ),
        log_path=var_dir / "llm.log",
    )
    llm.start()
    import django

    django.setup()
    try:
        world = seed()
        timed = [time_restart(free_port(), var_dir, world["cookie"]) for _ in range(restarts)]
        tree, workload = measure_tree(world, var_dir, args.concurrency)
    finally:
        llm.stop()
        if not args.keep:
            BENCH_DB.drop()
    runs = [wall for wall, _ in timed]
    figures = {
        "benchmark": "startup",
        "db": os.environ["DATABASE_URL"].split(":", 1)[0],
        "web_rss_mb": web["rss_mb"],
        "web_setup_rss_mb": web["setup_rss_mb"],
        "web_import_s": web["seconds"],
        "heavy_modules": web["heavy"],
        "worker_start_rss_mb": worker_start["rss_mb"],
        "worker_heavy_modules": worker_start["heavy"],
        "restart_s": round(statistics.median(runs), 2),
        "restart_runs": [round(r, 2) for r in runs],
        "restart_cpu_s": round(statistics.median(cpu for _, cpu in timed), 2),
        **tree,
        "celery_concurrency": args.concurrency,
        "workload": workload,
        "web_under_150_mb": web["rss_mb"] < WEB_TARGET_MB and not web["heavy"],
        "restart_under_3_s": statistics.median(runs) < RESTART_TARGET_S,
        "tree_under_500_mb": tree["tree_rss_mb"] < TREE_TARGET_MB,
    }
    print(
        f"web process with every view: {web['rss_mb']} MB, heavy modules: "
        f"{', '.join(web['heavy']) or 'none'}; restart to first page {figures['restart_s']} s; "
        f"tree after the workload {tree['tree_rss_mb']} MB RSS ({tree['tree_pss_mb']} MB PSS), "
        f"peak {tree['tree_rss_peak_mb']} MB"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
