"""Metrics that read other features' data: end-user feedback and drift reports.

Registered when ``services.alerts`` is imported (its ``__init__`` imports this module), in the
registry of ``services.alerts.metrics``, so the rule form, the API and beat offer them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.selectors.feedback import feedback_down_rate
from llmops_core.services.alerts.metrics import MetricFilter, metric_register


def drift_signals(
    project: Project, end: datetime, window: timedelta, flt: MetricFilter
) -> float | None:
    """Return how many signals drifted in the newest drift report finished in the window.

    Only reports whose later window matches the rule's prompt version and model, when the rule
    names them. None when no drift report finished in the window (no data, never 0).
    """
    reports = Report.objects.filter(
        project=project,
        kind=ReportKind.DRIFT,
        status=JobStatus.SUCCEEDED,
        finished_at__gte=end - window,
        finished_at__lt=end,
    ).order_by("-finished_at", "-pk")
    for results in reports.values_list("results", flat=True)[:50]:
        after = (results or {}).get("windows", {}).get("after", {})
        if flt.prompt_version_id is not None and after.get("prompt_version_id") != (
            flt.prompt_version_id
        ):
            continue
        if flt.model_name and after.get("model_name") != flt.model_name:
            continue
        signals = (results or {}).get("drift", {}).get("signals", {})
        return float(sum(1 for signal in signals.values() if signal.get("drifted")))
    return None


metric_register(
    "feedback_down_rate",
    feedback_down_rate,
    unit="share 0-1",
    description="Share of the end users' thumbs given in the window that were down.",
)
metric_register(
    "drift_signals",
    drift_signals,
    unit="signals",
    description=(
        "Signals that drifted (after Benjamini-Hochberg) in the newest drift report finished "
        "in the window; alert at 1 to hear of any drift."
    ),
)
