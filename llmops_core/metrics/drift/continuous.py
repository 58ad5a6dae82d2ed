"""Continuous signals (lengths, latency, cost): two-sample KS test and relative change of mean."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from llmops_core.metrics.coding import FloatArray
from llmops_core.metrics.drift.effects import RELATIVE, effect_interval, relative_change
from llmops_core.metrics.drift.psi import population_stability_index, quantile_bin_counts
from llmops_core.metrics.drift.signal import Signal, mean_or_none, untestable_reason

KS_TEST = "ks_2samp"


def ks_test(before: FloatArray, after: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return scipy's two-sided two-sample Kolmogorov-Smirnov statistic D and p-value.

    Windows lie along the last axis, so a stack of window pairs is tested in one call (the
    simulation suite does that). scipy picks the exact distribution for windows up to 10,000
    values and the asymptotic one above. Its p-values assume no ties; lengths are whole
    numbers and do tie, which makes the test conservative (it rejects less often than alpha
    when nothing changed).
    """
    from scipy import stats  # loaded by a computation, not by the pages that import this

    result = stats.ks_2samp(before, after, axis=-1)
    return np.asarray(result.statistic, dtype=np.float64), np.asarray(result.pvalue)


def measure_continuous(
    name: str,
    before: FloatArray,
    after: FloatArray,
    *,
    minimum: float,
    draws: int,
    confidence: float,
    seed: int,
) -> Signal:
    """Compare a continuous signal: KS test, relative change of the mean with its CI, PSI."""
    signal = Signal(
        name=name,
        test=KS_TEST,
        effect_kind=RELATIVE,
        minimum_effect=minimum,
        n_before=int(before.size),
        n_after=int(after.size),
        mean_before=mean_or_none(before),
        mean_after=mean_or_none(after),
    )
    reason = untestable_reason(before, after)
    if reason is not None:
        return replace(signal, reason=reason)
    statistic, p_value = ks_test(before, after)
    signal = replace(
        signal,
        statistic=float(statistic),
        p_value=float(p_value),
        psi=population_stability_index(*quantile_bin_counts(before, after)),
    )
    effect = float(relative_change(before.mean(), after.mean()))
    if not np.isfinite(effect):
        return replace(signal, reason="the before mean is 0, so a relative change is undefined")
    interval = effect_interval(
        RELATIVE, before, after, draws=draws, confidence=confidence, seed=seed
    )
    return replace(
        signal,
        effect=effect,
        low=interval.low,
        high=interval.high,
        interval_reason=interval.reason,
    )
