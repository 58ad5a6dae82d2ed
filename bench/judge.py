"""Benchmark judge runs: 2,000 judge calls against the local server at 50 ms latency.

Run ``python -m bench.judge`` (2,000 calls) or ``--quick`` (300). The local OpenAI-compatible
server runs in its own process (as a real endpoint would), answering every call after 50 ms.
The server is started with Nagle's algorithm off (see ``SERVER``).
The run goes through the same service a Celery worker calls, ``judge_run_step``, chunk after
chunk in this one process: no broker sits in between, so the figure measures the run
machinery (concurrency, recording each call, cache, counters), not queueing. A second run of
the same judge version then shows the cache: it must make zero HTTP calls.

The database is a throwaway SQLite file under ``var/bench/`` or, when ``DATABASE_URL`` points
at PostgreSQL, a database ``llmops_bench_judge`` created and dropped on that server. The last
line printed is one JSON object with ``calls``, ``seconds``, ``calls_per_s``, ``retries`` and
``errors`` among others. The calls and their recording share one interpreter (one GIL), so
past the 50 ms floor the run is bound by CPU: ``cpu_s`` (this process, every thread) and
``main_thread_cpu_s`` (the thread that records results) do not depend on how busy the machine
is, and ``statements`` counts the SQL sent, by kind (``statements_per_call`` in all).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.support import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = BenchDatabase("judge")
LATENCY_MS = 50
TARGET_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The local server answers with two writes (headers, then body) on a socket with Nagle's
# algorithm on; with the client's delayed ACK that adds ~40 ms to every call. A real endpoint
# does not, so the bench turns Nagle off (TCP_NODELAY), as ``socketserver`` allows, without
# changing the server itself.
SERVER = (
    "import socketserver, sys; socketserver.StreamRequestHandler.disable_nagle_algorithm = True; "
    "from tests.support.openai_server import main; main(sys.argv[1:])"
)


def start_server(port: int) -> subprocess.Popen[bytes]:
    """Start the local OpenAI-compatible server in its own process and wait until it listens."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, "--port", str(port), "--latency-ms", str(LATENCY_MS)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the local OpenAI server did not start")


def build(n: int, base_url: str, concurrency: int) -> tuple[Any, Any, list[int]]:
    """Create a project, an endpoint, a judge version and ``n`` outputs to judge."""
    from llmops_core.hashing import content_hash
    from llmops_core.models import ModelOutput
    from llmops_core.services.judges.configs import judge_create, judge_version_create
    from llmops_core.services.judges.endpoints import endpoint_create
    from llmops_core.services.projects import project_create
    from tests.support.openai_server import generate

    project = project_create(name="Judge bench", slug="judge-bench")
    endpoint = endpoint_create(
        project=project,
        name="local",
        base_url=base_url,
        concurrency=concurrency,
        timeout_seconds=30,
    )
    judge = judge_create(project=project, name="bench-judge")
    version, _ = judge_version_create(
        judge=judge,
        model_name="demo-judge",
        endpoint=endpoint,
        parameters={"temperature": 0},
        rubric_version=project.rubrics.get().versions.get(),
    )
    rows = []
    for i in range(n):
        question = {"question": f"How does feature {i} of the product work?"}
        text = generate([{"role": "user", "content": question["question"]}], "bench", seed=i)
        rows.append(
            ModelOutput(
                project=project,
                external_id=f"bench-{i}",
                input=question,
                input_hash=content_hash(question),
                output_text=text,
                model_name="bench-model",
            )
        )
    ModelOutput.objects.bulk_create(rows, batch_size=1000)
    ids = list(
        ModelOutput.objects.filter(project=project).order_by("id").values_list("id", flat=True)
    )
    return project, version, ids


