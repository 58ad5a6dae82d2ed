"""The numbers alert rules watch: a registry of metric functions over a project's window.

Each metric is a function ``(project, end, window, flt) -> float | None``: the value over
``[end - window, end)``, or None when the window holds no data to compute it from (the rule's
no-data behaviour then decides its state). Every query is bounded by the project and the
window and runs on an index: outputs by ``(project, created_at)``, ratings by the time they
were given, judge scores by their outputs.

Adding a metric takes one line, here or in any module imported when Django starts::

    metric_register("feedback_rate", feedback_rate, unit="share 0-1", description="...")

(``criterion=True`` when the metric needs the rule's criterion). Its name then appears in
the rule form and the API, and beat evaluates rules on it like any other.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum

from annotate.selectors import RatingFilter, rating_rows
from llmops_core.models import JudgeScore, ModelOutput, OutputStatus, Project


@dataclass(frozen=True)
class MetricFilter:
    """Which outputs a rule watches; empty fields mean all of the project's."""

    prompt_version_id: int | None = None
    model_name: str = ""
    criterion: str = ""


MetricFunction = Callable[[Project, datetime, timedelta, MetricFilter], "float | None"]


@dataclass(frozen=True)
class Metric:
    """A registered metric: its function, unit and what it means."""

    name: str
    function: MetricFunction
    unit: str
    description: str
    criterion: bool = False  # the rule must name a criterion


METRICS: dict[str, Metric] = {}


def metric_register(
    name: str, function: MetricFunction, *, unit: str, description: str, criterion: bool = False
) -> Metric:
    """Register ``function`` as the metric ``name`` (a later registration replaces it)."""
    metric = Metric(name, function, unit, description, criterion)
    METRICS[name] = metric
    return metric


def metric_get(name: str) -> Metric | None:
    """Return the metric called ``name``, or None."""
    return METRICS.get(name)


def metric_choices() -> list[tuple[str, str]]:
    """Return ``(name, "name (unit)")`` for every metric, for forms."""
    return [(m.name, f"{m.name} ({m.unit})") for m in sorted(METRICS.values(), key=_by_name)]


def _by_name(metric: Metric) -> str:
    return metric.name


