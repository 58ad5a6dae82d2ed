"""Workers adding to the same roll-up rows at the same instant, on PostgreSQL: no count lost.

Each thread adds its own outputs, all in the same hours, versions and models, inside its own
transaction (as a span batch does), behind a barrier so the upserts truly overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from llmops_core.models import ModelOutput, OutputRollup, OutputRollupLatency, Project
from llmops_core.services.monitoring import rollups_add, rollups_rebuild
from tests.monitoring.helpers import make_outputs

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 6
EACH = 300


def run_threads(count: int, work: Callable[[int], Any]) -> None:
    """Run ``work(i)`` in ``count`` threads started together; re-raise the first error."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    if errors:
        raise errors[0]


def test_concurrent_adds_to_the_same_buckets_lose_nothing(project: Project) -> None:
    # Same seed for every worker: the same hours, models and latencies, so every upsert of
    # every worker lands on rows the others are writing too.
    batches = [
        [o.pk for o in make_outputs(project, EACH, seed=1, hours=3, tag=f"w{worker}-")]
        for worker in range(WORKERS)
    ]

    def add(i: int) -> None:
        with transaction.atomic():
            rollups_add(project_id=project.pk, output_ids=batches[i])

    run_threads(WORKERS, add)
    assert (
        OutputRollup.objects.filter(grain=168).aggregate(n=Sum("requests"))["n"] == WORKERS * EACH
    )
    with_latency = ModelOutput.objects.filter(latency_ms__isnull=False).count()
    assert (
        OutputRollupLatency.objects.filter(grain=1).aggregate(n=Sum("count"))["n"] == with_latency
    )
    added = sorted(
        OutputRollup.objects.values_list("grain", "period", "model_name", "requests", "errors")
    )
    rollups_rebuild(project_id=project.pk)
    assert (
        sorted(
            OutputRollup.objects.values_list("grain", "period", "model_name", "requests", "errors")
        )
        == added
    )
