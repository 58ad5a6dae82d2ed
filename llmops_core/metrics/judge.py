"""Agreement of an LLM judge with the human consensus, with bootstrap intervals over items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.bootstrap import Interval, percentile_interval, resampled_multiplicities
from llmops_core.metrics.coding import (
    FloatArray,
    IntArray,
    collapse_rows,
    distinct_values,
    matrix_value_counts,
    nearest_value_index,
    value_indices,
)
from llmops_core.metrics.estimate import NO_VARIATION, Estimate
from llmops_core.metrics.kappa import SINGLE_CATEGORY, agreement_weights, weighted_kappa
from llmops_core.metrics.krippendorff import alpha_from_coincidences, coincidence_rows
from llmops_core.metrics.tables import kendall_tau_b_from_table, spearman_from_table

if TYPE_CHECKING:
    from scipy import sparse

# The human consensus of an item is the mean of its human ratings. Against it we report
# Spearman's rho and Kendall's tau-b (judge score vs consensus), quadratic weighted kappa,
# exact and within-1 agreement (judge vs consensus rounded to the nearest scale value, ties
# up), the bias (mean judge minus mean consensus over the same items) and ordinal alpha with
# the judge added as one more rater. Items are resampled as types (human counts + judge
# value), so 1,000 draws cost about as much as a handful of point estimates.

JUDGE_METRICS: tuple[str, ...] = (
    "spearman",
    "kendall_tau_b",
    "quadratic_kappa",
    "exact",
    "within_1",
    "bias",
    "alpha_with_judge",
)
NO_COMMON_ITEMS = "the judge scored none of the items the humans rated"
_CONSTANT = "the judge's scores or the human consensus are constant, so a rank correlation is 0/0"
_REASONS = {
    "spearman": _CONSTANT,
    "kendall_tau_b": _CONSTANT,
    "quadratic_kappa": SINGLE_CATEGORY,
    "exact": NO_COMMON_ITEMS,
    "within_1": NO_COMMON_ITEMS,
    "bias": NO_COMMON_ITEMS,
    "alpha_with_judge": NO_VARIATION,
}


@dataclass(frozen=True)
class JudgeAgreement:
    """Judge-vs-humans estimates, their bootstrap intervals and the items they rest on."""

    n_items: int
    estimates: dict[str, Estimate]
    intervals: dict[str, Interval] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form: values, "ci" per metric, and "reasons" for undefined ones."""
        result: dict[str, object] = {"n_items": self.n_items}
        result.update({name: est.value for name, est in self.estimates.items()})
        result["ci"] = {name: interval.as_dict() for name, interval in self.intervals.items()}
        result["reasons"] = {
            name: est.reason for name, est in self.estimates.items() if est.reason is not None
        }
        return result


@dataclass(frozen=True)
class _Types:
    """Distinct item types (human value counts + judge value) and the maps statistics need."""

    multiplicity: IntArray
    paired: npt.NDArray[np.bool_]  # judge score and at least one human rating
    judge_value: FloatArray
    consensus: FloatArray
    rank_cells: sparse.csr_matrix  # types x (judge index, consensus index)
    rank_shape: tuple[int, int]
    kappa_cells: sparse.csr_matrix  # types x (judge index, rounded consensus index)
    exact: FloatArray
    within_1: FloatArray
    coincidences_t: sparse.csr_matrix  # (V*V) x types, judge counted as a rater


def _one_hot(rows: IntArray, columns: IntArray, n_rows: int, n_columns: int) -> sparse.csr_matrix:
    """Return an n_rows x n_columns 0/1 matrix with ones at (rows, columns)."""
    from scipy import sparse  # loaded by a computation, not by the pages that import this

    data = np.ones(rows.size)
    return sparse.csr_matrix((data, (rows, columns)), shape=(n_rows, n_columns))