def window_outputs(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> QuerySet[ModelOutput]:
    """Return the project's outputs received in ``[end - window, end)`` that ``flt`` keeps."""
    q = Q(project=project, created_at__gte=end - window, created_at__lt=end)
    if flt.prompt_version_id is not None:
        q &= Q(prompt_version_id=flt.prompt_version_id)
    if flt.model_name:
        q &= Q(model_name=flt.model_name)
    return ModelOutput.objects.filter(q).order_by()


def error_rate(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return the share of outputs in the window whose status is error."""
    agg = window_outputs(project, end, window, flt).aggregate(
        total=Count("id"), errors=Count("id", filter=Q(status=OutputStatus.ERROR))
    )
    return agg["errors"] / agg["total"] if agg["total"] else None


def latency_p95(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return the 95th percentile of latency (ms), interpolated as ``numpy.percentile`` does.

    Two small queries whatever the window holds: the count, then the one or two values
    around the percentile's rank (the database sorts; nothing else is read).
    """
    timed = window_outputs(project, end, window, flt).filter(latency_ms__isnull=False)
    n = timed.count()
    if n == 0:
        return None
    position = 0.95 * (n - 1)
    low = math.floor(position)
    ordered = timed.order_by("latency_ms").values_list("latency_ms", flat=True)
    values = [int(v) for v in ordered[low : low + 2] if v is not None]
    if len(values) == 1:
        return float(values[0])
    return float(values[0] + (values[1] - values[0]) * (position - low))


def cost_per_day(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return the summed cost of the window's outputs, per day of the window."""
    total = (
        window_outputs(project, end, window, flt)
        .filter(cost__isnull=False)
        .aggregate(total=Sum("cost"))["total"]
    )
    if total is None:
        return None
    return float(Decimal(total) / Decimal(window.total_seconds() / 86400))


def requests(project: Project, end: datetime, window: timedelta, flt: MetricFilter) -> float | None:
    """Return how many outputs arrived in the window (0 is a value, never "no data")."""
    return float(window_outputs(project, end, window, flt).count())


def _human_scores(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> list[dict[str, Any]]:
    """Return the criterion's ratings given in the window (gold items left out)."""
    rows = rating_rows(
        RatingFilter(
            project_id=project.pk,
            prompt_version_ids=[flt.prompt_version_id] if flt.prompt_version_id else (),
            since=end - window,
            until=end,
        ),
        extra={"model_name": F("annotation__item__output__model_name")},
    )
    return [
        row
        for row in rows
        if row["criterion"] == flt.criterion
        and not row["is_gold"]
        and (not flt.model_name or row["model_name"] == flt.model_name)
    ]


def human_score_mean(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return the mean human rating of the criterion among ratings given in the window."""
    scores = [int(row["score"]) for row in _human_scores(project, end, window, flt)]
    return sum(scores) / len(scores) if scores else None


def judge_score_mean(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return the mean judge score of the criterion over the window's outputs (every run)."""
    outputs = window_outputs(project, end, window, flt)
    mean = JudgeScore.objects.filter(output__in=outputs, criterion__name=flt.criterion).aggregate(
        mean=Avg("score")
    )["mean"]
    return None if mean is None else float(mean)


def judge_human_agreement(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return the judge's quadratic weighted kappa with the human consensus of the criterion.

    Over the outputs humans rated in the window that the judge scored (its latest run per
    output); None when there are none, or the statistic is undefined (one category).
    """
    from llmops_core.metrics.judge import judge_agreement

    by_output: dict[int, dict[int, float]] = defaultdict(dict)
    for row in _human_scores(project, end, window, flt):
        by_output[int(row["output_id"])][int(row["reviewer_id"])] = float(row["score"])
    if not by_output:
        return None
    judged: dict[int, float] = {}
    scores = (
        JudgeScore.objects.filter(output_id__in=list(by_output), criterion__name=flt.criterion)
        .order_by("output_id", "run_id")
        .values_list("output_id", "score")
    )
    for output_id, score in scores:
        judged[output_id] = float(score)  # the latest run's score wins
    items = [output_id for output_id in by_output if output_id in judged]
    if not items:
        return None
    reviewers = sorted({r for output_id in items for r in by_output[output_id]})
    index = {reviewer: i for i, reviewer in enumerate(reviewers)}
    humans = [[math.nan] * len(items) for _ in reviewers]
    for column, output_id in enumerate(items):
        for reviewer, rated in by_output[output_id].items():
            humans[index[reviewer]][column] = rated
    result = judge_agreement([judged[o] for o in items], humans, draws=0)
    return result.estimates["quadratic_kappa"].value


metric_register(
    "error_rate",
    error_rate,
    unit="share 0-1",
    description="Share of the window's outputs whose status is error.",
)
metric_register(
    "latency_p95",
    latency_p95,
    unit="ms",
    description="95th percentile of the latency of the window's outputs that report one.",
)
metric_register(
    "cost_per_day",
    cost_per_day,
    unit="cost/day",
    description="Summed cost of the window's outputs divided by the window's length in days.",
)
metric_register(
    "requests",
    requests,
    unit="outputs",
    description="Outputs received in the window (0 is a value: a silent application alerts).",
)
metric_register(
    "human_score",
    human_score_mean,
    unit="score",
    description="Mean human rating of the criterion among ratings given in the window.",
    criterion=True,
)
metric_register(
    "judge_score",
    judge_score_mean,
    unit="score",
    description="Mean judge score of the criterion over the outputs received in the window.",
    criterion=True,
)
metric_register(
    "judge_agreement",
    judge_human_agreement,
    unit="kappa",
    description=(
        "Quadratic weighted kappa of the judge with the human consensus, over the outputs "
        "rated in the window that the judge scored."
    ),
    criterion=True,
)
