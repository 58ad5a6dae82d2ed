"""Forecast the interval width N human ratings would buy: human-only, uniform PPI++, active.

Shown before a queue is created. With inclusion probabilities pi, the weighted estimate's
variance is (Var(Y) + E[e^2 (1 - pi) / pi]) / M (Zrnic and Candes, ICML 2024, section 3),
where e^2 = E[(Y - lam f - c)^2 | output] is the judge's expected squared error on that
output and M the number of outputs; uniform sampling is pi = N / M, human-only Var(Y) / N.
Var(Y), lam, c and e^2 come from a pilot: outputs humans already rated. e^2 is averaged
within bins of the judge's uncertainty, so active sampling is forecast to help only as far
as the pilot shows that uncertainty predicts error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import FloatArray
from llmops_core.metrics.ppi.mean import z_value
from llmops_core.metrics.ppi.sampling import (
    DEFAULT_UNIFORM_SHARE,
    SortedUncertainty,
    validate_request,
)

# One uncertainty bin per this many pilot ratings (at most MAX_BINS): fewer ratings per bin
# would make the per-bin error too noisy to steer sampling by.
PILOT_PER_BIN = 30
MAX_BINS = 5
SHARES = tuple(round(0.05 * step, 2) for step in range(1, 21))

NO_PILOT = (
    "no pilot yet: the forecast needs at least two human-rated outputs with a judge score "
    "to learn how well the judge tracks the humans (rate a small uniform sample first)"
)
PILOT_CONSTANT = "every pilot human label is the same, so the spread of labels is unknown"


@dataclass(frozen=True)
class WidthForecast:
    """Expected interval widths for `budget` human ratings under each way of sampling."""

    budget: float
    human_only: float | None
    uniform: float | None
    active: float | None
    uniform_share: float
    human_equivalent_uniform: float | None
    human_equivalent_active: float | None
    pilot: int
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form shown beside the queue form."""
        return {
            "budget": self.budget,
            "human_only": self.human_only,
            "uniform": self.uniform,
            "active": self.active,
            "uniform_share": self.uniform_share,
            "human_equivalent_uniform": self.human_equivalent_uniform,
            "human_equivalent_active": self.human_equivalent_active,
            "pilot": self.pilot,
            "reason": self.reason,
        }


def _error_model(
    human: FloatArray, judge: FloatArray, uncertainty: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return uncertainty bin edges and the pilot's mean squared judge error in each bin.

    The judge's error is the residual of the pilot's least-squares line from judge score to
    human label, lam clipped to [0, 1] as in PPI++.
    """
    spread = float(judge.var())
    lam = 0.0 if spread == 0 else float(np.clip(np.cov(human, judge, ddof=0)[0, 1] / spread, 0, 1))
    squared = np.square(human - lam * judge - (human.mean() - lam * judge.mean()))
    bins = max(1, min(MAX_BINS, human.size // PILOT_PER_BIN))
    edges = np.unique(np.quantile(uncertainty, np.linspace(0, 1, bins + 1)[1:-1]))
    # Bin i holds (edge i-1, edge i]: a judge with few distinct uncertainties (often the
    # case: "sure" and "unsure") keeps them in separate bins.
    which = np.searchsorted(edges, uncertainty, side="left")
    counts = np.bincount(which, minlength=edges.size + 1)
    sums = np.bincount(which, weights=squared, minlength=edges.size + 1)
    overall = float(squared.mean())
    means = np.where(counts > 0, sums / np.maximum(counts, 1), overall)
    return edges, means


def forecast_widths(
    uncertainty: npt.ArrayLike,
    budget: float,
    *,
    pilot_human: npt.ArrayLike,
    pilot_judge: npt.ArrayLike,
    pilot_uncertainty: npt.ArrayLike,
    confidence: float = 0.95,
    uniform_share: float | None = None,
) -> WidthForecast:
    """Return the expected CI widths for `budget` human ratings of the outputs.

    uncertainty holds the judge's uncertainty about each output that could be drawn; the
    pilot arrays describe outputs already rated (human label, judge score, uncertainty).
    uniform_share=None picks the share (the floor of the active probabilities) with the
    narrowest forecast, the authors' tuning of their mixing parameter; pass the result's
    uniform_share to ``inclusion_probabilities`` when drawing the queue.
    """
    u = np.asarray(uncertainty, dtype=np.float64).ravel()
    validate_request(u, budget, uniform_share or 1.0)
    human = np.asarray(pilot_human, dtype=np.float64).ravel()
    judge = np.asarray(pilot_judge, dtype=np.float64).ravel()
    pilot_u = np.asarray(pilot_uncertainty, dtype=np.float64).ravel()
    if not human.size == judge.size == pilot_u.size:
        raise ValueError("the pilot arrays must have one entry per rated output")
    share = DEFAULT_UNIFORM_SHARE if uniform_share is None else uniform_share
    nothing = WidthForecast(budget, None, None, None, share, None, None, int(human.size))
    if human.size < 2:
        return _with_reason(nothing, NO_PILOT)
    variance = float(human.var(ddof=1))
    if variance == 0:
        return _with_reason(nothing, PILOT_CONSTANT)
    edges, means = _error_model(human, judge, pilot_u)
    error = means[np.searchsorted(edges, u, side="left")]
    size = u.size
    sorted_u = SortedUncertainty(u)

    def se2(pi: FloatArray) -> float:
        return (variance + float(np.mean(error * (1 - pi) / pi))) / size

    uniform = se2(np.full(size, min(1.0, budget / size)))
    shares = SHARES if uniform_share is None else (uniform_share,)
    active, share = min((se2(sorted_u.probabilities(budget, s)), s) for s in shares)
    width = 2 * z_value(confidence)
    return WidthForecast(
        budget=budget,
        human_only=width * math.sqrt(variance / min(budget, size)),
        uniform=width * math.sqrt(uniform),
        active=width * math.sqrt(active),
        uniform_share=share,
        human_equivalent_uniform=variance / uniform,
        human_equivalent_active=variance / active,
        pilot=int(human.size),
    )


def _with_reason(forecast: WidthForecast, reason: str) -> WidthForecast:
    """Return the forecast with every width undefined for `reason`."""
    return WidthForecast(**{**forecast.__dict__, "reason": reason})
