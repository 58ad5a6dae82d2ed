"""How many paired inputs would detect an observed difference between two versions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

DEFAULT_ALPHA: Final = 0.05
DEFAULT_POWER: Final = 0.8


def _finite(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


@dataclass(frozen=True)
class SampleSize:
    """How many paired inputs would detect the observed difference, or why that is unknown."""

    required: int | None
    more: int | None
    power: float
    alpha: float
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "required": self.required,
            "more": self.more,
            "power": self.power,
            "alpha": self.alpha,
            "reason": self.reason,
        }


def required_pairs(
    differences: npt.ArrayLike, *, alpha: float = DEFAULT_ALPHA, power: float = DEFAULT_POWER
) -> SampleSize:
    """Estimate the paired inputs needed to detect the observed mean difference.

    Normal approximation for a two-sided paired test: n = ((z_(1-alpha/2) + z_power) * sd / mean)^2
    with the observed mean and standard deviation (ddof 1) of the differences. It treats the
    observed difference as the true one, so it is a rough guide, not a promise.
    """
    d = _finite(differences)
    if d.size < 2:
        return SampleSize(
            None, None, power, alpha, "it cannot be estimated from fewer than two paired inputs"
        )
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if mean == 0.0:
        return SampleSize(
            None,
            None,
            power,
            alpha,
            "it cannot be estimated: the observed mean difference is zero, so no "
            "number of inputs is expected to show one",
        )
    if sd == 0.0:
        return SampleSize(
            None, None, power, alpha, "it cannot be estimated: every paired difference is the same"
        )
    from scipy import stats

    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    required = math.ceil((z * sd / abs(mean)) ** 2)
    return SampleSize(required, max(0, required - int(d.size)), power, alpha)
