"""Rates (refusals, errors, end-user feedback): a 2 x 2 test and the difference of proportions.

A rate signal's values are 0 or 1 per output (1: the output refused, failed, got feedback).
Its name ends in ``_rate``, which is how ``compare_windows`` knows it is a rate. The test is
Pearson's chi-square on the 2 x 2 table without Yates' correction (the square of the
two-proportion z test) when every expected count is at least 5, else Fisher's exact test;
the effect is the difference of the proportions (after minus before) with a bootstrap CI.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import numpy as np

from llmops_core.metrics.coding import FloatArray
from llmops_core.metrics.drift.categorical import MIN_EXPECTED
from llmops_core.metrics.drift.effects import DIFFERENCE, effect_interval
from llmops_core.metrics.drift.signal import Signal, mean_or_none, untestable_reason

RATE_SUFFIX: Final = "_rate"
CHI2_2X2_TEST: Final = "chi2_2x2"
FISHER_TEST: Final = "fisher_exact"


def is_rate(name: str) -> bool:
    """Return whether the signal ``name`` is a rate (0/1 per output)."""
    return name.endswith(RATE_SUFFIX)


def rate_table(before: FloatArray, after: FloatArray) -> np.ndarray:
    """Return [[yes, no] before, [yes, no] after] from 0/1 values."""
    yes_b, yes_a = int(before.sum()), int(after.sum())
    return np.array([[yes_b, before.size - yes_b], [yes_a, after.size - yes_a]], dtype=np.int64)


def rate_test(table: np.ndarray) -> tuple[str, float, float]:
    """Return the test used, its statistic and its two-sided p-value for the 2 x 2 table.

    Fisher's statistic is the conditional maximum-likelihood odds ratio's sample version
    (scipy's), reported for completeness; the decision rests on the p-value and the effect.
    """
    from scipy import stats  # loaded by a computation, not by the pages that import this

    expected = stats.contingency.expected_freq(table)
    if expected.min() >= MIN_EXPECTED:
        result = stats.chi2_contingency(table, correction=False)
        return CHI2_2X2_TEST, float(result.statistic), float(result.pvalue)
    fisher = stats.fisher_exact(table)
    return FISHER_TEST, float(fisher.statistic), float(fisher.pvalue)


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None  # an odds ratio with a zero cell is infinite


def measure_rate(
    name: str,
    before: FloatArray,
    after: FloatArray,
    *,
    minimum: float,
    draws: int,
    confidence: float,
    seed: int,
) -> Signal:
    """Compare a rate: chi-square (or Fisher) on the 2 x 2 table, difference with its CI."""
    signal = Signal(
        name=name,
        test=CHI2_2X2_TEST,
        effect_kind=DIFFERENCE,
        minimum_effect=minimum,
        n_before=int(before.size),
        n_after=int(after.size),
        mean_before=mean_or_none(before),
        mean_after=mean_or_none(after),
    )
    if np.any((before != 0) & (before != 1)) or np.any((after != 0) & (after != 1)):
        raise ValueError(f"signal {name!r} is a rate: its values must be 0 or 1")
    reason = untestable_reason(before, after)
    if reason is not None:
        return replace(signal, reason=reason)
    table = rate_table(before, after)
    test, statistic, p_value = rate_test(table)
    interval = effect_interval(
        DIFFERENCE, before, after, draws=draws, confidence=confidence, seed=seed
    )
    return replace(
        signal,
        test=test,
        statistic=_finite(statistic),
        p_value=p_value,
        effect=float(after.mean() - before.mean()),
        low=interval.low,
        high=interval.high,
        interval_reason=interval.reason,
        details={"count_before": int(table[0, 0]), "count_after": int(table[1, 0])},
    )
