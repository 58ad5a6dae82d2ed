"""Monitoring reads: requests, errors, tokens, cost and latency percentiles from the roll-ups.

Never a scan of outputs: every figure sums hourly roll-up rows (``models.monitoring``) of the
window, grouped in SQL by period and/or (prompt version, model); percentiles merge the latency
histograms of those rows (``metrics.latency``: within 4.4%). A figure with nothing under it is
None (``tokens_in`` when no output reported tokens, percentiles when none had a latency), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.db.models import Sum
from django.db.models.functions import TruncDay, TruncWeek

from llmops_core.metrics.latency import percentiles
from llmops_core.models import (
    OutputRollup,
    OutputRollupError,
    OutputRollupLatency,
    Project,
    PromptVersion,
)

SUMS: Final = (
    *("requests", "errors", "with_tokens", "tokens_in", "tokens_out"),
    *("with_cost", "cost", "with_latency", "latency_ms"),
)
QUANTILES: Final = (0.5, 0.95, 0.99)
MAX_GROUPS: Final = 200
UNKNOWN: Final = {"prompt": None, "version": None}


@dataclass(frozen=True)
class Window:
    """Which roll-ups to read: [start, end) in whole periods, and optional filters."""

    granularity: str  # "hour", "day" or "week"
    start: dt.datetime
    end: dt.datetime
    version: int | None = None  # a prompt version's id; 0 = outputs of no version
    model: str | None = None


def _rows(model: Any, project: Project | None, window: Window | None, versions: Any = None) -> Any:
    query = model.objects.all()
    if project is not None:
        query = query.filter(project=project)
    if window is not None:
        query = query.filter(hour__gte=window.start, hour__lt=window.end)
        if window.version is not None:
            query = query.filter(version=window.version)
        if window.model is not None:
            query = query.filter(model_name=window.model)
    if versions is not None:
        query = query.filter(version__in=list(versions))
    return query


def _grouped(query: Any, keys: Sequence[str], granularity: str, sums: dict[str, Any]) -> Any:
    """Return ``query`` summed per ``keys``; "period" is the hour itself, or its day or week."""
    if "period" in keys:
        if granularity == "day":
            query = query.annotate(period=TruncDay("hour", tzinfo=dt.UTC))
        elif granularity == "week":
            query = query.annotate(period=TruncWeek("hour", tzinfo=dt.UTC))
    fields = [_field(k, granularity) for k in keys]
    return query.values(*fields).annotate(**sums).order_by(*fields)


def _field(key: str, granularity: str) -> str:
    return "hour" if key == "period" and granularity == "hour" else key


def metrics_of(sums: dict[str, Any], bins: dict[int, int]) -> dict[str, Any]:
    """Return the figures of summed roll-ups ``sums`` and their merged histogram ``bins``."""
    requests = sums["requests"]
    p = percentiles(bins, QUANTILES)
    cost = Decimal(sums["cost"]) if sums["with_cost"] else None
    return {
        "requests": requests,
        "errors": sums["errors"],
        "error_rate": sums["errors"] / requests if requests else None,
        "error_pct": 100 * sums["errors"] / requests if requests else None,
        "tokens_in": sums["tokens_in"] if sums["with_tokens"] else None,
        "tokens_out": sums["tokens_out"] if sums["with_tokens"] else None,
        "cost": float(cost) if cost is not None else None,
        "cost_mean": float(cost / sums["with_cost"]) if cost is not None else None,
        "latency_mean_ms": sums["latency_ms"] / sums["with_latency"]
        if sums["with_latency"]
        else None,
        "latency_p50_ms": p[0.5],
        "latency_p95_ms": p[0.95],
        "latency_p99_ms": p[0.99],
    }


def rollup_figures(
    *,
    project: Project | None,
    window: Window | None,
    keys: Sequence[str],
    versions: Iterable[int] | None = None,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Return {key values: figures} of the roll-ups grouped by ``keys``.

    ``keys`` are among "period" (of the window's granularity), "version" and "model_name".
    Three grouped queries: sums, latency bins and errors per type.
    """
    granularity = window.granularity if window is not None else "hour"
    sums_sql = {name: Sum(name) for name in SUMS}
    key_of = _key_reader(keys, granularity)
    sums = {
        key_of(row): row
        for row in _grouped(
            _rows(OutputRollup, project, window, versions), keys, granularity, sums_sql
        )
    }
    bins: dict[tuple[Any, ...], dict[int, int]] = defaultdict(dict)
    latency = _rows(OutputRollupLatency, project, window, versions)
    for row in _grouped(latency, [*keys, "bin"], granularity, {"n": Sum("count")}):
        bins[key_of(row)][row["bin"]] = row["n"]
    errors: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    failed = _rows(OutputRollupError, project, window, versions)
    for row in _grouped(failed, [*keys, "error_type"], granularity, {"n": Sum("count")}):
        errors[key_of(row)][row["error_type"] or "(no type)"] = row["n"]
    return {
        key: {**metrics_of(row, bins.get(key, {})), "errors_by_type": errors.get(key, {})}
        for key, row in sums.items()
    }


