"""Benchmark a drift report: two windows of outputs read in chunks, compared, in one process.

Run ``python -m bench.drift`` (``--rows N`` outputs a window, 100,000 by default; ``--quick``:
5,000). A throwaway database (a SQLite file under ``var/bench/`` or, when ``DATABASE_URL``
points at PostgreSQL, ``llmops_bench_drift``) gets two weeks of outputs with log-normal lengths,
the second week's 10% longer; the report is then computed as the worker computes it
(``services.drift.drift_report_compute``). The last line printed is one JSON object: seconds,
the growth of the process's peak memory while computing (what loading texts wholesale would
blow up), and whether the length shift was found.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.support import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = BenchDatabase("drift")


def seed(rows: int) -> int:
    """Create a project with ``rows`` outputs in each of the last two weeks; return a report id."""
    import numpy as np
    from django.core.management import call_command
    from django.utils import timezone

    from llmops_core.hashing import content_hash
    from llmops_core.models import ModelOutput
    from llmops_core.services.drift import DriftSpec, Window, drift_report_request
    from llmops_core.services.projects import project_create

    call_command("migrate", verbosity=0)
    project = project_create(name="Drift bench", slug="drift-bench", created_by=None)
    rng = np.random.default_rng(1)
    now = timezone.now()
    week = timedelta(days=7)
    for w, scale in ((0, 1.0), (1, 1.1)):
        since = now - (2 - w) * week
        lengths = np.maximum(1, np.round(rng.lognormal(np.log(400), 0.4, rows) * scale))
        for start in range(0, rows, 5000):
            batch = []
            for i in range(start, min(rows, start + 5000)):
                question = {"question": f"q{w}-{i}"}
                batch.append(
                    ModelOutput(
                        project=project,
                        external_id=f"w{w}-{i}",
                        input=question,
                        input_hash=content_hash(question),
                        output_text=("word " * 200)[: int(lengths[i])],
                        latency_ms=int(rng.integers(200, 2000)),
                    )
                )
            created = ModelOutput.objects.bulk_create(batch)
            step = week / rows
            ModelOutput.objects.filter(pk__in=[o.pk for o in created]).update(
                created_at=since + start * step
            )
    spec = DriftSpec(Window(now - 2 * week, now - week), Window(now - week, now))
    report, _ = drift_report_request(project=project, requested_by=None, spec=spec)
    return report.pk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="outputs a window")
    parser.add_argument("--quick", action="store_true", help="5,000 outputs a window")
    args = parser.parse_args(argv)
    rows = 5000 if args.quick else args.rows
    var_dir = ROOT / "var" / "bench" / "drift"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "VAR_DIR": str(var_dir),
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
    )
    sys.path.insert(0, str(ROOT))
    BENCH_DB.create()
    import django

    django.setup()
    try:
        report_id = seed(rows)
        from llmops_core.services.drift import drift_report_compute

        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = drift_report_compute(report_id=report_id)
        seconds = time.perf_counter() - started
        peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        BENCH_DB.drop()
    assert report is not None
    signals = report.results.get("drift", {}).get("signals", {})
    print(
        json.dumps(
            {
                "benchmark": "drift",
                "db": os.environ["DATABASE_URL"].split(":", 1)[0],
                "rows_per_window": rows,
                "status": report.status,
                "seconds": round(seconds, 2),
                "peak_memory_growth_mb": round((peak_after - peak_before) / 1024, 1),
                "output_length_drifted": (signals.get("output_length") or {}).get("drifted"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
