"""Has a judge's agreement with humans fallen? Two windows of ratings, a test per criterion.

The agreement is Spearman's rho between the judge's score and the human consensus (the mean
of the item's ratings), as ``metrics.judge`` computes it, once on earlier ratings and once on
recent ones. The two windows hold different items, so the correlations are independent, and
the drop is tested with Fisher's z: z = (atanh(r_earlier) - atanh(r_recent)) / se with
se^2 = (1 + r_earlier^2 / 2) / (n_earlier - 3) + (1 + r_recent^2 / 2) / (n_recent - 3), the
variance Bonett and Wright (2000) give for Spearman's rho. (Fieller, Hartley and Pearson's
1.06 / (n - 3) let 5.7% of 4,000 simulated no-change pairs through at rho = 0.6; this one
4.3% to 5.2% for rho from 0.3 to 0.8 and 30 to 120 items.) The test is one-sided (only a
fall matters), the p-values of a judge's criteria are adjusted with Benjamini-Hochberg, and a
criterion is flagged when q < 0.05 and rho fell by at least ``MIN_DROP``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from llmops_core.metrics.drift.fdr import benjamini_hochberg

MIN_ITEMS: Final = 10  # per window: below this a correlation's z is mostly noise
MIN_DROP: Final = 0.1  # rho must fall at least this much to flag the judge
ALPHA: Final = 0.05


@dataclass(frozen=True)
class Drop:
    """One criterion's agreement before and now, and whether it fell beyond chance."""

    criterion: str
    earlier: float | None
    recent: float | None
    n_earlier: int
    n_recent: int
    z: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    fell: bool | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def spearman_drop_test(
    earlier: float, n_earlier: int, recent: float, n_recent: int
) -> tuple[float, float]:
    """Return Fisher's z for rho falling from ``earlier`` to ``recent``, and its one-sided p."""
    from scipy import stats  # loaded by a computation, not by the pages that import this

    se = math.sqrt((1 + earlier**2 / 2) / (n_earlier - 3) + (1 + recent**2 / 2) / (n_recent - 3))
    z = (math.atanh(earlier) - math.atanh(recent)) / se
    return z, float(stats.norm.sf(z))


def _undefined_reason(drop: Drop) -> str | None:
    for window, rho, n in (
        ("earlier", drop.earlier, drop.n_earlier),
        ("recent", drop.recent, drop.n_recent),
    ):
        if n < MIN_ITEMS:
            return f"{n} items in the {window} window; the test needs at least {MIN_ITEMS}"
        if rho is None:
            return f"the {window} agreement is undefined"
        if abs(rho) >= 1:
            return f"the {window} agreement is exactly {rho:g}, so Fisher's z is infinite"
    return None


def agreement_drops(drops: list[Drop], *, alpha: float = ALPHA) -> list[Drop]:
    """Test each criterion's drop, adjust across the judge's criteria, and decide."""
    tested: list[Drop] = []
    for drop in drops:
        reason = _undefined_reason(drop)
        if reason is not None:
            tested.append(Drop(**{**drop.__dict__, "reason": reason}))
            continue
        assert drop.earlier is not None and drop.recent is not None
        z, p = spearman_drop_test(drop.earlier, drop.n_earlier, drop.recent, drop.n_recent)
        tested.append(Drop(**{**drop.__dict__, "z": z, "p_value": p}))
    p_values = [np.nan if d.p_value is None else d.p_value for d in tested]
    q_values = benjamini_hochberg(p_values) if tested else np.empty(0)
    decided = []
    for drop, q in zip(tested, q_values, strict=True):
        if drop.p_value is None:
            decided.append(drop)
            continue
        assert drop.earlier is not None and drop.recent is not None
        fell = bool(q < alpha and drop.earlier - drop.recent >= MIN_DROP)
        decided.append(Drop(**{**drop.__dict__, "q_value": float(q), "fell": fell}))
    return decided
