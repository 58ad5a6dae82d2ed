"""Choose which outputs humans rate: uniform or active sampling with known probabilities.

Active sampling follows Zrnic and Candes ("Active Statistical Inference", ICML 2024): output
i is drawn independently with probability pi_i = min(1, tau * N / M + c * u_i), where u_i is
the judge's uncertainty about it, N the expected number of human ratings (the budget), M the
number of outputs and c the scale that makes the probabilities add up to N. The uniform
share tau is the floor: every output keeps a known probability of at least tau * N / M, which
the inverse-probability weights of the estimate need. The authors' sampling rule is the same
mixture, (1 - tau) * eta * u + tau * N / M, clipped to 1; solving for c after the clipping
keeps the expected count at exactly N.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import FloatArray, IntArray

DEFAULT_UNIFORM_SHARE = 0.5


def level_spread(probabilities: npt.ArrayLike, levels: npt.ArrayLike) -> FloatArray:
    """Return the sd of the judge's distribution over score levels, one per output.

    probabilities is outputs x levels (e.g. from the judge's token log-probabilities, each
    row summing to 1); a judge sure of its score has spread 0.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    values = np.asarray(levels, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != values.size:
        raise ValueError("probabilities must be outputs x levels, one column per level")
    mean = p @ values
    return np.sqrt(np.maximum(p @ np.square(values) - np.square(mean), 0.0))


def swap_disagreement(score: npt.ArrayLike, swapped: npt.ArrayLike) -> FloatArray:
    """Return |score - swapped|: how far the judge moves when the pair's order is swapped.

    Both arrays must be oriented the same way (e.g. the preference for the candidate), so a
    position-consistent judge scores 0.
    """
    return np.abs(np.asarray(score, dtype=np.float64) - np.asarray(swapped, dtype=np.float64))


def validate_request(uncertainty: FloatArray, budget: float, uniform_share: float) -> None:
    """Raise ValueError naming what is wrong with the sampling request."""
    if uncertainty.size == 0:
        raise ValueError("there are no outputs to sample from")
    bad = np.flatnonzero(~(np.isfinite(uncertainty) & (uncertainty >= 0)))
    if bad.size:
        raise ValueError(
            f"uncertainty of output {int(bad[0])} is {float(uncertainty[bad[0]])!r}; "
            "it must be a finite number >= 0"
        )
    if not budget > 0:
        raise ValueError(f"the budget must be a positive number of ratings, not {budget!r}")
    if not 0 < uniform_share <= 1:
        raise ValueError(f"uniform_share must be in (0, 1], not {uniform_share!r}")


class SortedUncertainty:
    """Uncertainties sorted once, so probabilities for several uniform shares are cheap.

    Call ``validate_request`` first: this class assumes finite, non-negative uncertainties.
    """

    def __init__(self, uncertainty: FloatArray) -> None:
        self.uncertainty = uncertainty
        self.order = np.argsort(-uncertainty, kind="stable")
        self.descending = uncertainty[self.order]
        # suffix[k] is the sum of all but the k largest uncertainties.
        self.suffix = np.concatenate([np.cumsum(self.descending[::-1])[::-1], [0.0]])
        self.positive = int(np.count_nonzero(self.descending > 0))

    def probabilities(self, budget: float, uniform_share: float) -> FloatArray:
        """Return pi = min(1, floor + c * u) with sum(pi) == budget."""
        size = self.uncertainty.size
        if budget >= size:
            return np.ones(size)
        if self.positive == 0:
            return np.full(size, budget / size)
        floor = uniform_share * budget / size
        if budget >= self.positive + floor * (size - self.positive):
            # Even certain rating of every uncertain output leaves budget: the outputs the
            # judge is sure about share the rest evenly.
            rest = (budget - self.positive) / (size - self.positive)
            return np.where(self.uncertainty > 0, 1.0, rest)
        capped = np.arange(self.positive)
        scale = (budget - capped - floor * (size - capped)) / self.suffix[capped]
        fits = floor + scale * self.descending[: self.positive] <= 1.0
        first = int(np.argmax(fits))
        # The first fitting k is the water level: the k largest are capped at 1 (for them
        # floor + scale * u >= 1 holds), so the minimum below adds up to the budget exactly.
        return np.minimum(1.0, floor + float(scale[first]) * self.uncertainty)


def inclusion_probabilities(
    uncertainty: npt.ArrayLike,
    budget: float,
    *,
    uniform_share: float = DEFAULT_UNIFORM_SHARE,
) -> FloatArray:
    """Return each output's probability of being drawn for human rating, summing to budget.

    Outputs the judge is less sure about (larger uncertainty) are drawn more often; every
    output keeps at least uniform_share * budget / len(uncertainty). A budget at or above
    the number of outputs draws them all; equal uncertainties give uniform probabilities.
    """
    u = np.asarray(uncertainty, dtype=np.float64).ravel()
    validate_request(u, budget, uniform_share)
    return SortedUncertainty(u).probabilities(float(budget), uniform_share)


def draw_active(probabilities: npt.ArrayLike, *, seed: int) -> IntArray:
    """Return the indices drawn by independent coin flips with the given probabilities.

    The number drawn is random with mean sum(probabilities); the estimate's weights and
    interval assume exactly this independent (Poisson) design.
    """
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    if np.any(~((p > 0) & (p <= 1))):
        raise ValueError("every inclusion probability must be in (0, 1]")
    rng = np.random.default_rng(seed)
    return np.flatnonzero(rng.random(p.size) < p)


def draw_uniform(size: int, budget: int, *, seed: int) -> IntArray:
    """Return `budget` distinct indices out of `size`, uniformly at random, in order."""
    if size < 0 or budget < 0:
        raise ValueError("size and budget must be non-negative")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(size, size=min(budget, size), replace=False))