class StatementCounter:
    """Count the SQL statements this process sends, by their first word (INSERT, SELECT, ...)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        self.counts[verb] = self.counts.get(verb, 0) + 1
        return execute(sql, params, many, context)


def run_once(project: Any, version: Any, ids: list[int], chunk: int) -> tuple[Any, dict[str, Any]]:
    """Create a run over ``ids`` and step it to the end in this process; return it and figures.

    Besides the wall time: the CPU time of this process (every thread) and of the main thread
    (which records each result), which do not depend on how busy the machine is, and the SQL
    statements sent, by kind.
    """
    from django.db import connection

    from llmops_core.services.judges.runs import judge_run_create, judge_run_step
    from llmops_core.services.llm_runs import StepOptions, StepOutcome

    options = StepOptions(chunk_size=chunk)
    statements = StatementCounter()
    started, cpu, main_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    with connection.execute_wrapper(statements):
        run = judge_run_create(project=project, judge_version=version, output_ids=ids)
        while judge_run_step(run_id=run.pk, options=options) is StepOutcome.MORE:
            pass
    figures = {
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "main_thread_cpu_s": time.thread_time() - main_cpu,
        "statements": dict(sorted(statements.counts.items())),
    }
    run.refresh_from_db()
    return run, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 calls instead of 2,000")
    parser.add_argument("--calls", type=int)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--chunk-size", type=int, default=200, help="subjects per worker step")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    calls = args.calls or (300 if args.quick else 2000)

    # Production-like: no DEBUG query log. The key only signs sessions nobody opens here.
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops_core.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The local server is on loopback, which production settings refuse unless allowed.
    os.environ.setdefault("LLM_ALLOWED_HOSTS", "127.0.0.1")
    sys.path.insert(0, str(ROOT))
    BENCH_DB.create()
    port = free_port()
    server = start_server(port)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        project, version, ids = build(calls, f"http://127.0.0.1:{port}/v1", args.concurrency)
        import llmops_core.tasks  # noqa: F401  (a worker has its tasks loaded before a run)

        print(
            f"judging {len(ids)} outputs on {connection.vendor}, {LATENCY_MS} ms per call "
            f"(local server in its own process, TCP_NODELAY), {args.concurrency} in flight; "
            "the run service is stepped in this process (what the worker's task calls), "
            "not through a broker"
        )
        run, timing = run_once(project, version, ids, args.chunk_size)
        cached, cached_timing = run_once(project, version, ids, args.chunk_size)
        seconds, cached_seconds = timing["seconds"], cached_timing["seconds"]
        figures = {
            "benchmark": "judge run",
            "db": connection.vendor,
            "mode": "in-process steps",
            "calls": run.done_calls,
            "seconds": round(seconds, 3),
            "calls_per_s": round(run.done_calls / seconds, 1),
            "cpu_s": round(timing["cpu_s"], 2),
            "main_thread_cpu_s": round(timing["main_thread_cpu_s"], 2),
            "cpu_ms_per_call": round(1000 * timing["cpu_s"] / max(run.done_calls, 1), 2),
            "statements_per_call": round(
                sum(timing["statements"].values()) / max(run.done_calls, 1), 2
            ),
            "statements": timing["statements"],
            "retries": run.retries,
            "errors": run.error_calls,
            "concurrency": args.concurrency,
            "chunk_size": args.chunk_size,
            "latency_ms": LATENCY_MS,
            "p50_ms": run.totals.get("latency_ms_p50"),
            "p95_ms": run.totals.get("latency_ms_p95"),
            "tokens_in": run.tokens_in,
            "tokens_out": run.tokens_out,
            "cost": str(run.cost),
            "cached_run_seconds": round(cached_seconds, 3),
            "cached_run_cpu_s": round(cached_timing["cpu_s"], 2),
            "cached_run_paid_calls": cached.done_calls - cached.cached_calls,
            "under_10_s": seconds < TARGET_SECONDS,
        }
        print(
            f"{run.done_calls} calls in {seconds:.2f} s ({figures['calls_per_s']} calls/s), "
            f"{run.error_calls} errors, {run.retries} retries, {figures['cpu_s']} s of CPU "
            f"({figures['statements_per_call']} SQL statements per call); the same run again took "
            f"{cached_seconds:.2f} s from the cache ({figures['cached_run_paid_calls']} paid)"
        )
        print(json.dumps(figures))
        return 0 if run.status == "succeeded" else 1
    finally:
        server.kill()
        server.wait(timeout=10)
        if not args.keep:
            BENCH_DB.drop()


if __name__ == "__main__":
    raise SystemExit(main())
