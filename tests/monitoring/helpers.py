"""Outputs with operations fields, and the figures computed straight from them (the reference)."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

from llmops_core.models import ModelOutput, OutputRollup, Project, PromptVersion
from llmops_core.services.monitoring import rollups_add
from tests.factories import ModelOutputFactory

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday


def make_outputs(
    project: Project,
    count: int,
    *,
    seed: int = 7,
    versions: list[PromptVersion | None] | None = None,
    models: tuple[str, ...] = ("gpt-a", "gpt-b"),
    hours: int = 30,
    tag: str = "",
) -> list[ModelOutput]:
    """Create ``count`` outputs spread over ``hours`` hours, with errors, tokens, cost, latency."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        error = rng.random() < 0.1
        made.append(
            ModelOutputFactory.build(
                project=project,
                external_id=f"m-{tag}{seed}-{i}",
                prompt_version=rng.choice(versions or [None]),
                model_name=rng.choice(models),
                started_at=START + dt.timedelta(minutes=rng.randrange(hours * 60)),
                latency_ms=None if rng.random() < 0.05 else int(rng.lognormvariate(6, 0.8)),
                tokens_in=rng.randrange(10, 500),
                tokens_out=rng.randrange(1, 900),
                cost=None if rng.random() < 0.2 else Decimal(rng.randrange(1, 10**6)) / 10**8,
                status="error" if error else "ok",
                error_type=rng.choice(["RateLimitError", "Timeout", ""]) if error else "",
            )
        )
    return ModelOutput.objects.bulk_create(made)


def add_all(project: Project, outputs: list[ModelOutput]) -> None:
    """Roll ``outputs`` up the way ingest does, in batches of 512."""
    ids = [o.pk for o in outputs]
    for start in range(0, len(ids), 512):
        rollups_add(project_id=project.pk, output_ids=ids[start : start + 512])


def nearest_rank(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def direct(outputs: list[ModelOutput]) -> dict[str, Any]:
    """Return the figures of ``outputs`` computed from the rows themselves."""
    costs = [o.cost for o in outputs if o.cost is not None]
    latencies = [o.latency_ms for o in outputs if o.latency_ms is not None]
    errors: dict[str, int] = {}
    for o in outputs:
        if o.status == "error":
            errors[o.error_type or "(no type)"] = errors.get(o.error_type or "(no type)", 0) + 1
    return {
        "requests": len(outputs),
        "errors": sum(errors.values()),
        "errors_by_type": errors,
        "tokens_in": sum(o.tokens_in or 0 for o in outputs),
        "tokens_out": sum(o.tokens_out or 0 for o in outputs),
        "cost": float(sum(costs, Decimal(0))),
        "latencies": latencies,
    }


def rollup_count() -> int:
    return OutputRollup.objects.count()
