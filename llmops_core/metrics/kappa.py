"""Kappa-family coefficients: Fleiss' kappa, Cohen's kappa per pair, Gwet's AC1/AC2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray
from llmops_core.metrics.estimate import Estimate, no_pairs_reason

WeightKind = Literal["none", "linear", "quadratic"]
WEIGHT_KINDS: tuple[WeightKind, ...] = ("none", "linear", "quadratic")

# 1 - p_e below this is chance agreement of 1 up to rounding: the coefficient is 0/0.
_CERTAIN = 1e-12
SINGLE_CATEGORY = (
    "every rating falls in one category, so chance agreement is 1 and the coefficient is 0/0"
)
SINGLE_VALUE_SCALE = "the scale has a single value, so weighted agreement is undefined"


def agreement_weights(values: FloatArray, kind: WeightKind) -> FloatArray | None:
    """Return the values x values agreement weights on the scale, or None if undefined.

    Weights use the score values, not their positions: on a declared scale 1,2,3,4,6 the
    step from 4 to 6 counts twice. This is Gwet's (2014) and irrCAC's convention; on an
    evenly spaced scale it equals the position-based weights of scikit-learn.
    """
    if kind == "none":
        return np.eye(values.size)
    span = float(values.max() - values.min()) if values.size else 0.0
    if span == 0.0:
        return None
    distance = np.abs(values[:, None] - values[None, :]) / span
    return 1.0 - (distance if kind == "linear" else distance**2)


def weighted_kappa(tables: FloatArray, weights: FloatArray) -> FloatArray:
    """Return Cohen's (weighted) kappa of each V x V table in tables; NaN where undefined."""
    n = tables.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = tables / n[..., None, None]
        row, col = p.sum(axis=-1), p.sum(axis=-2)
        observed = (p * weights).sum(axis=(-2, -1))
        chance = np.einsum("...i,...j,ij->...", row, col, weights)
        kappa = (observed - chance) / (1.0 - chance)
    return np.where((n > 0) & (1.0 - chance > _CERTAIN), kappa, np.nan)


def modal_count(per_unit: IntArray) -> int | None:
    """Return the most common number of ratings among units with two or more (ties: larger)."""
    frequency = np.bincount(per_unit[per_unit >= 2])
    if frequency.size == 0 or frequency.max() == 0:
        return None
    return int(frequency.size - 1 - np.argmax(frequency[::-1]))


def fleiss_kappa(counts: IntArray) -> Estimate:
    """Return Fleiss' (1971) kappa of a units x categories table with equal raters per unit."""
    per_unit = counts.sum(axis=1)
    if counts.shape[0] == 0 or per_unit[0] < 2:
        return Estimate.undefined("no item has ratings from two reviewers")
    if np.any(per_unit != per_unit[0]):
        raise ValueError("Fleiss' kappa needs the same number of ratings on every item")
    m = float(per_unit[0])
    c = counts.astype(np.float64)
    p_item = ((c * c).sum(axis=1) - m) / (m * (m - 1.0))
    p_category = c.sum(axis=0) / (c.shape[0] * m)
    chance = float((p_category**2).sum())
    if 1.0 - chance <= _CERTAIN:
        return Estimate.undefined(SINGLE_CATEGORY)
    return Estimate.of((float(p_item.mean()) - chance) / (1.0 - chance), SINGLE_CATEGORY)


