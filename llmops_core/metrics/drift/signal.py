"""One drift signal's result, and the checks that make a test undefined rather than 0 or 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from llmops_core.metrics.coding import FloatArray

# Fewer values than this in either window leave a signal untested: the exact KS test on 5
# against 5 can just reach p < 0.01, and the bootstrap of a smaller window is mostly noise.
MIN_VALUES: Final = 5
SCORE_PREFIX: Final = "score:"  # a criterion's human scores
JUDGE_PREFIX: Final = "judge:"  # a criterion's judge scores, compared like human ones


@dataclass(frozen=True)
class Signal:
    """A signal compared across two windows; None values are undefined and `reason` says why.

    `effect` is after versus before: a relative change of the mean for continuous signals
    (0.18 means 18% higher), a difference of means in scale points for scores. `drifted` is
    q < alpha and |effect| >= minimum_effect, and None when either is undefined.
    """

    name: str
    test: str
    effect_kind: str
    minimum_effect: float
    n_before: int
    n_after: int
    mean_before: float | None = None
    mean_after: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    effect: float | None = None
    low: float | None = None
    high: float | None = None
    psi: float | None = None
    drifted: bool | None = None
    reason: str | None = None
    interval_reason: str | None = None
    sentence: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_score(self) -> bool:
        """Return whether this is a criterion's score (compared in scale points)."""
        return is_score(self.name)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form: the decision fields first, then what they rest on."""
        result: dict[str, Any] = {
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "q_value": self.q_value,
            "effect": self.effect,
            "low": self.low,
            "high": self.high,
            "drifted": self.drifted,
            "effect_kind": self.effect_kind,
            "minimum_effect": self.minimum_effect,
            "n_before": self.n_before,
            "n_after": self.n_after,
            "mean_before": self.mean_before,
            "mean_after": self.mean_after,
            "psi": self.psi,
            **self.details,
        }
        for key in ("reason", "interval_reason", "sentence"):
            if getattr(self, key) is not None:
                result[key] = getattr(self, key)
        return result


def is_score(name: str) -> bool:
    """Return whether the signal ``name`` holds a criterion's human or judge scores."""
    return name.startswith((SCORE_PREFIX, JUDGE_PREFIX))


def mean_or_none(values: FloatArray) -> float | None:
    """Return the mean, or None for an empty window."""
    return float(values.mean()) if values.size else None


def untestable_reason(before: FloatArray, after: FloatArray) -> str | None:
    """Return why two windows cannot be compared (too few values, nothing varies), or None."""
    for window, values in (("before", before), ("after", after)):
        if values.size == 0:
            return f"no row {window} has a value"
        if values.size < MIN_VALUES:
            return (
                f"only {values.size} rows {window} have a value; "
                f"a test needs at least {MIN_VALUES} in each window"
            )
    pooled = np.concatenate([before, after])
    if pooled.min() == pooled.max():
        return f"every value is {pooled[0]:g} in both windows; nothing varies to compare"
    return None
