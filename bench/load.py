"""Load test: reviewers rating at full speed through gunicorn + PostgreSQL + Redis + a worker.

Run ``python -m bench.load`` (50 reviewers for 120 s) or ``--quick`` (10 reviewers for 10 s).
PostgreSQL and Redis are required. The server comes from ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``); the script creates and drops a database
``bench_load_r<N>`` there. Redis is ``--redis-url`` (default ``redis://127.0.0.1:6379/13``): that
database number is FLUSHED before and after, so give one nothing else uses; N above is its number.

Everything runs on 127.0.0.1 with production settings (``DEBUG=0``): gunicorn (gthread workers)
serving the real WSGI app, and a real ``celery worker`` on Redis. Each simulated reviewer is a
thread with its own API token and keep-alive connection that rates exactly as the rating page
does: claim an item and prefetch one (``…/next/``), then submit scores for every criterion and
receive the next item in the same round trip (``…/items/{id}/submit/``), again and again, with
no think time. A submit that fails on the network or with a 5xx is resent with the same client
token, as the page does. A quarter into the run a lead asks, through the API, for an agreement
report and a ratings export of the queue, and polls both until the worker has finished them.

Afterwards the database is checked: every acknowledged submission is stored exactly once, with
the scores that were sent; nothing else was stored; no item has more reviews than its overlap.
The last line printed is one JSON object (``reviewers``, ``seconds``, ``acknowledged``,
``stored``, ``lost``, ``duplicates``, ``over_overlap``, ``errors``, ``throughput_rps``,
``p50_ms``, ``p95_ms``, ``p99_ms``, ``report_status``, ``export_status`` and more). The exit code
is 1 if a rating was lost, duplicated or unexpected, an item went past its overlap, nothing
was acknowledged, or the report or the export did not succeed; 2 if the set-up failed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.load_figures import OVERLAP, figures, problems, summary_lines, verify
from bench.load_traffic import Lead, Reviewer, preflight
from bench.support import (
    BenchDatabase,
    ServerProcess,
    bench_outputs,
    free_port,
    gunicorn_config,
    stop_all,
)

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-load"
FULL = {"reviewers": 50, "seconds": 120.0, "items": 20_000, "wait": 300.0}
QUICK = {"reviewers": 10, "seconds": 10.0, "items": 2_000, "wait": 30.0}
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
CELERY_QUEUE = "bench-load"


def configure(redis_url: str, var_dir: Path) -> None:
    """Set the production-like environment this process and its children share."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-load-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            # Plain http on 127.0.0.1: no redirect to https; the API is used with tokens,
            # not cookies.
            "SECURE_SSL_REDIRECT": "0",
            "CELERY_BROKER_URL": redis_url,
            "CELERY_QUEUE": CELERY_QUEUE,
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )


def build(items: int, reviewers: int) -> dict[str, Any]:
    """Create the project, a queue of ``items`` outputs, the reviewers, a lead and their tokens."""
    from django.contrib.auth import get_user_model

    from annotate.services.queues import queue_create
    from annotate.services.reviewers import queue_set_reviewers
    from llmops_core.models import Role
    from llmops_core.services.projects import membership_set, project_create
    from llmops_core.services.tokens import token_create

    project = project_create(name="Load test", slug=SLUG)
    rubric = project.rubrics.get().versions.get()
    users = [
        get_user_model().objects.create_user(username=f"load{i:02d}") for i in range(reviewers)
    ]
    lead = get_user_model().objects.create_user(username="load-lead")
    for user in users:
        membership_set(project=project, user=user, role=Role.REVIEWER)
    membership_set(project=project, user=lead, role=Role.LEAD)
    ids = bench_outputs(project, items, prefix="load", model="load-model")
    queue = queue_create(
        project=project, name="Load queue", overlap=OVERLAP, output_ids=ids, rubric_version=rubric
    )
    queue_set_reviewers(queue=queue, reviewers=users)
    criteria = [(c.name, c.scale_min, c.scale_max) for c in rubric.criteria.order_by("position")]
    return {
        "queue": queue.pk,
        "rubric_version": rubric.pk,
        "criteria": criteria,
        "reviewers": [(u.get_username(), token_create(user=u, name="load test")[1]) for u in users],
        "lead_token": token_create(user=lead, name="load test")[1],
    }


def start_servers(port: int, var_dir: Path, args: argparse.Namespace) -> list[ServerProcess]:
    """Start gunicorn and a Celery worker (not yet ready: see ``wait_servers``)."""
    env = dict(os.environ)
    config = var_dir / "gunicorn.conf.py"
    config.write_text(gunicorn_config("bench.load"))
    web = ServerProcess(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "llmops_core.wsgi",
            "--config",
            str(config),
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.web_threads),
            "--timeout",
            "60",
            # gunicorn 23's master waits out the whole graceful timeout on SIGTERM even once its
            # workers have exited; nothing is in flight when the bench stops it, so keep it short.
            "--graceful-timeout",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        log_path=var_dir / "gunicorn.log",
    )
    worker = ServerProcess(
        "celery worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "llmops_core",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={args.worker_concurrency}",
            "-Q",
            CELERY_QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-load-{os.getpid()}@%h",
        ],
        env=env,
        log_path=var_dir / "worker.log",
    )
    for server in (web, worker):
        server.start()
    return [web, worker]