def gwet_ac(counts: IntArray, weights: FloatArray | None, n_raters: int) -> Estimate:
    """Return Gwet's AC1 (identity weights) or AC2 for a units x categories table.

    Follows Gwet (2014, Handbook of Inter-Rater Reliability, 4th ed., ch. 4) for any number
    of raters with missing ratings: p_a averages over units rated at least twice, the
    category propensities pi_k over every rated unit, and p_e = T_w / (q (q - 1)) *
    sum pi_k (1 - pi_k) where q is the number of categories on the scale.
    """
    per_unit = counts.sum(axis=1)
    rated = per_unit >= 1
    pairable = per_unit >= 2
    if not np.any(pairable):
        return Estimate.undefined(no_pairs_reason(n_raters))
    if weights is None:
        return Estimate.undefined(SINGLE_VALUE_SCALE)
    q = counts.shape[1]
    if q < 2:
        return Estimate.undefined(
            "the scale has a single category; AC1/AC2 need at least two (declare the scale)"
        )
    c = counts[pairable].astype(np.float64)
    r = per_unit[pairable].astype(np.float64)
    weighted = c @ weights.T
    p_a = float(((c * (weighted - 1.0)).sum(axis=1) / (r * (r - 1.0))).mean())
    pi = (counts[rated] / per_unit[rated][:, None]).mean(axis=0)
    p_e = float(weights.sum() * (pi * (1.0 - pi)).sum() / (q * (q - 1.0)))
    if 1.0 - p_e <= _CERTAIN:
        return Estimate.undefined("chance agreement is 1 under these weights")
    return Estimate.of((p_a - p_e) / (1.0 - p_e), "chance agreement is 1 under these weights")


def percent_agreement(
    counts: IntArray, values: FloatArray, n_raters: int, within: float = 1.0
) -> tuple[Estimate, Estimate]:
    """Return (exact, within) agreement: the share of agreeing rating pairs, averaged over items.

    Each item rated by m reviewers holds m (m - 1) ordered pairs; an item's agreement is
    the share of them that match exactly (or differ by at most `within` score units), and
    the statistic is the mean over items rated at least twice (Fleiss' P-bar for exact).
    """
    per_unit = counts.sum(axis=1)
    pairable = per_unit >= 2
    if not np.any(pairable):
        reason = no_pairs_reason(n_raters)
        return Estimate.undefined(reason), Estimate.undefined(reason)
    c = counts[pairable].astype(np.float64)
    r = per_unit[pairable].astype(np.float64)
    pairs = r * (r - 1.0)
    exact = ((c * (c - 1.0)).sum(axis=1) / pairs).mean()
    near = (np.abs(values[:, None] - values[None, :]) <= within + 1e-9).astype(np.float64)
    close = (((c @ near) * c).sum(axis=1) - r) / pairs
    return Estimate(float(exact)), Estimate(float(close.mean()))


@dataclass(frozen=True)
class PairTables:
    """Confusion tables of every pair of raters who rated at least one item in common."""

    rater_a: IntArray
    rater_b: IntArray
    tables: FloatArray  # pairs x values x values: rows rater_a's value, columns rater_b's

    @property
    def n(self) -> IntArray:
        """Return the number of items each pair rated in common."""
        return self.tables.sum(axis=(1, 2)).astype(np.int64)


def pairwise_tables(unit: IntArray, rater: IntArray, vidx: IntArray, n_values: int) -> PairTables:
    """Return the confusion table of each rater pair over the items both rated.

    Every within-item pair of ratings is enumerated once (lower rater id first), so the
    cost follows the number of overlapping ratings, not raters squared times items.
    """
    order = np.lexsort((rater, unit))
    u, r, v = unit[order], rater[order], vidx[order]
    n = u.size
    is_start = np.ones(n, dtype=bool)
    is_start[1:] = u[1:] != u[:-1]
    starts = np.flatnonzero(is_start)
    sizes = np.diff(np.append(starts, n))
    position = np.arange(n) - np.repeat(starts, sizes)
    partners = np.repeat(sizes, sizes) - 1 - position
    left = np.repeat(np.arange(n), partners)
    offset = np.arange(left.size) - np.repeat(np.cumsum(partners) - partners, partners)
    right = left + 1 + offset
    n_raters = int(rater.max()) + 1 if rater.size else 0
    keys, pair = np.unique(r[left] * n_raters + r[right], return_inverse=True)
    cells = n_values * n_values
    flat = np.bincount(
        pair.ravel() * cells + v[left] * n_values + v[right], minlength=keys.size * cells
    )
    tables = flat.reshape(keys.size, n_values, n_values).astype(np.float64)
    return PairTables(keys // max(n_raters, 1), keys % max(n_raters, 1), tables)
