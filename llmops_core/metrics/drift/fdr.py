"""Benjamini-Hochberg control of the false discovery rate across a family of tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import FloatArray


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Return Benjamini-Hochberg adjusted p-values (q-values) along the last axis.

    A NaN p-value is a test that could not be computed: it stays NaN and does not count in
    the family size, so an undefined signal neither gets a q-value nor dilutes the others.
    Equal to statsmodels' ``multipletests(p, method="fdr_bh")[1]`` on the defined entries.
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim == 0:
        raise ValueError("expected a sequence of p-values")
    order = np.argsort(p, axis=-1)  # NaN sorts last
    ranked = np.take_along_axis(p, order, axis=-1)
    defined = np.isfinite(ranked)
    family = defined.sum(axis=-1, keepdims=True)
    rank = np.arange(1, p.shape[-1] + 1, dtype=np.float64)
    scaled = np.where(defined, ranked * family / rank, np.inf)
    # q_(i) = min over j >= i of p_(j) m / j: a running minimum from the largest p down.
    running = np.minimum.accumulate(scaled[..., ::-1], axis=-1)[..., ::-1]
    adjusted = np.where(defined, np.minimum(running, 1.0), np.nan)
    q = np.empty_like(adjusted)
    np.put_along_axis(q, order, adjusted, axis=-1)
    return q
