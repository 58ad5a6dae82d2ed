"""Krippendorff's alpha from per-unit value counts, batched over bootstrap draws."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from llmops_core.metrics.bootstrap import Interval, percentile_interval, resampled_multiplicities
from llmops_core.metrics.coding import FloatArray, IntArray, collapse_rows
from llmops_core.metrics.estimate import NO_VARIATION, Estimate, no_pairs_reason

if TYPE_CHECKING:
    from scipy import sparse

# Alpha is 1 - D_o / D_e, where D_o sums the coincidence matrix o (pairs of values within a
# unit, each unit weighted 1 / (m_u - 1)) against a distance metric and D_e does the same
# for the pairs expected by chance from the pooled value frequencies n_v = o.sum(axis=0)
# (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"). Everything below is
# a function of o alone, so a bootstrap draw only needs the resampled o, and o is a
# weighted sum of per-unit-type coincidence rows: one sparse product per block of draws.

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


def coincidence_matrix(counts: IntArray) -> FloatArray:
    """Return the values x values coincidence matrix of a units x values count matrix."""
    per_unit = counts.sum(axis=1)
    weight = np.zeros(per_unit.size)
    pairable = per_unit >= 2
    weight[pairable] = 1.0 / (per_unit[pairable] - 1.0)  # units rated once add nothing
    c = counts.astype(np.float64)
    scaled = c * weight[:, None]
    o = scaled.T @ c
    o[np.diag_indices_from(o)] -= scaled.sum(axis=0)
    return o


def coincidence_rows(types: IntArray) -> sparse.csr_matrix:
    """Return one flattened coincidence matrix per row of types (units x values counts).

    Only the non-zero counts of a row pair up, so the rows are built from pairs of
    non-zeros: a unit rated by m reviewers contributes at most m * m cells.
    """
    n_types, n_values = types.shape
    per_unit = types.sum(axis=1).astype(np.float64)
    row, col = np.nonzero(types)
    count = types[row, col].astype(np.float64)
    per_row = np.bincount(row, minlength=n_types)
    row_start = np.concatenate(([0], np.cumsum(per_row)[:-1]))
    partners = per_row[row]
    left = np.repeat(np.arange(row.size), partners)
    block_start = np.repeat(np.cumsum(partners) - partners, partners)
    right = row_start[row[left]] + (np.arange(left.size) - block_start)
    value = count[left] * count[right] - np.where(left == right, count[left], 0.0)
    denominator = per_unit[row[left]] - 1.0
    value = np.divide(value, denominator, out=np.zeros_like(value), where=denominator > 0)
    cells = col[left] * n_values + col[right]
    from scipy import sparse  # loaded by a computation, not by the pages that import this

    return sparse.csr_matrix((value, (row[left], cells)), shape=(n_types, n_values * n_values))


def distance_matrix(level: Level, values: FloatArray, n_v: FloatArray) -> FloatArray:
    """Return the squared distances between values: (V, V), or (B, V, V) for batched n_v.

    Only the ordinal metric depends on the pooled frequencies n_v: the distance between
    two ranks is the number of values observed between them.
    """
    if level == "nominal":
        return 1.0 - np.eye(values.size)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        total = values[:, None] + values[None, :]
        diff = values[:, None] - values[None, :]
        ratio = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0)
        return ratio**2
    if level == "ordinal":
        cumulative = np.cumsum(n_v, axis=-1)
        s_c, s_k = cumulative[..., :, None], cumulative[..., None, :]
        n_c, n_k = n_v[..., :, None], n_v[..., None, :]
        index = np.arange(values.size)
        upper = index[:, None] <= index[None, :]
        between = np.where(upper, s_k - s_c + n_c, s_c - s_k + n_k)
        return (between - (n_c + n_k) / 2.0) ** 2
    raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")


def alpha_from_coincidences(o: FloatArray, level: Level, values: FloatArray) -> FloatArray:
    """Return alpha for each coincidence matrix in o (shape (..., V, V)); NaN if undefined."""
    n_v = o.sum(axis=-1)
    n = n_v.sum(axis=-1)
    delta = distance_matrix(level, values, n_v)
    observed = (o * delta).sum(axis=(-2, -1))
    pooled_pairs = n_v[..., :, None] * n_v[..., None, :]
    expected = (pooled_pairs * delta).sum(axis=(-2, -1)) / np.maximum(n - 1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - observed / expected
    return np.where(expected > 0, alpha, np.nan)


def alpha_estimate(counts: IntArray, level: Level, values: FloatArray, n_raters: int) -> Estimate:
    """Return Krippendorff's alpha of a units x values count matrix, or why it is undefined."""
    if not np.any(counts.sum(axis=1) >= 2):
        return Estimate.undefined(no_pairs_reason(n_raters))
    alpha = alpha_from_coincidences(coincidence_matrix(counts), level, values)
    return Estimate.of(float(alpha), NO_VARIATION)


def alpha_bootstrap(
    counts: IntArray,
    values: FloatArray,
    *,
    levels: Sequence[Level] = LEVELS,
    draws: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> dict[Level, Interval]:
    """Return percentile bootstrap intervals of alpha, resampling the pairable units.

    Every draw is exactly the alpha of a resampled data set: its coincidence matrix is the
    multiplicity-weighted sum of per-unit contributions, and D_e is recomputed from that
    draw's own n_v rather than held fixed (Hayes & Krippendorff 2007 hold it fixed). We
    recompute because the ordinal metric itself depends on n_v, and because it costs only
    O(V^2) per draw once the per-unit contributions exist.
    """
    pairable = counts[counts.sum(axis=1) >= 2]
    samples = {level: np.empty(0) for level in levels}
    if pairable.shape[0] and draws > 0:
        types, multiplicity, _ = collapse_rows(pairable)
        rows_t = coincidence_rows(types).T.tocsr()
        n_values = values.size
        blocks: dict[Level, list[FloatArray]] = {level: [] for level in levels}
        for weights in resampled_multiplicities(multiplicity, draws, rng):
            o = np.asarray(rows_t @ weights.T).T.reshape(-1, n_values, n_values)
            for level in levels:
                blocks[level].append(alpha_from_coincidences(o, level, values))
        samples = {level: np.concatenate(blocks[level]) for level in levels}
    reason = "no bootstrap draw had a defined alpha"
    return {
        level: percentile_interval(samples[level], confidence, draws, reason) for level in levels
    }
