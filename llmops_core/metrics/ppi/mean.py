"""Mean estimates with CLT intervals: human-only, PPI++ (power-tuned) and its weighted form.

PPI++: Angelopoulos, Duchi and Zrnic, "PPI++: Efficient Prediction-Powered Inference" (2023),
building on Angelopoulos, Bates, Fannjiang, Jordan and Zrnic, "Prediction-powered inference",
Science 382 (2023). ``ppi_mean`` reproduces ``ppi_py.ppi_mean_ci`` / ``ppi_mean_pointestimate``
with ``lam=None`` (the authors' package), including its choices: lambda is clipped to [0, 1],
the judge's variance pools labelled and unlabelled scores (ddof 1), and the interval uses
population standard deviations (ddof 0), as ``ppi_py.classical_mean_ci`` does for the
human-only mean, so that human-only is exactly PPI++ with lambda = 0.

The weighted form is active statistical inference (Zrnic and Candes, "Active Statistical
Inference", ICML 2024): each output was drawn for human rating independently with a known
probability pi_i, and the estimate averages lam * f_i + c + (Y_i - lam * f_i - c) * xi_i / pi_i
over every output (xi_i = 1 when it was rated). Any fixed (lam, c) gives an unbiased
estimate; both are tuned to minimise its variance, like PPI++'s lambda. The intercept c
matters here and not in PPI++: a judge that is off by a constant would otherwise add that
constant, inflated by 1 / pi, to the variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from llmops_core.metrics.coding import FloatArray

NO_HUMAN = "no output has a human rating"
ONE_HUMAN = "only one output has a human rating; an interval needs at least two"
NO_LABELLED = "no output has both a human rating and a judge score"
ONE_LABELLED = "only one output has both a human rating and a judge score; PPI++ needs at least two"
NO_JUDGE = "the judge scored no output"
ONE_JUDGED = "the judge scored only one output; an interval needs at least two"
ONE_VALUE = "only one value; an interval needs at least two"
NO_VALUES = "no values"
HUMAN_CONSTANT = (
    "every human label is the same, so there is no variance to build an interval from "
    "(a zero-width interval would claim certainty the sample cannot give)"
)
JUDGE_CONSTANT = (
    "the judge gave every output the same score, so there is no variance to build an interval from"
)
LAMBDA_CONSTANT_JUDGE = (
    "the judge gave every output the same score, so it carries no signal: lambda is "
    "undefined and the estimate equals the human-only one"
)
ZERO_VARIANCE = "the estimate has zero variance, so there is no interval to build"
ALL_LABELLED = (
    "every judged output also has a human rating, so there is nothing for the judge to add: "
    "lambda is 0 and the estimate is the human-only one"
)


def z_value(confidence: float) -> float:
    """Return the two-sided normal quantile for a confidence level (1.96 at 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True)
class MeanInterval:
    """A mean with its CLT interval, or None where undefined and the reason why."""

    mean: float | None
    low: float | None
    high: float | None
    se: float | None
    n: int
    reason: str | None = None

    @property
    def width(self) -> float | None:
        """Return high - low, or None without an interval."""
        return None if self.low is None or self.high is None else self.high - self.low

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form: mean, low, high, n, se, reason."""
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "se": self.se,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PPIMean:
    """A PPI++ mean: value, interval, the counts it rests on, lambda and effective n."""

    mean: float | None
    low: float | None
    high: float | None
    se: float | None
    n_human: int
    n_judge: int
    lam: float | None
    effective_n: float | None
    reason: str | None = None
    note: str | None = None

    @property
    def width(self) -> float | None:
        """Return high - low, or None without an interval."""
        return None if self.low is None or self.high is None else self.high - self.low

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form (lambda spelled out, as the CLI and API print it)."""
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "n_human": self.n_human,
            "n_judge": self.n_judge,
            "lambda": self.lam,
            "effective_n": self.effective_n,
            "se": self.se,
            "reason": self.reason,
            "note": self.note,
        }


def interval(mean: float, se: float, n: int, z: float, reason: str) -> MeanInterval:
    """Return mean +- z * se, or the mean alone with `reason` when se is zero or not finite."""
    if not (math.isfinite(se) and se > 0):
        return MeanInterval(mean, None, None, None, n, reason)
    return MeanInterval(mean, mean - z * se, mean + z * se, se, n)


def clt_mean(
    values: FloatArray,
    *,
    confidence: float = 0.95,
    empty_reason: str = NO_VALUES,
    one_reason: str = ONE_VALUE,
    constant_reason: str = ZERO_VARIANCE,
) -> MeanInterval:
    """Return the mean of `values` with its normal (CLT) interval, sd with ddof 0.

    This is ``ppi_py.classical_mean_ci``: PPI++ with lambda = 0 is exactly this interval.
    """
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    if n == 0:
        return MeanInterval(None, None, None, None, 0, empty_reason)
    mean = float(x.mean())
    if n == 1:
        return MeanInterval(mean, None, None, None, 1, one_reason)
    if float(np.ptp(x)) == 0.0:
        return MeanInterval(mean, None, None, None, n, constant_reason)
    return interval(mean, float(x.std()) / math.sqrt(n), n, z_value(confidence), constant_reason)


