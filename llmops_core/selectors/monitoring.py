"""Monitoring reads: requests, errors, tokens, cost and latency percentiles from the roll-ups.

Never a scan of outputs: every figure sums the roll-up rows (``models.monitoring``) of the
window's granularity, per period and/or (prompt version, model); percentiles merge the latency
histograms of those rows (``metrics.latency``: within 4.4%). A figure with nothing under it is
None (``tokens_in`` when no output reported tokens, percentiles when none had a latency), never 0.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import numpy as np

from llmops_core.metrics.hours import HOURS, hour_index, period_index, period_start
from llmops_core.metrics.latency import BINS, percentiles
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


@dataclass
class Raw:
    """Summed roll-ups before they become figures: sums, latency bins, errors per type."""

    sums: dict[str, Any]
    bins: np.ndarray = field(default_factory=lambda: np.zeros(BINS, dtype=np.int64))
    errors: dict[str, int] = field(default_factory=dict)


def _rows(
    model: Any, project: Project | None, window: Window | None, versions: Any, *fields: str
) -> Any:
    """Return ``fields`` of the roll-ups of the window's granularity (weeks without a window)."""
    granularity = window.granularity if window is not None else "week"
    query = model.objects.filter(grain=HOURS[granularity])
    if project is not None:
        query = query.filter(project=project)
    if window is not None:
        query = query.filter(
            period__gte=period_index(hour_index(window.start), granularity),
            period__lt=period_index(hour_index(window.end), granularity),
        )
        if window.version is not None:
            query = query.filter(version=window.version)
        if window.model is not None:
            query = query.filter(model_name=window.model)
    if versions is not None:
        query = query.filter(version__in=list(versions))
    return query.values_list("period", "version", "model_name", *fields)


def rollup_raw(
    *, project: Project | None, window: Window | None, versions: Iterable[int] | None = None
) -> dict[tuple[int, int, str], Raw]:
    """Return {(period, version, model): summed roll-ups} of the window, in three queries.

    Rows are read as stored, one per period, version and model (and bin or error type), and
    added up here: a plain indexed range read, cheaper than SQL's grouping on SQLite.
    """
    rows = list(_rows(OutputRollup, project, window, versions, *SUMS))
    cells = {(period, version, model): i for i, (period, version, model, *_) in enumerate(rows)}
    latency = list(_rows(OutputRollupLatency, project, window, versions, "bin", "count"))
    where = np.fromiter((cells.get(r[:3], -1) for r in latency), np.int64, len(latency))
    index = np.fromiter((r[3] for r in latency), np.int64, len(latency))
    count = np.fromiter((r[4] for r in latency), np.int64, len(latency))
    known = where >= 0  # a bin row added after its roll-up row was read
    bins = np.zeros((len(rows), BINS), dtype=np.int64)
    np.add.at(bins, (where[known], index[known]), count[known])
    raw: dict[tuple[int, int, str], Raw] = {
        key: Raw(dict(zip(SUMS, rows[i][3:], strict=True)), bins[i]) for key, i in cells.items()
    }
    failed = _rows(OutputRollupError, project, window, versions, "error_type", "count")
    for period, version, model, name, count in failed:
        found = raw.get((period, version, model))
        if found is not None:
            found.errors[name or "(no type)"] = count
    return raw


def regrouped(
    raw: dict[tuple[int, int, str], Raw], key: Callable[[tuple[int, int, str]], Any]
) -> dict[Any, Raw]:
    """Return ``raw`` summed per ``key(period, version, model)``, in key order."""
    groups: dict[Any, list[Raw]] = defaultdict(list)
    for raw_key, value in raw.items():
        groups[key(raw_key)].append(value)
    return {k: merged(groups[k]) for k in sorted(groups)}


def merged(raws: Iterable[Raw]) -> Raw:
    """Return the sum of summed roll-ups: sums, bins and errors added."""
    total = Raw({name: 0 for name in SUMS})
    for raw in raws:
        for name in SUMS:
            total.sums[name] += raw.sums[name] or 0
        total.bins += raw.bins
        for name, count in raw.errors.items():
            total.errors[name] = total.errors.get(name, 0) + count
    return total


def metrics_of(sums: dict[str, Any], bins: np.ndarray) -> dict[str, Any]:
    """Return the figures of summed roll-ups ``sums`` and their merged histogram ``bins``."""
    requests = sums["requests"]
    p = percentiles(bins, QUANTILES)
    cost = Decimal(sums["cost"]) if sums["with_cost"] else None
    with_latency = sums["with_latency"]
    return {
        "requests": requests,
        "errors": sums["errors"],
        "error_rate": sums["errors"] / requests if requests else None,
        "error_pct": 100 * sums["errors"] / requests if requests else None,
        "tokens_in": sums["tokens_in"] if sums["with_tokens"] else None,
        "tokens_out": sums["tokens_out"] if sums["with_tokens"] else None,
        "cost": float(cost) if cost is not None else None,
        "cost_mean": float(cost / sums["with_cost"]) if cost is not None else None,
        "latency_mean_ms": sums["latency_ms"] / with_latency if with_latency else None,
        "latency_p50_ms": p[0.5],
        "latency_p95_ms": p[0.95],
        "latency_p99_ms": p[0.99],
    }


def figures_of(raw: Raw) -> dict[str, Any]:
    """Return the figures of summed roll-ups, errors per type included."""
    return {**metrics_of(raw.sums, raw.bins), "errors_by_type": raw.errors}


def rollup_figures(
    *,
    project: Project | None,
    window: Window | None,
    key: Callable[[tuple[int, int, str]], Any],
    versions: Iterable[int] | None = None,
) -> dict[Any, dict[str, Any]]:
    """Return {key(period, version, model): figures} of the window's roll-ups."""
    raw = rollup_raw(project=project, window=window, versions=versions)
    return {k: figures_of(value) for k, value in regrouped(raw, key).items()}


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
    raw = rollup_raw(project=project, window=window)
    start = functools.partial(period_start, granularity=window.granularity)
    series = [
        {"period": start(period).isoformat(), **figures_of(value)}
        for period, value in regrouped(raw, lambda k: k[0]).items()
    ]
    pairs = {k: figures_of(v) for k, v in regrouped(raw, lambda k: k[1:]).items()}
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
        "totals": figures_of(merged(raw.values())) if raw else None,
        "series": series,
        "groups": groups,
        "groups_total": len(pairs),
    }


def monitoring_rows(*, project: Project, window: Window) -> list[dict[str, Any]]:
    """Return one row per period, prompt version and model (the downloads' table)."""
    raw = rollup_raw(project=project, window=window)
    names = version_names({key[1] for key in raw})
    return [
        {
            "period": period_start(period, window.granularity).isoformat(),
            **names.get(version, UNKNOWN),
            "model": model,
            **figures_of(raw[(period, version, model)]),
        }
        for period, version, model in sorted(raw)
    ]


def project_models(*, project: Project) -> list[str]:
    """Return the model names the project's roll-ups know (for the page's filter)."""
    return list(
        OutputRollup.objects.filter(project=project, grain=HOURS["week"])
        .order_by("model_name")
        .values_list("model_name", flat=True)
        .distinct()[:MAX_GROUPS]
    )
