"""How the judge's score maps to the humans': a calibration curve and its largest misses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray, distinct_values
from llmops_core.metrics.ppi.mean import (
    HUMAN_CONSTANT,
    NO_HUMAN,
    ONE_HUMAN,
    MeanInterval,
    clt_mean,
)
from llmops_core.metrics.ppi.outputs import ScoredOutputs

ONE_AT_LEVEL = "only one human-rated output at this judge level; an interval needs two"
NONE_AT_LEVEL = "no human-rated output at this judge level"
CONSTANT_AT_LEVEL = "every human label at this judge level is the same"


@dataclass(frozen=True)
class CalibrationLevel:
    """One judge level (or bin of judge scores) and what the humans said about its outputs."""

    judge_low: float
    judge_high: float
    n_judged: int
    n_rated: int
    human_mean: float | None
    low: float | None
    high: float | None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Residual:
    """A human-rated output where the judge and the humans differ: human minus judge."""

    item: object
    judge: float
    human: float
    reviewers: int
    residual: float

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Calibration:
    """The calibration curve, the mean residual (the judge's bias) and the largest residuals."""

    levels: tuple[CalibrationLevel, ...]
    binned: bool
    mean_residual: MeanInterval
    residuals: tuple[Residual, ...]
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form shown on the calibration page."""
        return {
            "levels": [level.as_dict() for level in self.levels],
            "binned": self.binned,
            "mean_residual": self.mean_residual.as_dict(),
            "residuals": [residual.as_dict() for residual in self.residuals],
            "confidence": self.confidence,
        }


def calibration(
    outputs: ScoredOutputs,
    *,
    confidence: float = 0.95,
    top: int = 20,
    max_levels: int = 20,
    bins: int = 10,
) -> Calibration:
    """Return the mean human label per judge level with its t interval, and the worst misses.

    A judge with at most max_levels distinct scores gets one row per score; otherwise its
    scores are cut into `bins` equal-width bins. Intervals use Student's t (ddof 1) because
    a level often has few human-rated outputs. The curve is descriptive: it is not
    reweighted for inclusion probabilities. Residuals are human label minus judge score,
    largest first, ties in item order.
    """
    judged = outputs.judged
    scores = outputs.judge[judged]
    labelled = outputs.labelled
    y, f = outputs.human[labelled], outputs.judge[labelled]
    edges, binned = _levels(scores, max_levels, bins)
    level_rows = _curve(scores, y, f, edges, binned, confidence)
    mean_residual = clt_mean(
        y - f,
        confidence=confidence,
        empty_reason=NO_HUMAN,
        one_reason=ONE_HUMAN,
        constant_reason=HUMAN_CONSTANT,
    )
    return Calibration(
        levels=level_rows,
        binned=binned,
        mean_residual=mean_residual,
        residuals=_largest(outputs.subset(labelled), top),
        confidence=confidence,
    )


def _levels(scores: FloatArray, max_levels: int, bins: int) -> tuple[FloatArray, bool]:
    """Return the judge levels (binned=False) or the bin edges (binned=True)."""
    distinct = distinct_values(scores)
    if distinct.size <= max_levels:
        return distinct, False
    return np.linspace(float(distinct[0]), float(distinct[-1]), bins + 1), True


def _index(values: FloatArray, edges: FloatArray, binned: bool) -> IntArray:
    """Return the level (or bin) of each judge score."""
    if not binned:
        return np.searchsorted(edges, values).astype(np.int64)
    # The last bin is closed on the right, so the top score falls inside it.
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)


def _curve(
    scores: FloatArray,
    y: FloatArray,
    f: FloatArray,
    edges: FloatArray,
    binned: bool,
    confidence: float,
) -> tuple[CalibrationLevel, ...]:
    """Return one CalibrationLevel per judge level or bin."""
    from scipy import stats

    count = edges.size - 1 if binned else edges.size
    if count <= 0:
        return ()
    judged = np.bincount(_index(scores, edges, binned), minlength=count)
    which = _index(f, edges, binned)
    rated = np.bincount(which, minlength=count)
    means = np.bincount(which, weights=y, minlength=count) / np.maximum(rated, 1)
    squares = np.bincount(which, weights=np.square(y - means[which]), minlength=count)
    lowest, highest = np.full(count, np.inf), np.full(count, -np.inf)
    np.minimum.at(lowest, which, y)
    np.maximum.at(highest, which, y)
    rows = []
    for level in range(count):
        low, high = (edges[level], edges[level + 1]) if binned else (edges[level], edges[level])
        n = int(rated[level])
        mean = float(means[level]) if n else None
        interval: tuple[float | None, float | None] = (None, None)
        reason = NONE_AT_LEVEL if n == 0 else ONE_AT_LEVEL if n == 1 else None
        if n >= 2 and lowest[level] == highest[level]:
            reason = CONSTANT_AT_LEVEL
        elif n >= 2 and mean is not None:
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(
                squares[level] / (n - 1) / n
            )
            interval = (mean - half, mean + half)
        rows.append(
            CalibrationLevel(
                float(low), float(high), int(judged[level]), n, mean, *interval, reason
            )
        )
    return tuple(rows)


def _largest(rated: ScoredOutputs, top: int) -> tuple[Residual, ...]:
    """Return the `top` largest residuals (by absolute size), ties in item order."""
    residual = rated.human - rated.judge
    order = np.lexsort((np.arange(residual.size), -np.abs(residual)))[:top]
    return tuple(
        Residual(
            item=_plain(rated.item[i]),
            judge=float(rated.judge[i]),
            human=float(rated.human[i]),
            reviewers=int(rated.reviewers[i]),
            residual=float(residual[i]),
        )
        for i in order
    )


def _plain(value: object) -> object:
    """Return a numpy scalar as the Python value it holds (JSON needs plain values)."""
    return value.item() if isinstance(value, np.generic) else value
