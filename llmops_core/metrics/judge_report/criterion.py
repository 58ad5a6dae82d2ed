"""Per-criterion judge-vs-human numbers beyond ``metrics.judge``: confusion, calibration,
alpha change and length bias, each from plain arrays (no database).
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any

import numpy as np

from llmops_core.metrics.bootstrap import percentile_interval, resampled_multiplicities
from llmops_core.metrics.coding import (
    IntArray,
    collapse_rows,
    matrix_value_counts,
    nearest_value_index,
    value_indices,
)
from llmops_core.metrics.estimate import NO_VARIATION, Estimate
from llmops_core.metrics.judge_report.types import FloatArray
from llmops_core.metrics.kappa import agreement_weights, weighted_kappa
from llmops_core.metrics.krippendorff import (
    alpha_estimate,
    alpha_from_coincidences,
    coincidence_rows,
)

LENGTH_DRAWS = 200
CONSTANT = "the scores or the lengths do not vary, so a rank correlation is 0/0"
TOO_FEW = "fewer than three items have both a judge score and a human rating"


def criterion_seed(seed: int, name: str) -> int:
    """Return the bootstrap seed of one criterion: the report's seed and the name alone."""
    return (seed * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % 2**32


def consensus(human: FloatArray) -> FloatArray:
    """Return each item's mean human score (NaN for items nobody rated)."""
    rated = np.isfinite(human)
    count = rated.sum(axis=0)
    total = np.where(rated, human, 0.0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def paired_mask(judge: FloatArray, mean: FloatArray) -> np.ndarray:
    """Return which items have both a judge score and a human consensus."""
    return np.isfinite(judge) & np.isfinite(mean)


def confusion(judge: FloatArray, mean: FloatArray, values: FloatArray) -> dict[str, Any]:
    """Return the counts of judge score (rows) by rounded human consensus (columns)."""
    paired = paired_mask(judge, mean)
    counts = np.zeros((values.size, values.size), dtype=np.int64)
    if paired.any():
        rows = value_indices(judge[paired], values)
        columns = nearest_value_index(mean[paired], values)
        np.add.at(counts, (rows, columns), 1)
    return {
        "levels": [int(v) for v in values],
        "rows": "judge score",
        "columns": "human consensus, rounded (half up)",
        "counts": counts.tolist(),
        "n": int(paired.sum()),
    }


def calibration(judge: FloatArray, mean: FloatArray, values: FloatArray) -> list[dict[str, Any]]:
    """Return, per judge score, how many items got it and the humans' mean score on them."""
    paired = paired_mask(judge, mean)
    rows = []
    for value in values:
        chosen = paired & (judge == value)
        n = int(chosen.sum())
        rows.append(
            {
                "judge_score": int(value),
                "n": n,
                "human_mean": float(mean[chosen].mean()) if n else None,
                "human_sd": float(mean[chosen].std(ddof=1)) if n > 1 else None,
            }
        )
    return rows


def _estimate_dict(estimate: Estimate) -> dict[str, Any]:
    return {"value": estimate.value, "reason": estimate.reason}


def _alpha_samples(
    counts: IntArray, judge_index: IntArray, values: FloatArray, *, draws: int, seed: int
) -> dict[str, list[FloatArray]]:
    """Return bootstrap draws of alpha without and with the judge, and of their change."""
    samples: dict[str, list[FloatArray]] = {"humans": [], "with_judge": [], "change": []}
    if not counts.shape[0] or draws <= 0:
        return samples
    types, multiplicity, _ = collapse_rows(np.column_stack((counts, judge_index + 1)))
    type_counts, type_judge = types[:, :-1], types[:, -1] - 1
    type_with = type_counts.copy()
    has = np.flatnonzero(type_judge >= 0)
    type_with[has, type_judge[has]] += 1
    rows_h = coincidence_rows(type_counts).T.tocsr()
    rows_j = coincidence_rows(type_with).T.tocsr()
    size = values.size
    rng = np.random.default_rng(seed)
    for weights in resampled_multiplicities(multiplicity, draws, rng, block=100):
        a_h = alpha_from_coincidences(
            np.asarray(rows_h @ weights.T).T.reshape(-1, size, size), "ordinal", values
        )
        a_j = alpha_from_coincidences(
            np.asarray(rows_j @ weights.T).T.reshape(-1, size, size), "ordinal", values
        )
        samples["humans"].append(a_h)
        samples["with_judge"].append(a_j)
        samples["change"].append(a_j - a_h)
    return samples


def alpha_change(
    human: FloatArray,
    judge: FloatArray,
    values: FloatArray,
    *,
    draws: int,
    seed: int,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Return ordinal alpha of the humans, with the judge as one more rater, and the change.

    The interval of the change comes from one bootstrap over items that recomputes both
    alphas on every resample, so it accounts for their correlation.
    """
    counts = matrix_value_counts(human, values)
    judge_index = np.full(judge.size, -1, dtype=np.int64)
    scored = np.isfinite(judge)
    judge_index[scored] = value_indices(judge[scored], values)
    with_judge = counts.copy()
    with_judge[np.flatnonzero(scored), judge_index[scored]] += 1
    n_humans = human.shape[0]
    humans = alpha_estimate(counts, "ordinal", values, n_humans)
    joined = alpha_estimate(with_judge, "ordinal", values, n_humans + 1)
    change = (
        Estimate.of(joined.value - humans.value, NO_VARIATION)
        if humans.defined
        and joined.defined
        and humans.value is not None
        and joined.value is not None
        else Estimate.undefined(humans.reason or joined.reason or NO_VARIATION)
    )
    samples = _alpha_samples(counts, judge_index, values, draws=draws, seed=seed)
    result: dict[str, Any] = {}
    for name, estimate in (("humans", humans), ("with_judge", joined), ("change", change)):
        drawn = np.concatenate(samples[name]) if samples[name] else np.empty(0)
        interval = percentile_interval(
            drawn, confidence, draws, estimate.reason or "no bootstrap draw was defined"
        )
        result[name] = {**_estimate_dict(estimate), "ci": interval.as_dict()}
    result["n_items_humans"] = int((counts.sum(axis=1) >= 2).sum())
    result["n_items_with_judge"] = int((with_judge.sum(axis=1) >= 2).sum())
    return result


def _spearman(x: FloatArray, y: FloatArray) -> float:
    """Return Spearman's rho, NaN when either side is constant."""
    if x.size < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from scipy import stats  # imported where used: web processes never load scipy

        return float(stats.spearmanr(x, y).statistic)


def length_bias(
    judge: FloatArray,
    mean: FloatArray,
    words: FloatArray,
    *,
    seed: int,
    draws: int = LENGTH_DRAWS,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Return Spearman's rho of output length with the judge's and the humans' scores.

    Both are computed on the same items (judged and rated), with a bootstrap interval of
    each and of their difference (judge minus humans): a positive difference means the
    judge rewards length more than the humans do.
    """
    paired = paired_mask(judge, mean)
    j, h, w = judge[paired], mean[paired], words[paired]
    n = int(paired.sum())
    point = {"judge": _spearman(j, w), "humans": _spearman(h, w)}
    point["difference"] = point["judge"] - point["humans"]
    rng = np.random.default_rng(seed)
    drawn: dict[str, list[float]] = {name: [] for name in point}
    for _ in range(draws if n >= 3 else 0):
        pick = rng.integers(0, n, n)
        rj, rh = _spearman(j[pick], w[pick]), _spearman(h[pick], w[pick])
        drawn["judge"].append(rj)
        drawn["humans"].append(rh)
        drawn["difference"].append(rj - rh)
    reason = TOO_FEW if n < 3 else CONSTANT
    result: dict[str, Any] = {"n_items": n}
    for name, value in point.items():
        interval = percentile_interval(np.asarray(drawn[name]), confidence, draws, reason)
        result[name] = {
            "value": value if np.isfinite(value) else None,
            "reason": None if np.isfinite(value) else reason,
            "ci": interval.as_dict(),
        }
    return result


def kappa_change(
    before: FloatArray,
    after: FloatArray,
    mean: FloatArray,
    values: FloatArray,
    *,
    draws: int,
    seed: int,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Return the change in quadratic kappa from one judge version to the next, paired.

    Both versions are compared with the same human consensus on the items both scored; the
    interval resamples those items once per draw for both versions, so it is the interval of
    the difference itself (like comparing two app prompt versions on the same inputs).
    """
    weights = agreement_weights(values, "quadratic")
    both = np.isfinite(before) & np.isfinite(after) & np.isfinite(mean)
    n = int(both.sum())
    if weights is None or n == 0:
        return {"n_items": n, "value": None, "ci": None, "significant": None}
    size = values.size
    rounded = nearest_value_index(mean[both], values)
    cells = [value_indices(judge[both], values) * size + rounded for judge in (before, after)]
    one_hot = [np.eye(size * size)[c] for c in cells]  # items x V*V

    def kappas(counts: FloatArray) -> tuple[FloatArray, FloatArray]:
        tables = [(counts @ hot).reshape(-1, size, size) for hot in one_hot]
        with np.errstate(divide="ignore", invalid="ignore"):
            return weighted_kappa(tables[0], weights), weighted_kappa(tables[1], weights)

    k_before, k_after = kappas(np.ones((1, n)))
    point = float(k_after[0] - k_before[0])
    drawn: list[FloatArray] = []
    rng = np.random.default_rng(seed)
    for counts in resampled_multiplicities(np.ones(n, dtype=np.int64), draws, rng, block=50):
        b, a = kappas(counts)
        drawn.append(a - b)
    samples = np.concatenate(drawn) if drawn else np.empty(0)
    interval = percentile_interval(samples, confidence, draws, "no draw had both kappas defined")
    significant = (
        interval.low is not None
        and interval.high is not None
        and (interval.low > 0 or interval.high < 0)
    )
    return {
        "n_items": n,
        "value": point if np.isfinite(point) else None,
        "ci": interval.as_dict(),
        "significant": bool(significant),
    }
