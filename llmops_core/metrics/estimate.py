"""A statistic's value, or None with the reason it is undefined."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """Hold a value, or None and a sentence saying why the value is undefined.

    Undefined statistics are never replaced by 0 or 1: a lead reading the report must be
    able to tell "no agreement" from "nothing to measure".
    """

    value: float | None
    reason: str | None = None

    @classmethod
    def of(cls, value: float, reason_if_not_finite: str) -> Estimate:
        """Return a defined estimate, or an undefined one when value is NaN or infinite."""
        number = float(value)
        if math.isfinite(number):
            return cls(number)
        return cls(None, reason_if_not_finite)

    @classmethod
    def undefined(cls, reason: str) -> Estimate:
        """Return an undefined estimate carrying its reason."""
        return cls(None, reason)

    @property
    def defined(self) -> bool:
        """Return whether the estimate has a value."""
        return self.value is not None


NO_RATINGS = "no ratings"
ONE_REVIEWER = "only one reviewer rated this criterion; agreement needs at least two"
NO_OVERLAP = "no item has ratings from two reviewers, so there is nothing to compare"
NO_VARIATION = (
    "every paired rating has the same value, so there is no variation to measure "
    "agreement against (chance agreement is 1)"
)


def no_pairs_reason(n_reviewers: int) -> str:
    """Return why nothing can be compared: one reviewer, or reviewers who never overlap."""
    return ONE_REVIEWER if n_reviewers < 2 else NO_OVERLAP
