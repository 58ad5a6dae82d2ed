"""Agreement reports: ask for one, compute it from the stored ratings, retry and refresh it.

``requests`` holds the writes a lead (or a schedule, or a closing queue) triggers; ``compute``
runs in the worker: it reads the ratings, has ``metrics.agreement_report`` compute the sections
and the summary, and stores them (the row moves through ``services.jobs``); ``scope`` says what
a report covers; ``export`` turns results into the CSV and JSON downloads.
"""

from llmops_core.services.reports.compute import report_compute, report_fail
from llmops_core.services.reports.requests import (
    RefreshResult,
    Trigger,
    report_enqueue,
    report_recompute,
    report_refresh_stale,
    report_request,
    report_request_on_queue_close,
    report_retry,
)
from llmops_core.services.reports.scope import ReportScope

__all__ = [
    "RefreshResult",
    "ReportScope",
    "Trigger",
    "report_compute",
    "report_enqueue",
    "report_fail",
    "report_recompute",
    "report_refresh_stale",
    "report_request",
    "report_request_on_queue_close",
    "report_retry",
]
