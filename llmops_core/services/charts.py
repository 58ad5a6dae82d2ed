"""Draw a finished report's charts into the cache, so the first view of its page reads them.

The worker calls this after computing a report (``tasks``); each chart is drawn as SVG (what
the page shows) under the fingerprint the chart views look up (``charts.cache``). Drawing is a
convenience: a chart that fails to draw is logged and left for the page to draw on request.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from llmops_core.charts.cache import chart_cached, chart_kind
from llmops_core.charts.registry import report_charts
from llmops_core.models import JobStatus, Report

logger = logging.getLogger(__name__)


def report_charts_draw(*, report_id: int) -> list[str]:
    """Draw every SVG chart of report ``report_id`` if it succeeded; return the names drawn."""
    report = Report.objects.filter(pk=report_id, status=JobStatus.SUCCEEDED).first()
    if report is None or not report.results:
        return []
    drawn = []
    for name, build in report_charts(report.kind, report.results).items():
        try:
            chart_cached(
                cache,
                kind=chart_kind(report.kind, name),
                fmt="svg",
                data=report.results,
                build=build,
            )
        except Exception:
            logger.exception("chart %s of report %s could not be drawn", name, report_id)
            continue
        drawn.append(name)
    return drawn