def wait_servers(servers: list[ServerProcess], port: int, token: str) -> None:
    """Wait until gunicorn has loaded the views, the API answers and the Celery worker is ready."""
    from bench.load_traffic import Api

    web, worker = servers
    web.wait_ready(lambda: "bench.load: views loaded" in web.log_text(), timeout=90)
    answer: list[tuple[int, Any]] = []

    def web_ready() -> bool:
        api = Api(port, token)
        try:
            answer.append(api.call("GET", "/api/projects/"))
        except (OSError, http.client.HTTPException):
            return False
        finally:
            api.close()
        return True

    web.wait_ready(web_ready, timeout=60)
    status, body = answer[-1]
    if status != 200:
        raise RuntimeError(
            f"gunicorn answered GET /api/projects/ with {status}: {body}\n{web.log_tail()}"
        )
    worker.wait_ready(lambda: " ready." in worker.log_text(), timeout=60)


def run_load(
    world: dict[str, Any], port: int, reviewers: int, seconds: float, wait: float
) -> dict[str, Any]:
    """Run the reviewers for ``seconds`` and the lead's report and export; return the tallies."""
    queue = world["queue"]
    # The documented API paths (README, "API"); spelled out so that this process never loads
    # every view module, which would take CPU from the server at start-up.
    project = f"/api/projects/{SLUG}"
    urls = {
        "next": f"{project}/queues/{queue}/next/",
        "submit": f"{project}/queues/{queue}/items/{{}}/submit/",
        "reports": f"{project}/reports/",
        "exports": f"{project}/exports/",
    }
    started = time.monotonic()
    deadline = started + seconds
    crowd = [
        Reviewer(
            i,
            name,
            token,
            port=port,
            urls=urls,
            criteria=world["criteria"],
            rubric_version=world["rubric_version"],
            deadline=deadline,
        )
        for i, (name, token) in enumerate(world["reviewers"][:reviewers])
    ]
    lead = Lead(
        port=port,
        token=world["lead_token"],
        urls=urls,
        queue=queue,
        start_at=started + seconds / 4,
        deadline=deadline + wait,
    )
    cpu = time.process_time()
    for thread in [*crowd, lead]:
        thread.start()
    for reviewer in crowd:
        reviewer.join()
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu
    lead.join()
    return {"crowd": crowd, "lead": lead, "elapsed": elapsed, "client_cpu_s": cpu}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 reviewers for 10 s (CI)")
    parser.add_argument("--reviewers", type=int, help="simulated reviewers (threads)")
    parser.add_argument("--seconds", type=float, help="length of the load window")
    parser.add_argument("--items", type=int, help="items in the queue")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS_URL),
        help="a Redis database for the broker; it is FLUSHED before and after",
    )
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    args.reviewers = args.reviewers or int(preset["reviewers"])
    args.seconds = args.seconds or preset["seconds"]
    args.items = args.items or int(preset["items"])
    args.wait = preset["wait"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_db = urlsplit(args.redis_url).path.strip("/") or "0"
    try:
        preflight(database_url, args.redis_url)
    except RuntimeError as error:
        print(f"bench.load: {error}", file=sys.stderr)
        return 2
    var_dir = ROOT / "var" / "bench" / f"load-r{redis_db}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    configure(args.redis_url, var_dir)
    os.environ["DATABASE_URL"] = database_url
    database = BenchDatabase(f"r{redis_db}", prefix="bench_load_")
    sys.path.insert(0, str(ROOT))
    servers: list[ServerProcess] = []
    port = free_port()
    began = time.monotonic()
    # Other work on the machine inflates the figures; this says how much there was before.
    load_before = round(os.getloadavg()[0], 2)
    try:
        database.create()
        # The servers boot (imports, no queries) while this process migrates and builds.
        servers = start_servers(port, var_dir, args)
        import django

        django.setup()
        from django.core.management import call_command

        # No system checks: they import every view, and the servers check the project anyway.
        call_command("migrate", verbosity=0, skip_checks=True)
        world = build(args.items, args.reviewers)
        wait_servers(servers, port, world["lead_token"])
        setup_s = round(time.monotonic() - began, 1)
        print(
            f"set up in {setup_s} s; {args.reviewers} reviewers rating for {args.seconds:g} s",
            flush=True,
        )
        load = run_load(world, port, args.reviewers, args.seconds, args.wait)
        acks = [ack for r in load["crowd"] for ack in r.tally.acks]
        unanswered = {u for r in load["crowd"] for u in r.tally.unanswered}
        result = {
            **figures(load, args.seconds),
            **load["lead"].results(),
            **verify(world["queue"], acks, unanswered),
            "items": args.items,
            "overlap": OVERLAP,
            "web_workers": args.web_workers,
            "web_threads": args.web_threads,
            "worker_concurrency": args.worker_concurrency,
            "setup_s": setup_s,
            "load_1m_before": load_before,
            "load_1m_after": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
    except Exception as error:  # reported with the servers' logs, then cleaned up below
        print(f"bench.load: set-up failed: {error}", file=sys.stderr)
        for server in servers:
            print(
                f"--- {server.name} log ({server.log_path}):\n{server.log_tail()}", file=sys.stderr
            )
        return 2
    finally:
        stop_all(servers)
        database.drop()
        flush_redis(args.redis_url)
    for line in summary_lines(result):
        print(line)
    failed = problems(result)
    if failed:
        print("FAILED: " + "; ".join(failed))
    print(json.dumps(result))
    return 1 if failed else 0


def flush_redis(url: str) -> None:
    import redis

    with redis.Redis.from_url(url, socket_connect_timeout=3) as client:
        client.flushdb()


if __name__ == "__main__":
    raise SystemExit(main())
