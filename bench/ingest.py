"""Traces in: OTLP protobuf batches from concurrent clients against gunicorn and a Celery worker.

``python -m bench.ingest [--quick] [--spans N] [--rate SPANS_PER_S]`` starts gunicorn (2
gthread workers of 2 threads, preloaded as ``bench.support.gunicorn_config`` says) and a real
Celery worker (``--worker-concurrency`` 4 processes, as in the README's production set-up) on
a throwaway database (SQLite by default; PostgreSQL when ``DATABASE_URL`` names a server: the
bench database is ``--database-name`` there), creates a project and an ingest key, and has
``--clients`` (4) threads send batches of ``--batch`` (512) LLM spans (GenAI attributes:
model, tokens, input and output messages, session, user) to ``/v1/traces``, paced to
``--rate`` spans a second in total (0: as fast as they are answered). A 503 is retried after
its ``Retry-After``, as an exporter does. It prints spans acknowledged per second, the
p50/p95/p99 acknowledgement time of a batch, the lag from the last acknowledgement until every
span is stored as a model output, the CPU each process spent per span, and the resident memory
of the web and worker processes after the first tenth of the batches and at the end
(``--spans 1000000``, the default, is the memory run; ``--quick`` sends 20,480). The last line
is one JSON object.

The broker is kombu's filesystem transport in the run's folder unless ``--redis-url`` is
given (that Redis database is flushed at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.ingest_traffic import Client, template_batch
from bench.load_traffic import percentile
from bench.support import BenchDatabase, ServerProcess, free_port, gunicorn_config, stop_all

ROOT = Path(__file__).resolve().parent.parent
FULL = {"spans": 1_000_000}
QUICK = {"spans": 20_480}


def configure(var_dir: Path, broker: str) -> None:
    """Set the production-like environment this process and its children share."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-ingest-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "CELERY_BROKER_URL": broker,
            "CELERY_QUEUE": "bench-ingest",
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )


def build() -> tuple[str, int]:
    """Create the project and its ingest key; return the secret and the project id."""
    from llmops_core.services.ingest_keys import ingest_key_create
    from llmops_core.services.projects import project_create

    project = project_create(name="Ingest bench", slug="bench-ingest")
    _, secret = ingest_key_create(project=project, name="bench")
    return secret, project.pk


