"""Benchmark monitoring on 1,000,000 outputs: the page and the API from roll-ups, and the roll-up.

Run ``python -m bench.monitoring`` (``--quick``: 100,000 outputs). Production settings
(``DEBUG=0``) on a throwaway database (a SQLite file under ``var/bench/`` or, when
``DATABASE_URL`` points at PostgreSQL, ``llmops_bench_monitoring``).

* Roll-ups of 1,000,000 outputs over 30 days (4 prompt versions and no version, 3 models,
  lognormal latencies, 5% errors of two types) are written in bulk by the same code ingest
  uses (``services.monitoring.rollups.Sums``), from outputs generated in memory: the outputs
  themselves are not what the page reads, so they are not stored.
* The roll-up cost: 512 real outputs stored, then ``rollups_add`` over their ids inside a
  transaction (what a span batch does), timed per batch over ``--batches`` batches.
* The page (``/p/<slug>/monitoring/``, the 30-day daily view: every output is in it) and the
  API (hourly over the default 48 hours, and weekly over 26 weeks; the hourly 7-day view, the
  largest read of hour roll-ups, is reported apart) through the whole Django stack (Django's
  test client, a signed-in lead), ``--rounds`` times each after one warm-up.

The last line printed is one JSON object: rows (outputs rolled up), roll-up rows, page p50/p95
ms, API p95 ms, roll-up ms per 512-output batch, and whether the page is under 300 ms.
``monitoring_timings(project_id)`` times the same page and API for any project (bench.ingest
can call it after its spans are stored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.load_traffic import percentile
from bench.support import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
DAYS = 30
MODELS = ("gpt-4o-mini", "gpt-4o", "claude-haiku")
WRITE_EVERY = 100_000


def configure(var_dir: Path) -> None:
    """Set a production-like environment for this process."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "llmops_core.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "LOG_LEVEL": "WARNING",
            "CELERY_QUEUE": "bench-monitoring",
        }
    )


def build() -> tuple[Any, list[int]]:
    """Create the project, a lead and four prompt versions; return the project and version ids."""
    from django.contrib.auth import get_user_model

    from llmops_core.models import Membership, Role
    from llmops_core.services.projects import project_create
    from llmops_core.services.prompts import prompt_template_create, prompt_version_create

    project = project_create(name="Monitoring bench", slug="bench-monitoring")
    user = get_user_model().objects.create_user("bench-lead")
    Membership.objects.create(project=project, user=user, role=Role.LEAD)
    template = prompt_template_create(project=project, name="support")
    versions = [
        prompt_version_create(template=template, template_text=f"v{n} {{{{q}}}}", model_name="m")[0]
        for n in range(4)
    ]
    return project, [v.pk for v in versions]


def roll_up(project_id: int, versions: list[int], outputs: int, now: dt.datetime) -> float:
    """Write the roll-ups of ``outputs`` generated outputs; return the seconds it took."""
    from django.db import transaction

    from llmops_core.services.monitoring.rollups import Sums

    rng = random.Random(5)
    start = now - dt.timedelta(days=DAYS)
    span_s = DAYS * 24 * 3600
    keys = [*versions, None]
    began = time.perf_counter()
    sums = Sums()
    for i in range(outputs):
        error = rng.random() < 0.05
        record = (
            start + dt.timedelta(seconds=rng.randrange(span_s)),
            None,
            keys[i % len(keys)],
            MODELS[i % len(MODELS)],
            "error" if error else "ok",
            ("RateLimitError" if rng.random() < 0.7 else "Timeout") if error else "",
            int(rng.lognormvariate(6.5, 0.7)),
            rng.randrange(50, 2000),
            rng.randrange(10, 800),
            Decimal(rng.randrange(1, 5000)) / 10**6,
        )
        sums.add(record)
        if (i + 1) % WRITE_EVERY == 0 or i + 1 == outputs:
            with transaction.atomic():
                sums.write(project_id)
            sums = Sums()
    return time.perf_counter() - began