def _types(human_counts: IntArray, judge_index: IntArray, values: FloatArray) -> _Types:
    """Collapse items into types and precompute each type's contribution to every metric."""
    features = np.column_stack((human_counts, judge_index + 1))
    rows, multiplicity, _ = collapse_rows(features)
    counts, judge = rows[:, :-1], rows[:, -1] - 1
    per_type = counts.sum(axis=1)
    paired = (judge >= 0) & (per_type >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        consensus = np.where(per_type > 0, (counts @ values) / per_type, np.nan)
    ids = np.flatnonzero(paired)
    judge_value = np.where(judge >= 0, values[np.maximum(judge, 0)], np.nan)
    levels = distinct_values(consensus[ids])
    consensus_index = np.searchsorted(levels, consensus[ids])
    n_values, n_types = values.size, rows.shape[0]
    rank_cells = _one_hot(
        ids, judge[ids] * levels.size + consensus_index, n_types, n_values * max(levels.size, 1)
    )
    rounded = nearest_value_index(consensus[ids], values)
    kappa_cells = _one_hot(ids, judge[ids] * n_values + rounded, n_types, n_values * n_values)
    exact = np.zeros(n_types)
    exact[ids] = judge[ids] == rounded
    within = np.zeros(n_types)
    within[ids] = np.abs(values[judge[ids]] - values[rounded]) <= 1.0 + 1e-9
    with_judge = counts.copy()
    has_judge = np.flatnonzero(judge >= 0)
    with_judge[has_judge, judge[has_judge]] += 1
    return _Types(
        multiplicity,
        paired,
        judge_value,
        consensus,
        rank_cells,
        (n_values, max(levels.size, 1)),
        kappa_cells,
        exact,
        within,
        coincidence_rows(with_judge).T.tocsr(),
    )


def _statistics(weights: FloatArray, types: _Types, values: FloatArray) -> dict[str, FloatArray]:
    """Return every judge metric for each row of weights (draws x types); NaN if undefined."""
    paired_weights = weights * types.paired
    n = paired_weights.sum(axis=1)
    ranks = np.asarray(types.rank_cells.T @ weights.T).T.reshape(-1, *types.rank_shape)
    kappa_tables = np.asarray(types.kappa_cells.T @ weights.T).T.reshape(
        -1, values.size, values.size
    )
    quadratic = agreement_weights(values, "quadratic")
    difference = np.nan_to_num(types.judge_value - types.consensus)
    o = np.asarray(types.coincidences_t @ weights.T).T.reshape(-1, values.size, values.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        stats = {
            "spearman": spearman_from_table(ranks),
            "kendall_tau_b": kendall_tau_b_from_table(ranks),
            "quadratic_kappa": (
                weighted_kappa(kappa_tables, quadratic)
                if quadratic is not None
                else np.full(n.size, np.nan)
            ),
            "exact": (paired_weights @ types.exact) / n,
            "within_1": (paired_weights @ types.within_1) / n,
            "bias": (paired_weights @ difference) / n,
            "alpha_with_judge": alpha_from_coincidences(o, "ordinal", values),
        }
    return {name: np.where(n > 0, value, np.nan) for name, value in stats.items()}


def judge_agreement_counts(
    human_counts: IntArray,
    judge_index: IntArray,
    values: FloatArray,
    *,
    draws: int = 1000,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> JudgeAgreement:
    """Return judge metrics from items x values human counts and the judge's value index.

    judge_index is -1 for items the judge did not score; values is the sorted scale.
    """
    if human_counts.shape[0] == 0:
        empty = dict.fromkeys(JUDGE_METRICS, Estimate.undefined(NO_COMMON_ITEMS))
        return JudgeAgreement(0, empty, {})
    types = _types(human_counts, judge_index, values)
    n_items = int(types.multiplicity[types.paired].sum())
    point = _statistics(types.multiplicity[None, :].astype(np.float64), types, values)
    estimates = {
        name: (
            Estimate.of(float(point[name][0]), _REASONS[name])
            if n_items
            else Estimate.undefined(NO_COMMON_ITEMS)
        )
        for name in JUDGE_METRICS
    }
    samples: dict[str, list[FloatArray]] = {name: [] for name in JUDGE_METRICS}
    for weights in resampled_multiplicities(types.multiplicity, draws, rng, block=100):
        for name, value in _statistics(weights, types, values).items():
            samples[name].append(value)
    intervals = {
        name: percentile_interval(
            np.concatenate(samples[name]) if samples[name] else np.empty(0),
            confidence,
            draws,
            estimates[name].reason or "no bootstrap draw was defined",
        )
        for name in JUDGE_METRICS
    }
    return JudgeAgreement(n_items, estimates, intervals)


def judge_agreement(
    judge_scores: npt.ArrayLike,
    human_ratings: npt.ArrayLike,
    *,
    scale: Sequence[float] | None = None,
    draws: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> JudgeAgreement:
    """Return the judge-vs-humans metrics with bootstrap intervals.

    judge_scores has one score per item (NaN where the judge did not score it);
    human_ratings is reviewers x items with NaN for missing, the layout of
    krippendorff_alpha. The scale defaults to the values observed in either.
    """
    judge = np.asarray(judge_scores, dtype=np.float64)
    humans = np.asarray(human_ratings, dtype=np.float64)
    if humans.ndim != 2 or humans.shape[1] != judge.size:
        raise ValueError("human_ratings must be reviewers x items with one judge score per item")
    observed = np.concatenate((judge[np.isfinite(judge)], humans[np.isfinite(humans)]))
    values = np.sort(np.asarray(scale, dtype=np.float64)) if scale else distinct_values(observed)
    counts = matrix_value_counts(humans, values)
    judge_index = np.full(judge.size, -1, dtype=np.int64)
    scored = np.isfinite(judge)
    judge_index[scored] = value_indices(judge[scored], values)
    return judge_agreement_counts(
        counts,
        judge_index,
        values,
        draws=draws,
        rng=np.random.default_rng(seed),
        confidence=confidence,
    )
