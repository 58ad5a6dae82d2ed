"""Population stability index between two binned distributions, reported for monitoring."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import FloatArray, IntArray

# Half a count added to every bin, so an empty bin gives a finite log ratio instead of infinity.
SMOOTHING: Final = 0.5
DECILES: Final = 10


def population_stability_index(before: npt.ArrayLike, after: npt.ArrayLike) -> float:
    """Return sum((a - b) * ln(a / b)) over bins of the two windows' smoothed shares.

    Conventional reading: under 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major
    shift. It has no sampling distribution, so it is reported beside the test, never used in
    the drift decision.
    """
    b = np.asarray(before, dtype=np.float64) + SMOOTHING
    a = np.asarray(after, dtype=np.float64) + SMOOTHING
    b_share, a_share = b / b.sum(), a / a.sum()
    return float(np.sum((a_share - b_share) * np.log(a_share / b_share)))


def quantile_bin_counts(before: FloatArray, after: FloatArray) -> tuple[IntArray, IntArray]:
    """Count both windows in bins cut at the deciles of the before window.

    Ties in the data merge deciles, so a signal with few distinct values gets fewer bins.
    """
    edges = np.unique(np.quantile(before, np.linspace(0, 1, DECILES + 1)[1:-1]))
    bins = len(edges) + 1
    count_b = np.bincount(np.searchsorted(edges, before, side="right"), minlength=bins)
    count_a = np.bincount(np.searchsorted(edges, after, side="right"), minlength=bins)
    return count_b.astype(np.int64), count_a.astype(np.int64)