def batch_cost(project: Any, versions: list[int], batches: int) -> list[float]:
    """Store ``batches`` batches of 512 outputs; return the ms ``rollups_add`` took for each."""
    from django.db import transaction
    from django.utils import timezone

    from llmops_core.hashing import content_hash
    from llmops_core.models import ModelOutput
    from llmops_core.services.monitoring import rollups_add

    rng = random.Random(9)
    timings = []
    for b in range(batches):
        now = timezone.now()
        made = ModelOutput.objects.bulk_create(
            ModelOutput(
                project=project,
                external_id=f"batch-{b}-{i}",
                prompt_version_id=rng.choice(versions),
                input={"q": i},
                input_hash=content_hash({"q": i}),
                output_text="answer",
                model_name=rng.choice(MODELS),
                started_at=now - dt.timedelta(seconds=rng.randrange(600)),
                latency_ms=int(rng.lognormvariate(6.5, 0.7)),
                tokens_in=rng.randrange(50, 2000),
                tokens_out=rng.randrange(10, 800),
                cost=Decimal(rng.randrange(1, 5000)) / 10**6,
                status="error" if rng.random() < 0.05 else "ok",
                source="otlp",
            )
            for i in range(512)
        )
        ids = [o.pk for o in made]
        with transaction.atomic():
            began = time.perf_counter()
            rollups_add(project_id=project.pk, output_ids=ids)
            timings.append((time.perf_counter() - began) * 1000)
    return timings


def _timed(client: Any, url: str, host: str, rounds: int) -> list[float]:
    response = client.get(url, headers={"host": host})  # warm-up: imports, templates
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.content[:200]!r}")
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(url, headers={"host": host})
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
    return times


def monitoring_timings(project_id: int, rounds: int = 20) -> dict[str, float | None]:
    """Time the monitoring page (30 days, daily) and API (48 hours; 26 weeks) of a project.

    Call it in a process where Django is set up on the project's database; it collects the
    static files (pages with ``DEBUG=0`` need their manifest) and signs in as a lead of the
    project (creating ``bench-monitoring-lead`` if needed).
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from llmops_core.models import Membership, Project, Role

    call_command("collectstatic", interactive=False, verbosity=0)
    project = Project.objects.get(pk=project_id)
    user, _ = get_user_model().objects.get_or_create(username="bench-monitoring-lead")
    Membership.objects.get_or_create(project=project, user=user, defaults={"role": Role.LEAD})
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "testserver")
    client = Client()
    client.force_login(user)
    page = reverse("monitoring", args=[project.slug]) + "?range=30d&granularity=day"
    api = reverse("api-monitoring", args=[project.slug])
    page_ms = _timed(client, page, host, rounds)
    api_ms = _timed(client, api + "?granularity=hour", host, rounds)  # the last 48 hours
    api_ms += _timed(client, api + "?granularity=week&range=26w", host, rounds)
    week_of_hours = _timed(client, api + "?granularity=hour&range=7d", host, rounds)
    return {
        "page_p50_ms": round(statistics.median(page_ms), 1),
        "page_p95_ms": percentile(sorted(page_ms), 0.95),
        "api_p95_ms": percentile(sorted(api_ms), 0.95),
        "api_hourly_7_days_p50_ms": round(statistics.median(week_of_hours), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 outputs, not 1,000,000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    configure(ROOT / "var" / "bench" / "monitoring")
    sys.path.insert(0, str(ROOT))
    database = BenchDatabase("monitoring")
    database.create()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from llmops_core.models import OutputRollup, OutputRollupLatency

    outputs = 100_000 if args.quick else 1_000_000
    try:
        call_command("migrate", verbosity=0, skip_checks=True)
        project, versions = build()
        seconds = roll_up(project.pk, versions, outputs, timezone.now())
        costs = batch_cost(project, versions, args.batches)
        timings = monitoring_timings(project.pk, args.rounds)
        result = {
            "benchmark": "monitoring",
            "database": connection.vendor,
            "rows": outputs + 512 * args.batches,
            "rollup_rows": OutputRollup.objects.count(),
            "latency_bin_rows": OutputRollupLatency.objects.count(),
            "bulk_rollup_outputs_per_s": round(outputs / seconds),
            **timings,
            "rollup_ms_per_512_batch_p50": round(statistics.median(costs), 1),
            "rollup_ms_per_512_batch_p95": percentile(sorted(costs), 0.95),
            "page_under_300_ms": (timings["page_p95_ms"] or 0) < TARGET_MS,
        }
    finally:
        if not args.keep:
            database.drop()
    print(
        f"{result['rows']} outputs in {result['rollup_rows']} roll-up rows: page p50 "
        f"{result['page_p50_ms']} ms, p95 {result['page_p95_ms']} ms; API p95 "
        f"{result['api_p95_ms']} ms; roll-up of a 512-output batch "
        f"{result['rollup_ms_per_512_batch_p50']} ms (p50)"
    )
    print(json.dumps(result))
    return 0 if result["page_under_300_ms"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
