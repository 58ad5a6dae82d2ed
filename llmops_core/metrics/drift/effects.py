"""Effect sizes between two windows and their bootstrap intervals: relative change, difference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.bootstrap import Interval, percentile_interval, resampled_multiplicities
from llmops_core.metrics.coding import FloatArray

RELATIVE: Final = "relative_change_of_mean"
DIFFERENCE: Final = "difference_of_means"

Effect = Callable[[FloatArray, FloatArray], FloatArray]


def relative_change(mean_before: npt.ArrayLike, mean_after: npt.ArrayLike) -> FloatArray:
    """Return after / before - 1 (0.18 is 18% higher); NaN where the before mean is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(mean_after, dtype=np.float64) / np.asarray(mean_before, dtype=np.float64)
    return np.where(np.isfinite(ratio), ratio - 1.0, np.nan)


def difference(mean_before: npt.ArrayLike, mean_after: npt.ArrayLike) -> FloatArray:
    """Return after - before, in the signal's own units (scale points for scores)."""
    return np.asarray(mean_after, dtype=np.float64) - np.asarray(mean_before, dtype=np.float64)


EFFECTS: Final[dict[str, Effect]] = {RELATIVE: relative_change, DIFFERENCE: difference}


def bootstrap_means(values: FloatArray, draws: int, rng: np.random.Generator) -> FloatArray:
    """Return the means of `draws` bootstrap resamples of the values.

    The resampling draws how often each distinct value appears, which is exactly the
    ordinary bootstrap and cheap for lengths and scores, whose values repeat.
    """
    distinct, counts = np.unique(values, return_counts=True)
    blocks = [
        block @ distinct / values.size
        for block in resampled_multiplicities(counts.astype(np.int64), draws, rng)
    ]
    return np.concatenate(blocks) if blocks else np.empty(0)


def effect_interval(
    kind: str,
    before: FloatArray,
    after: FloatArray,
    *,
    draws: int,
    confidence: float,
    seed: int,
) -> Interval:
    """Return the percentile bootstrap interval of the effect, resampling each window alone.

    The windows are independent samples, so each is resampled on its own; a draw whose
    effect is undefined (a before mean of zero) is dropped and the interval says how many
    draws it rests on.
    """
    if draws <= 0:
        return Interval(None, None, confidence, draws, 0, "bootstrap disabled (0 draws)")
    rng = np.random.default_rng(seed)
    samples = EFFECTS[kind](bootstrap_means(before, draws, rng), bootstrap_means(after, draws, rng))
    return percentile_interval(
        samples, confidence, draws, "the effect is undefined in every bootstrap draw"
    )