def _key_reader(keys: Sequence[str], granularity: str) -> Any:
    fields = [_field(k, granularity) for k in keys]

    def read(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[f] for f in fields)

    return read


def version_names(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Return {version id: {"prompt", "version"}} of prompt versions ``ids`` (0: no version)."""
    names: dict[int, dict[str, Any]] = {0: UNKNOWN}
    for pk, prompt, number in PromptVersion.objects.filter(
        pk__in=[i for i in ids if i]
    ).values_list("pk", "template__name", "number"):
        names[pk] = {"prompt": prompt, "version": number}
    return names


def monitoring_report(*, project: Project, window: Window) -> dict[str, Any]:
    """Return the project's figures in ``window``: totals, per period, per version and model.

    ``series`` holds only periods with outputs; ``groups`` the ``MAX_GROUPS`` busiest
    (prompt version, model) pairs, busiest first, with ``groups_total`` saying how many there are.
    """
    figures = rollup_figures(project=project, window=window, keys=("project",))
    totals = next(iter(figures.values()), None)
    series = [
        {"period": key[0].isoformat(), **values}
        for key, values in rollup_figures(project=project, window=window, keys=("period",)).items()
    ]
    pairs = rollup_figures(project=project, window=window, keys=("version", "model_name"))
    busiest = sorted(pairs.items(), key=lambda item: (-item[1]["requests"], item[0]))
    names = version_names(key[0] for key, _ in busiest[:MAX_GROUPS])
    groups = [
        {"version_id": key[0] or None, **names.get(key[0], UNKNOWN), "model": key[1], **values}
        for key, values in busiest[:MAX_GROUPS]
    ]
    return {
        "granularity": window.granularity,
        "from": window.start.isoformat(),
        "to": window.end.isoformat(),
        "filters": {"version": window.version, "model": window.model},
        "totals": totals,
        "series": series,
        "groups": groups,
        "groups_total": len(pairs),
    }


def monitoring_rows(*, project: Project, window: Window) -> list[dict[str, Any]]:
    """Return one row per period, prompt version and model (the downloads' table)."""
    figures = rollup_figures(
        project=project, window=window, keys=("period", "version", "model_name")
    )
    names = version_names({key[1] for key in figures})
    return [
        {"period": key[0].isoformat(), **names.get(key[1], UNKNOWN), "model": key[2], **values}
        for key, values in figures.items()
    ]


def project_models(*, project: Project) -> list[str]:
    """Return the model names the project's roll-ups know (for the page's filter)."""
    return list(
        OutputRollup.objects.filter(project=project)
        .order_by("model_name")
        .values_list("model_name", flat=True)
        .distinct()[:MAX_GROUPS]
    )
