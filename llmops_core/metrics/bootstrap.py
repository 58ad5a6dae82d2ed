"""Resample units for bootstrap confidence intervals without looping over units."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray

# Cap on the size of one block of resampled unit indices (draws x units), about 160 MB.
_BLOCK_CELLS = 20_000_000


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap interval and how many draws it rests on."""

    low: float | None
    high: float | None
    confidence: float
    draws: int
    valid_draws: int
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form of the interval."""
        result: dict[str, object] = {
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "draws": self.draws,
            "valid_draws": self.valid_draws,
        }
        if self.reason is not None:
            result["reason"] = self.reason
        return result


def resampled_multiplicities(
    multiplicity: IntArray, draws: int, rng: np.random.Generator, block: int = 200
) -> Iterator[FloatArray]:
    """Yield blocks of draws x types: how often each unit type appears in a bootstrap sample.

    Resampling n units with replacement, where type k holds multiplicity[k] of them, gives
    type counts that are multinomial(n, multiplicity / n). With few types (rating scales)
    we draw that multinomial directly; with many types we draw unit indices and count them.
    Both are exactly the ordinary nonparametric bootstrap over units.
    """
    n_types = multiplicity.size
    n_units = int(multiplicity.sum())
    if draws <= 0 or n_units == 0:
        return
    few_types = n_types * 8 <= n_units
    unit_type = None if few_types else np.repeat(np.arange(n_types), multiplicity)
    if not few_types:
        block = max(1, min(block, _BLOCK_CELLS // max(n_units, 1)))
    pvals = multiplicity / n_units
    done = 0
    while done < draws:
        size = min(block, draws - done)
        if unit_type is None:
            counts = rng.multinomial(n_units, pvals, size=size)
        else:
            picked = unit_type[rng.integers(0, n_units, size=(size, n_units))]
            offsets = (np.arange(size, dtype=np.int64) * n_types)[:, None]
            counts = np.bincount((picked + offsets).ravel(), minlength=size * n_types)
            counts = counts.reshape(size, n_types)
        yield counts.astype(np.float64)
        done += size


def percentile_interval(
    samples: FloatArray, confidence: float, draws: int, reason_if_empty: str
) -> Interval:
    """Return the percentile interval of the finite samples (undefined draws are dropped)."""
    if draws <= 0:
        return Interval(None, None, confidence, draws, 0, "bootstrap disabled (0 draws)")
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return Interval(None, None, confidence, draws, 0, reason_if_empty)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return Interval(float(low), float(high), confidence, draws, int(finite.size))
