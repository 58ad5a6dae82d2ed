"""Rank correlations of contingency tables, batched over bootstrap draws."""

from __future__ import annotations

import numpy as np

from llmops_core.metrics.coding import FloatArray

# Scores on a rating scale take few values, so a sample of (x, y) pairs is fully described by
# its table of counts over (distinct x, distinct y). Spearman's rho and Kendall's tau-b are
# functions of that table (ties get mid-ranks), which turns a bootstrap draw into a few
# array operations instead of a sort of the whole sample.


def _suffix_sum(array: FloatArray, axis: int) -> FloatArray:
    """Return the cumulative sum from the end along axis (element included)."""
    return np.flip(np.cumsum(np.flip(array, axis), axis), axis)


def spearman_from_table(tables: FloatArray) -> FloatArray:
    """Return Spearman's rho of each (..., X, Y) count table, rows and columns in value order.

    Equals scipy.stats.spearmanr on the expanded pairs: Pearson's r of the mid-ranks.
    NaN where either variable is constant.
    """
    rows, cols = tables.sum(axis=-1), tables.sum(axis=-2)
    n = rows.sum(axis=-1)
    centre = ((n + 1.0) / 2.0)[..., None]
    rank_x = np.cumsum(rows, axis=-1) - (rows - 1.0) / 2.0 - centre
    rank_y = np.cumsum(cols, axis=-1) - (cols - 1.0) / 2.0 - centre
    covariance = np.einsum("...xy,...x,...y->...", tables, rank_x, rank_y)
    var_x = (rows * rank_x**2).sum(axis=-1)
    var_y = (cols * rank_y**2).sum(axis=-1)
    scale = np.sqrt(var_x * var_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = covariance / scale
    return np.where((var_x > 1e-9) & (var_y > 1e-9), np.clip(rho, -1.0, 1.0), np.nan)


def kendall_tau_b_from_table(tables: FloatArray) -> FloatArray:
    """Return Kendall's tau-b of each (..., X, Y) count table; NaN where a variable is constant.

    Concordant pairs pair each cell with the cells strictly below and to the right,
    discordant ones with those strictly below and to the left; tau-b divides P - Q by
    sqrt((n0 - n1)(n0 - n2)) with n1, n2 the tied pairs (scipy.stats.kendalltau, variant b).
    """
    x_size, y_size = tables.shape[-2], tables.shape[-1]
    batch = tables.shape[:-2]
    below_right = np.zeros((*batch, x_size + 1, y_size + 1))
    below_right[..., :x_size, :y_size] = _suffix_sum(_suffix_sum(tables, -2), -1)
    below_left = np.zeros((*batch, x_size + 1, y_size + 1))
    below_left[..., :x_size, 1:] = np.cumsum(_suffix_sum(tables, -2), axis=-1)
    concordant = (tables * below_right[..., 1:, 1:]).sum(axis=(-2, -1))
    discordant = (tables * below_left[..., 1:, :y_size]).sum(axis=(-2, -1))
    rows, cols = tables.sum(axis=-1), tables.sum(axis=-2)
    n = rows.sum(axis=-1)
    n0 = n * (n - 1.0) / 2.0
    untied_x = n0 - (rows * (rows - 1.0) / 2.0).sum(axis=-1)
    untied_y = n0 - (cols * (cols - 1.0) / 2.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = (concordant - discordant) / np.sqrt(untied_x * untied_y)
    return np.where((untied_x > 0) & (untied_y > 0), np.clip(tau, -1.0, 1.0), np.nan)
