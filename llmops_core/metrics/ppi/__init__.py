"""Judge-assisted estimates: PPI++ means, comparisons, active sampling and judge calibration.

The door of the package: callers import from here. Inputs are plain numpy arrays (see
``ScoredOutputs``); results are frozen dataclasses with ``as_dict()`` for JSON, where an
undefined value is None beside a sentence saying why.

- ``scored_outputs`` / ``ScoredOutputs``: per-output judge score, human label (the mean of
  its reviewers), inclusion probability and input key.
- ``estimate_outputs``: human-only, judge-only and PPI++ means of one version on one criterion.
- ``compare_outputs`` / ``comparison_sentence``: the difference between two versions.
- ``inclusion_probabilities``, ``draw_active``, ``draw_uniform``, ``level_spread``,
  ``swap_disagreement``: choosing the outputs humans rate.
- ``forecast_widths``: the interval width N ratings would buy, uniform vs active.
- ``calibration``: the judge's calibration curve and largest residuals.
- ``ppi_mean``, ``ppi_mean_weighted``, ``clt_mean``, ``weighted_human_mean``: the estimators.
"""

from __future__ import annotations

from llmops_core.metrics.ppi.calibration import Calibration, CalibrationLevel, Residual, calibration
from llmops_core.metrics.ppi.compare import (
    BASES,
    BETTER,
    NOT_DISTINGUISHABLE,
    PAIRED,
    UNPAIRED,
    WORSE,
    Comparison,
    Difference,
    compare_outputs,
    comparison_sentence,
)
from llmops_core.metrics.ppi.estimates import Estimates, SampleCheck, estimate_outputs
from llmops_core.metrics.ppi.forecast import WidthForecast, forecast_widths
from llmops_core.metrics.ppi.mean import MeanInterval, PPIMean, clt_mean, ppi_mean
from llmops_core.metrics.ppi.outputs import ScoredOutputs, scored_outputs
from llmops_core.metrics.ppi.sampling import (
    draw_active,
    draw_uniform,
    inclusion_probabilities,
    level_spread,
    swap_disagreement,
)
from llmops_core.metrics.ppi.weighted import ppi_mean_weighted, weighted_human_mean

__all__ = [
    "BASES",
    "BETTER",
    "NOT_DISTINGUISHABLE",
    "PAIRED",
    "UNPAIRED",
    "WORSE",
    "Calibration",
    "CalibrationLevel",
    "Comparison",
    "Difference",
    "Estimates",
    "MeanInterval",
    "PPIMean",
    "Residual",
    "SampleCheck",
    "ScoredOutputs",
    "WidthForecast",
    "calibration",
    "clt_mean",
    "compare_outputs",
    "comparison_sentence",
    "draw_active",
    "draw_uniform",
    "estimate_outputs",
    "forecast_widths",
    "inclusion_probabilities",
    "level_spread",
    "ppi_mean",
    "ppi_mean_weighted",
    "scored_outputs",
    "swap_disagreement",
    "weighted_human_mean",
]
