"""Drift between two windows of outputs: tests per signal, Benjamini-Hochberg, effects, words.

The door: other modules use what is listed here. Continuous signals (output and input length
in characters, latency, cost) are compared with the two-sample Kolmogorov-Smirnov test and the
relative change of the mean; a criterion's scores ("score:<criterion>") with a chi-square test
on level counts and the difference of means. q-values control the false discovery rate across
the family, and a signal drifts when q < alpha and its effect reaches a documented minimum.
"""

from __future__ import annotations

from llmops_core.metrics.drift.compare import (
    DEFAULT_ALPHA,
    DEFAULT_CONFIDENCE,
    DEFAULT_DRAWS,
    MIN_RELATIVE_CHANGE,
    MIN_SCORE_POINTS,
    DriftReport,
    compare_windows,
    decide,
)
from llmops_core.metrics.drift.fdr import benjamini_hochberg
from llmops_core.metrics.drift.rows import Outputs, RowsError, read_outputs
from llmops_core.metrics.drift.signal import MIN_VALUES, SCORE_PREFIX, Signal
from llmops_core.metrics.drift.table import render_report

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_CONFIDENCE",
    "DEFAULT_DRAWS",
    "MIN_RELATIVE_CHANGE",
    "MIN_SCORE_POINTS",
    "MIN_VALUES",
    "SCORE_PREFIX",
    "DriftReport",
    "Outputs",
    "RowsError",
    "Signal",
    "benjamini_hochberg",
    "compare_windows",
    "decide",
    "read_outputs",
    "render_report",
]
