"""Benchmark the rating page's hot path: submit + next, through the real URL/view/middleware stack.

Run ``python -m bench.rating`` (100,000 items, 500 submissions) or ``--quick`` (10,000 items,
100 submissions). The queue is built by bulk insert in a separate bench database: a SQLite file
under ``var/bench/`` by default, or, when ``DATABASE_URL`` points at PostgreSQL, a database
``llmops_bench`` on that server, created and dropped by this script. A third of the items
already carry one or two reviews by other reviewers. Several reviewers then take turns, each
submitting the item on screen while holding a prefetched one, exactly as the page does. The last
line printed is one JSON object with ``items``, ``p50_ms``, ``p95_ms``, ``p99_ms``, the queries of
one request (``queries_per_request`` for submit + next, ``queries_per_next``) and more.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.support import SUPPORT_ANSWER, BenchDatabase, bench_outputs

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = BenchDatabase("rating")
FULL = {"items": 100_000, "iterations": 500}
QUICK = {"items": 10_000, "iterations": 100}


def build(items: int, reviewers: int) -> tuple[Any, list[Any]]:
    """Create a project, a queue of ``items`` outputs and the bench reviewers."""
    from django.contrib.auth import get_user_model

    from annotate.models import Queue
    from annotate.services.queues import queue_create
    from annotate.services.reviewers import queue_set_reviewers
    from llmops_core.models import Role
    from llmops_core.services.projects import membership_set, project_create

    project = project_create(name="Bench", slug="bench")
    users = [get_user_model().objects.create_user(username=f"bench{i}") for i in range(reviewers)]
    others = [get_user_model().objects.create_user(username=f"earlier{i}") for i in range(2)]
    for user in users + others:
        membership_set(project=project, user=user, role=Role.REVIEWER)
    ids = bench_outputs(
        project, items, prefix="bench", text="Thanks for reaching out. " + SUPPORT_ANSWER
    )
    queue = queue_create(
        project=project,
        name="Bench queue",
        overlap=3,
        output_ids=ids,
        rubric_version=project.rubrics.get().versions.get(),
    )
    queue_set_reviewers(queue=queue, reviewers=users + others)
    prefill(queue, others)
    return Queue.objects.get(pk=queue.pk), users


def prefill(queue: Any, others: list[Any]) -> None:
    """Give a third of the items one or two earlier reviews (bulk insert, counters recounted)."""
    from django.utils import timezone

    from annotate.models import Annotation, Assignment, QueueItem, Rating
    from annotate.services.counters import queue_recount, queue_reviewer_recount

    criteria = list(queue.rubric_version.criteria.all())
    now = timezone.now()
    items = list(
        QueueItem.objects.filter(queue=queue)
        .order_by("position")
        .values_list("id", flat=True)[: queue.item_count // 3]
    )
    for start in range(0, len(items), 2000):
        chunk = items[start : start + 2000]
        done = {item: 1 + (item % 2) for item in chunk}
        assignments = [
            Assignment(
                item_id=item, reviewer=others[k], status="submitted", expires_at=now, closed_at=now
            )
            for item, n in done.items()
            for k in range(n)
        ]
        Assignment.objects.bulk_create(assignments)
        annotations = [
            Annotation(
                item_id=a.item_id,
                reviewer=a.reviewer,
                assignment=a,
                rubric_version=queue.rubric_version,
                client_token=uuid.uuid4(),
                active_ms=20000,
            )
            for a in assignments
        ]
        Annotation.objects.bulk_create(annotations)
        Rating.objects.bulk_create(
            Rating(annotation=a, criterion=c, score=1 + (a.item_id % 5))
            for a in annotations
            for c in criteria
        )
        for n in (1, 2):
            QueueItem.objects.filter(pk__in=[i for i, d in done.items() if d == n]).update(
                done_count=n
            )
    queue_recount(queue=queue)
    for user in others:
        queue_reviewer_recount(queue=queue, reviewer=user)
    # What autovacuum does within a minute of a bulk load; the claim query relies on it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(queue: Any, users: list[Any], iterations: int) -> dict[str, Any]:
    """Time submit + next round trips with the Django test client; return the figures."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    slug = queue.project.slug
    next_url = reverse("api-queue-next", args=[slug, queue.pk])
    scores = {"fluency": 4, "relevance": 3, "factuality": 5}
    pages = []
    for user in users:
        client = Client()
        client.force_login(user)
        current = client.post(next_url, {"holding": []}, content_type="application/json")
        prefetched = client.post(
            next_url, {"holding": [current.json()["next"]["item"]]}, content_type="application/json"
        )
        pages.append(
            {
                "client": client,
                "current": current.json()["next"],
                "prefetched": prefetched.json()["next"],
            }
        )
    timings: list[float] = []
    cpu: list[float] = []
    queries = 0
    for i in range(iterations + 20):
        page = pages[i % len(pages)]
        current, prefetched = page["current"], page["prefetched"]
        url = reverse("api-item-submit", args=[slug, queue.pk, current["item"]])
        body = {
            "client_token": str(uuid.uuid4()),
            "scores": scores,
            "comment": "",
            "flags": [],
            "active_ms": 15000,
            "rubric_version": queue.rubric_version_id,
            "holding": [prefetched["item"]],
        }
        if i == 10:  # count queries once, outside the timed requests
            with CaptureQueriesContext(connection) as captured:
                response = page["client"].post(url, body, content_type="application/json")
            queries, elapsed = len(captured), 0.0
        else:
            start, cpu_start = time.perf_counter(), time.process_time()
            response = page["client"].post(url, body, content_type="application/json")
            elapsed = time.perf_counter() - start
            cpu.append((time.process_time() - cpu_start) * 1000)
        if response.status_code != 201:
            raise SystemExit(f"submit failed: {response.status_code} {response.content[:300]!r}")
        page["current"], page["prefetched"] = prefetched, response.json()["next"]
        if i >= 20:  # the first rounds warm caches and connections
            timings.append(elapsed * 1000)
    timings.sort()
    page = pages[0]
    with CaptureQueriesContext(connection) as captured:  # the page's other request: next alone
        page["client"].post(
            next_url,
            {"holding": [page["current"]["item"], page["prefetched"]["item"]]},
            content_type="application/json",
        )
    claim_queries = len(captured)

    def pct(p: float) -> float:
        return round(timings[min(len(timings) - 1, int(p * len(timings)))], 2)

    return {
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(timings), 2),
        "max_ms": round(timings[-1], 2),
        "iterations": len(timings),
        # Every query of one submit + next, and of one next alone (asserted exactly in
        # tests/annotate/test_hot_path.py).
        "queries_per_request": queries,
        "queries_per_next": claim_queries,
        # CPU time of this process per request (the web side, without the database server).
        "app_cpu_p50_ms": round(statistics.median(cpu), 2),
        "app_cpu_p95_ms": round(sorted(cpu)[int(0.95 * len(cpu))], 2),
    }


def check(queue: Any) -> dict[str, int]:
    from django.db.models import F

    from annotate.models import QueueItem

    over = QueueItem.objects.filter(queue=queue, done_count__gt=F("target_reviews")).count()
    if over:
        raise SystemExit(f"{over} items went past their overlap")
    return {"items_over_overlap": over}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 items, 100 submissions")
    parser.add_argument("--items", type=int)
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    items = args.items or preset["items"]
    iterations = args.iterations or preset["iterations"]

    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmops_core.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    sys.path.insert(0, str(ROOT))
    BENCH_DB.create()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        queue, users = build(items, args.reviewers)
        build_s = time.perf_counter() - started
        print(
            f"built {queue.item_count} items ({queue.review_count} earlier reviews) on "
            f"{connection.vendor} in {build_s:.1f} s; timing {iterations} submit + next"
        )
        figures = measure(queue, users, iterations)
        figures.update(check(queue))
        result = {
            "benchmark": "rating submit+next",
            "db": connection.vendor,
            "items": queue.item_count,
            **figures,
            "build_s": round(build_s, 1),
            # Other work on the machine inflates the figures; this says how much there was.
            "load_1m": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result))
    finally:
        if not args.keep:
            BENCH_DB.drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
