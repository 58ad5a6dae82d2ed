"""Drift reports: two windows of a project's outputs compared signal by signal, in words.

``spec`` says what a report compares, ``requests`` asks for one (a lead, the API, the weekly
schedule), ``compute`` runs in the worker over ``selectors.drift``'s chunked reads and the
engine in ``metrics.drift``, ``signals`` is the registry of what is compared, ``summary``
turns the numbers into the headline, and ``judges`` re-checks judges against fresh ratings.
"""

from llmops_core.services.drift.compute import drift_report_compute, drift_report_fail
from llmops_core.services.drift.requests import (
    Trigger,
    drift_report_enqueue,
    drift_report_request,
    drift_reports_schedule,
)
from llmops_core.services.drift.signals import SIGNALS
from llmops_core.services.drift.spec import DriftSpec, Window, last_two_weeks

__all__ = [
    "SIGNALS",
    "DriftSpec",
    "Trigger",
    "Window",
    "drift_report_compute",
    "drift_report_enqueue",
    "drift_report_fail",
    "drift_report_request",
    "drift_reports_schedule",
    "last_two_weeks",
]
