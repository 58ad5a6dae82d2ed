"""Latency histograms with fixed log-spaced bins: mergeable by addition, percentiles from counts.

Bin 0 holds 0 ms; bin ``i`` (1 <= i < ``BINS``) holds latencies in [R^(i-1), R^i) ms with
R = 2^(1/8), so eight bins per doubling from 1 ms to 2^24 ms (about 4.7 hours); the last bin
also holds anything longer. Histograms of any hours, versions or models merge by adding counts
bin by bin, so a week's p95 is exact to the histogram's resolution, never an average of p95s.

Accuracy: a percentile is reported as the geometric middle of the bin that holds the
nearest-rank value, so it is within a factor sqrt(R) = 2^(1/16) of it: at most 4.4% off
(``RELATIVE_ERROR``), for any number of outputs. Below 2 ms bins are narrower than the 1 ms
steps of ``latency_ms``; there the integer itself is reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np

PER_DOUBLING: Final = 8
DOUBLINGS: Final = 24
BINS: Final = PER_DOUBLING * DOUBLINGS + 1
RATIO: Final = 2 ** (1 / PER_DOUBLING)
RELATIVE_ERROR: Final = math.sqrt(RATIO) - 1


def latency_bin(ms: int) -> int:
    """Return the bin of a latency of ``ms`` milliseconds (negative counts as 0)."""
    if ms <= 0:
        return 0
    index = math.floor(math.log2(ms) * PER_DOUBLING) + 1
    # Guard float rounding at exact edges (2^(k/8) is rarely an integer, 2^k always is).
    if index > 1 and RATIO ** (index - 1) > ms:
        index -= 1
    return min(index, BINS - 1)


def bin_bounds(index: int) -> tuple[float, float]:
    """Return the [low, high) milliseconds of bin ``index``."""
    if index <= 0:
        return 0.0, 1.0
    return RATIO ** (index - 1), RATIO**index


def bin_value(index: int) -> float:
    """Return the latency a bin stands for: its geometric middle (0 for bin 0)."""
    if index <= 0:
        return 0.0
    low, high = bin_bounds(index)
    if high <= 2:  # bins narrower than a millisecond hold one integer: 1
        return float(math.ceil(low))
    return math.sqrt(low * high)


def histogram(counts: Mapping[int, int]) -> np.ndarray:
    """Return the histogram ``counts`` ({bin: count}) as an array of ``BINS`` counts."""
    array = np.zeros(BINS, dtype=np.int64)
    for index, count in counts.items():
        array[index] += count
    return array


def percentiles(
    counts: Mapping[int, int] | np.ndarray, qs: Iterable[float]
) -> dict[float, float | None]:
    """Return {q: latency in ms} of a histogram (``BINS`` counts, or {bin: count}) by nearest rank.

    None for every q when the histogram is empty: a percentile of nothing is undefined.
    """
    array = histogram(counts) if isinstance(counts, Mapping) else counts
    cumulative = np.cumsum(array)
    total = int(cumulative[-1]) if len(cumulative) else 0
    found: dict[float, float | None] = {}
    for q in qs:
        if total == 0:
            found[q] = None
            continue
        rank = max(1, math.ceil(q * total))
        found[q] = bin_value(int(np.searchsorted(cumulative, rank)))
    return found
