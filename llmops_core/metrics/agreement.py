"""Agreement statistics on a reviewers x items matrix (NaN missing), the krippendorff layout."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.bootstrap import Interval
from llmops_core.metrics.coding import (
    FloatArray,
    IntArray,
    distinct_values,
    matrix_to_long,
    matrix_value_counts,
    value_indices,
)
from llmops_core.metrics.estimate import Estimate, no_pairs_reason
from llmops_core.metrics.icc import ICC_FORMS, icc_block, icc_forms
from llmops_core.metrics.kappa import (
    WeightKind,
    agreement_weights,
    fleiss_kappa,
    gwet_ac,
    modal_count,
    percent_agreement,
    weighted_kappa,
)
from llmops_core.metrics.krippendorff import LEVELS, Level, alpha_bootstrap, alpha_estimate

# These are the entry points for one matrix of ratings. The report builder (report.py) runs
# the same computations on long-format ratings for every criterion at once.


def _is_missing(value: object) -> bool:
    """Return whether a cell of a non-numeric matrix is missing (None, NaN or "nan")."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in {"", "nan"}


def _categorical_counts(
    data: npt.ArrayLike, value_domain: Sequence[object] | None
) -> tuple[IntArray, FloatArray]:
    """Return item x category counts of a matrix of labels; categories are numbered 0..V-1."""
    cells = np.asarray(data, dtype=object)
    if cells.ndim != 2:
        raise ValueError(f"expected a 2-D raters x items array, got {cells.ndim} dimension(s)")
    present = [(r, u, v) for (r, u), v in np.ndenumerate(cells) if not _is_missing(v)]
    domain = list(value_domain) if value_domain is not None else sorted({v for _, _, v in present})
    position = {label: i for i, label in enumerate(domain)}
    counts = np.zeros((cells.shape[1], len(domain)), dtype=np.int64)
    for _, unit, label in present:
        if label not in position:
            raise ValueError(f"{label!r} is not in the value domain")
        counts[unit, position[label]] += 1
    return counts, np.arange(len(domain), dtype=np.float64)


def _counts(
    data: npt.ArrayLike, level: Level, value_domain: Sequence[object] | None
) -> tuple[IntArray, FloatArray, int]:
    """Return (items x values counts, values in domain order, number of raters)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        if level in ("interval", "ratio"):
            raise ValueError(f"{level} alpha needs numeric ratings") from None
        if level == "ordinal" and value_domain is None:
            raise ValueError("ordinal alpha on labels needs an ordered value_domain") from None
        counts, values = _categorical_counts(data, value_domain)
        return counts, values, np.asarray(data, dtype=object).shape[0]
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D raters x items array, got {array.ndim} dimension(s)")
    if value_domain is None:
        values = distinct_values(array[np.isfinite(array)])
    else:
        values = np.asarray(value_domain, dtype=np.float64)
    return matrix_value_counts(array, values), values, array.shape[0]


def krippendorff_alpha_estimate(
    data: npt.ArrayLike, level: Level, value_domain: Sequence[object] | None = None
) -> Estimate:
    """Return Krippendorff's alpha with the reason when it is undefined.

    data is reviewers x items with NaN for missing ratings; items rated by fewer than two
    reviewers drop out. value_domain, when given, lists the possible values in order
    (ordinal ranks follow it) and every rating must be in it; unobserved values change
    nothing, as in the krippendorff package.
    """
    counts, values, n_raters = _counts(data, level, value_domain)
    return alpha_estimate(counts, level, values, n_raters)


def krippendorff_alpha(
    data: npt.ArrayLike, level: Level, value_domain: Sequence[object] | None = None
) -> float | None:
    """Return Krippendorff's alpha of reviewers x items data, or None when it is undefined."""
    return krippendorff_alpha_estimate(data, level, value_domain).value


def krippendorff_alpha_interval(
    data: npt.ArrayLike,
    level: Level,
    value_domain: Sequence[object] | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Interval:
    """Return a percentile bootstrap interval for alpha, resampling items (seeded)."""
    counts, values, _ = _counts(data, level, value_domain)
    rng = np.random.default_rng(seed)
    intervals = alpha_bootstrap(
        counts, values, levels=(level,), draws=draws, rng=rng, confidence=confidence
    )
    return intervals[level]


def _numeric(
    data: npt.ArrayLike, scale: Sequence[float] | None
) -> tuple[IntArray, FloatArray, int]:
    """Return (items x values counts, sorted scale values, number of raters) of numeric data."""
    array = np.asarray(data, dtype=np.float64)
    observed = array[np.isfinite(array)]
    values = np.sort(np.asarray(scale, dtype=np.float64)) if scale else distinct_values(observed)
    return matrix_value_counts(array, values), values, array.shape[0]


def fleiss_kappa_estimate(data: npt.ArrayLike) -> Estimate:
    """Return Fleiss' kappa over the items rated by the most common number of reviewers."""
    counts, _, n_raters = _numeric(data, None)
    k = modal_count(counts.sum(axis=1))
    if k is None:
        return Estimate.undefined(no_pairs_reason(n_raters))
    return fleiss_kappa(counts[counts.sum(axis=1) == k])


def cohen_kappa_estimate(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    weights: WeightKind = "none",
    scale: Sequence[float] | None = None,
) -> Estimate:
    """Return Cohen's kappa of two reviewers' scores over the items both rated (NaN missing)."""
    _, values, _ = _numeric(np.vstack([a, b]), scale)
    first, second = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    both = np.isfinite(first) & np.isfinite(second)
    if not np.any(both):
        return Estimate.undefined("the two reviewers rated no item in common")
    table = np.zeros((values.size, values.size))
    np.add.at(table, (value_indices(first[both], values), value_indices(second[both], values)), 1)
    matrix = agreement_weights(values, weights)
    if matrix is None:
        return Estimate.undefined("the scale has a single value, so weighted kappa is undefined")
    kappa = weighted_kappa(table, matrix)
    return Estimate.of(float(kappa), "both reviewers used one and the same category")


def gwet_ac_estimate(
    data: npt.ArrayLike, *, weights: WeightKind = "none", scale: Sequence[float] | None = None
) -> Estimate:
    """Return Gwet's AC1 (weights="none") or AC2 (linear/quadratic) of reviewers x items data."""
    counts, values, n_raters = _numeric(data, scale)
    return gwet_ac(counts, agreement_weights(values, weights), n_raters)


def percent_agreement_estimate(
    data: npt.ArrayLike, *, within: float = 1.0
) -> tuple[Estimate, Estimate]:
    """Return (exact, within-`within`) pairwise percent agreement of reviewers x items data."""
    counts, values, n_raters = _numeric(data, None)
    return percent_agreement(counts, values, n_raters, within)


def icc_estimates(data: npt.ArrayLike) -> dict[str, Estimate]:
    """Return the six Shrout & Fleiss ICCs of reviewers x items data (see icc.icc_block)."""
    array = np.asarray(data, dtype=np.float64)
    unit, rater, score = matrix_to_long(array)
    block = icc_block(unit, rater, score, array.shape[1], array.shape[0])
    if isinstance(block, str):
        return dict.fromkeys(ICC_FORMS, Estimate.undefined(block))
    return icc_forms(block.matrix)
