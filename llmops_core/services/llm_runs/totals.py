"""A run's totals from its recorded calls (counts, tokens, cost, latency), and finishing a run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Count, Q, Sum
from django.utils import timezone

from llmops_core.models import CallStatus, JobStatus, LLMCall


@dataclass
class Counters:
    """A run's counters: what its recorded calls add up to."""

    done: int = 0
    cached: int = 0
    errors: int = 0
    retries: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: Decimal = Decimal(0)

    def add(self, fields: dict[str, Any]) -> None:
        """Count one recorded call from its ``LLMCall`` fields."""
        self.done += 1
        self.cached += int(fields["status"] == CallStatus.CACHED)
        self.errors += int(fields["status"] == CallStatus.ERROR)
        self.retries += fields.get("retries", 0)
        self.tokens_in += fields.get("tokens_in", 0)
        self.tokens_out += fields.get("tokens_out", 0)
        self.cost += fields.get("cost") or Decimal(0)

    def as_fields(self, total: int) -> dict[str, Any]:
        """Return the run row's counter fields, progress included."""
        return {
            "done_calls": self.done,
            "cached_calls": self.cached,
            "error_calls": self.errors,
            "retries": self.retries,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": self.cost,
            "progress": min(1.0, self.done / max(total, 1)),
        }


def run_counters(kind: str, run_id: int) -> Counters:
    """Return the counters of a run from its recorded calls (the source of truth)."""
    agg = LLMCall.objects.filter(run_kind=kind, run_id=run_id).aggregate(
        n_done=Count("id"),
        n_cached=Count("id", filter=Q(status=CallStatus.CACHED)),
        n_errors=Count("id", filter=Q(status=CallStatus.ERROR)),
        n_retries=Sum("retries"),
        n_in=Sum("tokens_in"),
        n_out=Sum("tokens_out"),
        paid=Sum("cost"),
    )
    return Counters(
        agg["n_done"],
        agg["n_cached"],
        agg["n_errors"],
        agg["n_retries"] or 0,
        agg["n_in"] or 0,
        agg["n_out"] or 0,
        agg["paid"] or Decimal(0),
    )


def _number(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def run_totals(kind: str, run_id: int) -> dict[str, Any]:
    """Return the totals of a run from its ``LLMCall`` rows, as JSON data.

    Latency percentiles are over calls the endpoint answered (cached calls waited for
    nothing); ``cost`` is what was paid, so a run served from the cache costs nothing.
    """
    calls = LLMCall.objects.filter(run_kind=kind, run_id=run_id)
    # Aliases differ from field names: an alias shadows the field in later filters.
    agg = calls.aggregate(
        n_calls=Count("id"),
        n_ok=Count("id", filter=Q(status=CallStatus.OK)),
        n_cached=Count("id", filter=Q(status=CallStatus.CACHED)),
        n_errors=Count("id", filter=Q(status=CallStatus.ERROR)),
        n_parse_errors=Count("id", filter=Q(error_kind="parse_error")),
        n_repaired=Count("id", filter=Q(repaired=True)),
        n_unpriced=Count("id", filter=Q(status=CallStatus.OK, cost__isnull=True)),
        n_attempts=Sum("attempts"),
        n_retries=Sum("retries"),
        n_tokens_in=Sum("tokens_in"),
        n_tokens_out=Sum("tokens_out"),
        paid=Sum("cost"),
    )
    latencies = np.fromiter(
        calls.filter(latency_ms__isnull=False)
        .exclude(status=CallStatus.CACHED)
        .values_list("latency_ms", flat=True)
        .iterator(chunk_size=10_000),
        dtype=np.float64,
    )
    p50, p95 = np.percentile(latencies, [50, 95]) if latencies.size else (None, None)
    kinds = (
        calls.filter(status=CallStatus.ERROR)
        .values_list("error_kind")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    cost = agg["paid"] if agg["paid"] is not None else Decimal(0)
    return {
        **{
            k: int(agg[f"n_{k}"] or 0)
            for k in (
                "calls",
                "ok",
                "cached",
                "errors",
                "parse_errors",
                "repaired",
                "unpriced",
                "attempts",
                "retries",
                "tokens_in",
                "tokens_out",
            )
        },
        "cost": str(cost),
        "latency_ms_p50": _number(p50),
        "latency_ms_p95": _number(p95),
        "error_kinds": {kind_name or "unknown": n for kind_name, n in kinds},
        "computed_at": timezone.now().isoformat(),
    }


def run_finish(kind: str, run: Any, status: str, *, error: str = "") -> None:
    """Finish ``run`` (locked by the caller): final totals and counters from its calls, no lease."""
    counters = run_counters(kind, run.pk).as_fields(run.total_calls)
    for name, value in counters.items():
        setattr(run, name, value)
    run.totals = run_totals(kind, run.pk)
    run.status = status
    run.finished_at = timezone.now()
    run.lease_token = ""
    if status == JobStatus.SUCCEEDED:
        run.progress = 1.0
    if error:
        run.error = error
    elif status == JobStatus.FAILED and not run.error:
        first = (
            LLMCall.objects.filter(run_kind=kind, run_id=run.pk, status=CallStatus.ERROR)
            .order_by("id")
            .values_list("error", "parse_error")
            .first()
        )
        detail = (first[0] or first[1]) if first else "no call succeeded"
        run.error = f"every call failed; the first error: {detail}"
    run.save(
        update_fields=[
            "totals",
            "status",
            "finished_at",
            "lease_token",
            "progress",
            "error",
            "cursor",
            *counters,
        ]
    )