def _pooled_variance(a: FloatArray, b: FloatArray) -> float:
    """Return the sample variance (ddof 1) of a and b together, without concatenating."""
    total = a.size + b.size
    centre = (float(a.sum()) + float(b.sum())) / total
    squares = float(np.square(a - centre).sum()) + float(np.square(b - centre).sum())
    return squares / (total - 1)


def judge_is_constant(*scores: FloatArray) -> bool:
    """Return whether every judge score in the arrays is the same (True when there are none)."""
    present = [array for array in scores if array.size]
    if not present:
        return True
    first = float(present[0][0])
    return all(float(np.ptp(array)) == 0.0 and float(array[0]) == first for array in present)


def power_tuned_lambda(
    y: FloatArray, yhat: FloatArray, yhat_unlabelled: FloatArray
) -> float | None:
    """Return PPI++'s variance-minimising lambda for a mean, clipped to [0, 1].

    lambda = Cov(Y, f) / ((1 + n / N) Var(f)), with Var(f) pooled over labelled and unlabelled
    judge scores, as in ``ppi_py``'s ``_calc_lam_glm``. None when the judge is constant.
    """
    if judge_is_constant(yhat, yhat_unlabelled):
        return None
    n, big_n = y.size, yhat_unlabelled.size
    variance = _pooled_variance(yhat, yhat_unlabelled)
    covariance = float(np.mean((y - y.mean()) * (yhat - yhat.mean())))
    return float(np.clip(covariance / ((1 + n / big_n) * variance), 0.0, 1.0))


def ppi_mean(
    y: FloatArray,
    yhat: FloatArray,
    yhat_unlabelled: FloatArray,
    *,
    confidence: float = 0.95,
    lam: float | None = None,
) -> PPIMean:
    """Return the PPI++ mean of Y with its CLT interval.

    y and yhat are the human labels and judge scores of the human-rated outputs (a uniform
    random sample of the outputs); yhat_unlabelled the judge scores of the others. lam=None
    tunes lambda (PPI++); lam=1 is plain PPI, lam=0 the human-only mean. effective_n is how
    many human labels alone would give an interval this wide.
    """
    y, yhat = np.asarray(y, dtype=np.float64), np.asarray(yhat, dtype=np.float64)
    yu = np.asarray(yhat_unlabelled, dtype=np.float64)
    n, big_n = int(y.size), int(yu.size)
    if y.shape != yhat.shape:
        raise ValueError("y and yhat must have one entry per human-rated output")
    if n < 2:
        return PPIMean(
            None, None, None, None, n, big_n, None, None, NO_LABELLED if n == 0 else ONE_LABELLED
        )
    reason, note = None, None
    if big_n == 0:
        lam, note = 0.0, ALL_LABELLED
    elif lam is None:
        lam = power_tuned_lambda(y, yhat, yu)
        if lam is None:
            reason = LAMBDA_CONSTANT_JUDGE
    used = 0.0 if lam is None else lam
    imputed = used * float(yu.mean()) if big_n else 0.0
    rectifier = y - used * yhat
    mean = imputed + float(rectifier.mean())
    variance = float(rectifier.var()) / n + (used**2 * float(yu.var()) / big_n if big_n else 0.0)
    human = float(y.var()) / n
    return ppi_result(mean, variance, n, big_n, lam, human, confidence, reason, note)


def ppi_result(
    mean: float,
    variance: float,
    n: int,
    big_n: int,
    lam: float | None,
    human_variance: float,
    confidence: float,
    reason: str | None,
    note: str | None,
) -> PPIMean:
    """Return the PPIMean for a point estimate and its variance (None where undefined).

    human_variance is the variance of the human-only estimate from the same n labels, so
    effective_n = n * human_variance / variance: the human labels that would match this width.
    """
    se = math.sqrt(variance) if variance > 0 else 0.0
    if se == 0.0 or not math.isfinite(se):
        why = ZERO_VARIANCE if reason is None else f"{reason}; {ZERO_VARIANCE}"
        return PPIMean(mean, None, None, None, n, big_n, lam, None, why, note)
    z = z_value(confidence)
    effective = n * human_variance / variance if human_variance > 0 else None
    if effective is None and reason is None:
        reason = f"effective n is undefined: {HUMAN_CONSTANT}"
    return PPIMean(mean, mean - z * se, mean + z * se, se, n, big_n, lam, effective, reason, note)
