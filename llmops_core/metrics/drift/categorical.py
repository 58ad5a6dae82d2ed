"""Scores per criterion: chi-square on the level counts, after merging sparse levels; mean shift."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray
from llmops_core.metrics.drift.effects import DIFFERENCE, effect_interval
from llmops_core.metrics.drift.psi import population_stability_index
from llmops_core.metrics.drift.signal import Signal, mean_or_none, untestable_reason

CHI2_TEST: Final = "chi2"
# Cochran's rule: the chi-square approximation holds when every expected count is at least 5.
MIN_EXPECTED: Final = 5.0


@dataclass(frozen=True)
class Level:
    """A run of adjacent score values counted together, and its count in each window."""

    low: float
    high: float
    before: int
    after: int

    @property
    def label(self) -> str:
        """Return "4" for one value, "1-2" for a merged run."""
        return f"{self.low:g}" if self.low == self.high else f"{self.low:g}-{self.high:g}"


def merge_sparse_levels(values: FloatArray, before: IntArray, after: IntArray) -> list[Level]:
    """Merge adjacent score levels until every expected count is at least MIN_EXPECTED.

    Scores are ordinal, so a sparse level joins a neighbour, never a distant value: the
    smallest level merges with its smaller neighbour (the lower one on a tie), repeatedly.
    A level's expected count in the smaller window is n_small * pooled_count / n_total, so
    the rule is met once every level's pooled count reaches MIN_EXPECTED * n_total / n_small.
    """
    levels = [
        Level(float(v), float(v), int(b), int(a))
        for v, b, a in zip(values, before, after, strict=True)
    ]
    n_before, n_after = int(before.sum()), int(after.sum())
    needed = MIN_EXPECTED * (n_before + n_after) / min(n_before, n_after)
    while len(levels) > 1:
        sizes = [level.before + level.after for level in levels]
        i = int(np.argmin(sizes))
        if sizes[i] >= needed:
            break
        if i == 0:
            j = 1
        elif i == len(levels) - 1:
            j = i - 1
        else:
            j = i - 1 if sizes[i - 1] <= sizes[i + 1] else i + 1
        first, second = sorted((i, j))
        left, right = levels[first], levels[second]
        levels[first : second + 1] = [
            Level(left.low, right.high, left.before + right.before, left.after + right.after)
        ]
    return levels


def level_counts(before: FloatArray, after: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Return the distinct values of both windows and how often each occurs in each window."""
    values, codes = np.unique(np.concatenate([before, after]), return_inverse=True)
    count_b = np.bincount(codes[: before.size], minlength=values.size)
    count_a = np.bincount(codes[before.size :], minlength=values.size)
    return values, count_b.astype(np.int64), count_a.astype(np.int64)


def chi_square_test(levels: list[Level]) -> tuple[float, float, int]:
    """Return Pearson's chi-square of homogeneity on the 2 x k table, its p-value and df.

    No Yates correction: it makes the test conservative, and levels were merged to keep
    expected counts large enough for the plain approximation.
    """
    from scipy import stats  # loaded by a computation, not by the pages that import this

    table = np.array([[level.before for level in levels], [level.after for level in levels]])
    result = stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue), int(result.dof)


def measure_score(
    name: str,
    before: FloatArray,
    after: FloatArray,
    *,
    minimum: float,
    draws: int,
    confidence: float,
    seed: int,
) -> Signal:
    """Compare a criterion's scores: chi-square on level counts, mean difference with its CI."""
    signal = Signal(
        name=name,
        test=CHI2_TEST,
        effect_kind=DIFFERENCE,
        minimum_effect=minimum,
        n_before=int(before.size),
        n_after=int(after.size),
        mean_before=mean_or_none(before),
        mean_after=mean_or_none(after),
    )
    reason = untestable_reason(before, after)
    if reason is not None:
        return replace(signal, reason=reason)
    levels = merge_sparse_levels(*level_counts(before, after))
    details = {"levels": [level.label for level in levels]}
    if len(levels) < 2:
        reason = (
            f"merging levels to reach expected counts of {MIN_EXPECTED:g} left one level; "
            "more rows are needed for a test"
        )
        return replace(signal, details=details, reason=reason)
    statistic, p_value, df = chi_square_test(levels)
    interval = effect_interval(
        DIFFERENCE, before, after, draws=draws, confidence=confidence, seed=seed
    )
    return replace(
        signal,
        statistic=statistic,
        p_value=p_value,
        effect=float(after.mean() - before.mean()),
        low=interval.low,
        high=interval.high,
        interval_reason=interval.reason,
        psi=population_stability_index(
            [level.before for level in levels], [level.after for level in levels]
        ),
        details={**details, "df": df},
    )
