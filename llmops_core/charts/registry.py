"""Which charts each kind of report has, by name: the one list the views and the worker share."""

from __future__ import annotations

from typing import Any

from llmops_core.charts import ChartBuilder


def report_charts(kind: str, results: dict[str, Any]) -> dict[str, ChartBuilder]:
    """Return {chart name: builder} of a report of ``kind`` (a ``ReportKind`` value)."""
    if kind == "agreement":
        from llmops_core.charts.agreement import CHARTS

        return {name: spec.build for name, spec in CHARTS.items()}
    if kind == "judge_comparison":
        from llmops_core.charts.judge import charts_for

        return charts_for(results)
    if kind == "drift":
        from llmops_core.charts.drift import CHARTS as DRIFT_CHARTS

        return {name: spec.build for name, spec in DRIFT_CHARTS.items()}
    from llmops_core.charts.versions import CHARTS as VERSION_CHARTS

    return {name: spec.build for name, spec in VERSION_CHARTS.items() if spec.kind == kind}