def start_servers(port: int, var_dir: Path, args: argparse.Namespace) -> list[ServerProcess]:
    """Start gunicorn and a Celery worker."""
    env = dict(os.environ)
    config = var_dir / "gunicorn.conf.py"
    config.write_text(gunicorn_config("bench.ingest"))
    web = ServerProcess(
        "gunicorn",
        [
            *(sys.executable, "-m", "gunicorn", "llmops_core.wsgi", "--config", str(config)),
            *("--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"),
            *("--workers", str(args.web_workers), "--threads", str(args.web_threads)),
            *("--timeout", "60", "--graceful-timeout", "2", "--log-level", "warning"),
        ],
        env=env,
        log_path=var_dir / "gunicorn.log",
    )
    worker = ServerProcess(
        "celery worker",
        [
            *(sys.executable, "-m", "celery", "-A", "llmops_core", "worker", "--loglevel=INFO"),
            *(f"--concurrency={args.worker_concurrency}", "-Q", "bench-ingest"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            *("-n", f"bench-ingest-{os.getpid()}@%h"),
        ],
        env=env,
        log_path=var_dir / "worker.log",
    )
    for server in (web, worker):
        server.start()
    return [web, worker]


def rss_mb(server: ServerProcess) -> float:
    """Return the largest resident set of the server's processes (master or a child), in MB."""
    import psutil

    assert server.proc is not None
    try:
        parent = psutil.Process(server.proc.pid)
        sizes = [p.memory_info().rss for p in [parent, *parent.children(recursive=True)]]
    except psutil.Error:
        return 0.0
    return round(max(sizes) / 2**20, 1)


def cpu_s(server: ServerProcess) -> float:
    """Return the CPU seconds (user + system) the server's processes have used so far."""
    import psutil

    assert server.proc is not None
    total = 0.0
    try:
        parent = psutil.Process(server.proc.pid)
        for process in [parent, *parent.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


def stored(project_id: int) -> tuple[int, int]:
    """Return (model outputs stored, batches not yet done)."""
    from llmops_core.models import JobStatus, ModelOutput, SpanBatch

    return (
        ModelOutput.objects.filter(project_id=project_id).count(),
        SpanBatch.objects.exclude(status=JobStatus.SUCCEEDED).count(),
    )


def run(
    args: argparse.Namespace, port: int, secret: str, project_id: int, servers: list[Any]
) -> dict[str, Any]:
    """Send every batch, wait until every span is stored, and return the figures."""
    template = template_batch(args.batch)
    batches = args.spans // args.batch
    interval = args.clients * args.batch / args.rate if args.rate else 0.0
    clients = [
        Client(port, secret, template, list(range(i, batches, args.clients)), interval)
        for i in range(args.clients)
    ]
    web, worker = servers
    cpu_before = {"web": cpu_s(web), "worker": cpu_s(worker)}
    began = time.monotonic()
    for client in clients:
        client.start()
    rss_start: dict[str, float] = {}
    while any(c.is_alive() for c in clients):
        if not rss_start and sum(c.progress for c in clients) >= max(1, batches // 10):
            rss_start = {"web": rss_mb(web), "worker": rss_mb(worker)}
        time.sleep(0.5)
    last_ack = max(c.done_at for c in clients)
    sent_s = last_ack - began
    expected = sum(len(c.acks) for c in clients) * args.batch
    deadline = time.monotonic() + args.wait
    count, waiting = stored(project_id)
    while (count < expected or waiting) and time.monotonic() < deadline:
        time.sleep(0.2)
        count, waiting = stored(project_id)
    all_stored = time.monotonic()
    # CPU per span does not depend on what else loads the machine, unlike the wall times.
    per_1k = 1000 / max(1, count)
    web_cpu = (cpu_s(web) - cpu_before["web"]) * 1000 * per_1k
    worker_cpu = (cpu_s(worker) - cpu_before["worker"]) * 1000 * per_1k
    acks = sorted(a for c in clients for a in c.acks)
    return {
        "spans": args.spans,
        "batch": args.batch,
        "clients": args.clients,
        "rate_target": args.rate,
        "spans_acknowledged": len(acks) * args.batch,
        "spans_stored": count,
        "batches_waiting": waiting,
        "spans_per_s": round(len(acks) * args.batch / sent_s, 1),
        "stored_per_s": round(count / (all_stored - began), 1),
        "ack_p50_ms": percentile(acks, 0.50),
        "ack_p95_ms": percentile(acks, 0.95),
        "ack_p99_ms": percentile(acks, 0.99),
        "lag_s": round(all_stored - last_ack, 2),
        "retries_503": sum(c.retries for c in clients),
        "errors": sum(len(c.errors) for c in clients),
        "first_errors": [e for c in clients for e in c.errors][:5],
        "web_cpu_ms_per_1k_spans": round(web_cpu, 1),
        "worker_cpu_ms_per_1k_spans": round(worker_cpu, 1),
        "web_rss_mb_start": rss_start.get("web"),
        "web_rss_mb_end": rss_mb(web),
        "worker_rss_mb_start": rss_start.get("worker"),
        "worker_rss_mb_end": rss_mb(worker),
    }


def summary_lines(r: dict[str, Any]) -> list[str]:
    return [
        f"{r['spans_acknowledged']:,} spans in batches of {r['batch']} from {r['clients']} "
        f"clients ({r['database']}, target {r['rate_target'] or 'unpaced'} spans/s)",
        f"acknowledged {r['spans_per_s']:,} spans/s; p50 {r['ack_p50_ms']} ms, "
        f"p95 {r['ack_p95_ms']} ms, p99 {r['ack_p99_ms']} ms per batch; "
        f"{r['retries_503']} retried after 503, {r['errors']} errors",
        f"stored {r['spans_stored']:,} ({r['stored_per_s']:,} spans/s overall); every span "
        f"stored {r['lag_s']} s after the last acknowledgement",
        f"CPU per 1,000 spans: web {r['web_cpu_ms_per_1k_spans']} ms, worker "
        f"{r['worker_cpu_ms_per_1k_spans']} ms (the database server's not counted)",
        f"RSS web {r['web_rss_mb_start']} -> {r['web_rss_mb_end']} MB, worker "
        f"{r['worker_rss_mb_start']} -> {r['worker_rss_mb_end']} MB; load average "
        f"{r['load_1m_before']} before, {r['load_1m_after']} after",
        f"monitoring page over these outputs: p50 {r['monitoring']['page_p50_ms']} ms, p95 "
        f"{r['monitoring']['page_p95_ms']} ms; API p95 {r['monitoring']['api_p95_ms']} ms",
    ]


def problems(r: dict[str, Any]) -> list[str]:
    found = []
    if r["spans_stored"] != r["spans_acknowledged"]:
        found.append(f"{r['spans_acknowledged'] - r['spans_stored']} acknowledged spans not stored")
    if r["errors"]:
        found.append(f"{r['errors']} requests failed: {r['first_errors']}")
    return found


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,480 spans (CI)")
    parser.add_argument("--spans", type=int, help="spans to send (default 1,000,000)")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=5000, help="spans/s in total; 0: unpaced")
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for the lag")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=2)
    parser.add_argument(
        "--worker-concurrency", type=int, default=4, help="the README's production worker: 4"
    )
    parser.add_argument("--redis-url", default="", help="broker (flushed); default: filesystem")
    parser.add_argument(
        "--database-name",
        default="llmops_bench_ingest",
        help="PostgreSQL: the throwaway database (dropped first), on DATABASE_URL's server",
    )
    args = parser.parse_args(argv)
    args.spans = args.spans or (QUICK if args.quick else FULL)["spans"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    var_dir = ROOT / "var" / "bench" / "ingest"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    configure(var_dir, args.redis_url or "filesystem://")
    database = BenchDatabase(args.database_name, prefix="")
    sys.path.insert(0, str(ROOT))
    servers: list[ServerProcess] = []
    load_before = round(os.getloadavg()[0], 2)
    try:
        database.create()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, skip_checks=True)
        secret, project_id = build()
        port = free_port()
        servers = start_servers(port, var_dir, args)
        web, worker = servers
        web.wait_ready(lambda: "bench.ingest: views loaded" in web.log_text(), timeout=90)
        worker.wait_ready(lambda: " ready." in worker.log_text(), timeout=90)
        result = run(args, port, secret, project_id, servers)
        # The monitoring page over what was just ingested (roll-ups kept as spans arrived).
        from bench.monitoring import monitoring_timings

        result["monitoring"] = monitoring_timings(project_id, rounds=10)
        result.update(
            database=connection.vendor,
            load_1m_before=load_before,
            load_1m_after=round(os.getloadavg()[0], 2),
            cpus=os.cpu_count(),
        )
    except Exception as error:  # reported with the servers' logs, then cleaned up below
        print(f"bench.ingest: failed: {error}", file=sys.stderr)
        for server in servers:
            print(f"--- {server.name} ({server.log_path}):\n{server.log_tail()}", file=sys.stderr)
        return 2
    finally:
        stop_all(servers)
        database.drop()
        if args.redis_url:
            import redis

            with redis.Redis.from_url(args.redis_url, socket_connect_timeout=3) as client:
                client.flushdb()
    for line in summary_lines(result):
        print(line)
    failed = problems(result)
    if failed:
        print("FAILED: " + "; ".join(failed))
    print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
