"""Inverse-probability-weighted means for outputs drawn for rating with known probabilities.

Active statistical inference (Zrnic and Candes, ICML 2024): every output in the frame was
drawn for human rating independently with probability pi_i > 0 (xi_i = 1 when drawn). With
f_i the judge score, z_i = lam * f_i + c + (Y_i - lam * f_i - c) * xi_i / pi_i has mean E[Y]
for any fixed lam and c, so the mean of z over the frame is unbiased and the CLT gives its
interval (sd of z, ddof 0, over sqrt of the frame size, as in the authors' notebooks).
lam and c are chosen to minimise Var(z), the analogue of PPI++'s power tuning; lam is
clipped to [0, 1] like ``ppi_py`` does. The human-only estimate is the same with lam = 0.
"""

from __future__ import annotations

import numpy as np

from llmops_core.metrics.coding import FloatArray
from llmops_core.metrics.ppi.mean import (
    ALL_LABELLED,
    LAMBDA_CONSTANT_JUDGE,
    NO_HUMAN,
    NO_LABELLED,
    ONE_HUMAN,
    ONE_LABELLED,
    MeanInterval,
    PPIMean,
    interval,
    judge_is_constant,
    ppi_result,
    z_value,
)


def _check(probability: FloatArray, n: int) -> None:
    """Raise unless there is one probability in (0, 1] per human-rated output."""
    if probability.size != n:
        raise ValueError("probability must have one entry per human-rated output")
    bad = np.flatnonzero(~((probability > 0) & (probability <= 1)))
    if bad.size:
        value, position = float(probability[bad[0]]), int(bad[0])
        raise ValueError(
            f"inclusion probability {value!r} (human-rated output {position}) is not in (0, 1]"
        )


def _terms(
    y: FloatArray,
    yhat: FloatArray | None,
    probability: FloatArray,
    n_unlabelled: int,
    yu: FloatArray | None,
) -> tuple[FloatArray, FloatArray | None, FloatArray]:
    """Return a = xi Y / pi, b1 = f (1 - xi / pi) and b0 = 1 - xi / pi over the whole frame."""
    inverse = 1.0 / probability
    a = np.concatenate([y * inverse, np.zeros(n_unlabelled)])
    b0 = np.concatenate([1.0 - inverse, np.ones(n_unlabelled)])
    if yhat is None or yu is None:
        return a, None, b0
    return a, np.concatenate([yhat * (1.0 - inverse), yu]), b0


def _intercept(a: FloatArray, b0: FloatArray) -> float:
    """Return the c minimising Var(a + c * b0) (0 when b0 does not vary)."""
    centred = b0 - b0.mean()
    variance = float(centred @ centred)
    return 0.0 if variance == 0.0 else -float((a - a.mean()) @ centred) / variance


def _tune(a: FloatArray, b1: FloatArray, b0: FloatArray) -> tuple[float, float]:
    """Return (lam, c) minimising Var(a + lam * b1 + c * b0), lam clipped to [0, 1]."""
    ac, b1c, b0c = a - a.mean(), b1 - b1.mean(), b0 - b0.mean()
    s11, s10, s00 = float(b1c @ b1c), float(b1c @ b0c), float(b0c @ b0c)
    r1, r0 = float(ac @ b1c), float(ac @ b0c)
    determinant = s11 * s00 - s10 * s10
    if s00 == 0.0:
        lam = 0.0 if s11 == 0.0 else -r1 / s11
    elif determinant <= 1e-12 * s11 * s00:
        lam = 0.0
    else:
        lam = (-r1 * s00 + r0 * s10) / determinant
    lam = float(np.clip(lam, 0.0, 1.0))
    return lam, _intercept(a + lam * b1, b0)


def weighted_human_mean(
    y: FloatArray, probability: FloatArray, n_unlabelled: int, *, confidence: float = 0.95
) -> MeanInterval:
    """Return the inverse-probability-weighted mean of the human labels and its interval.

    y holds the labels of the drawn outputs and probability their inclusion probabilities;
    n_unlabelled counts the outputs of the frame that were not drawn (or not rated).
    """
    y = np.asarray(y, dtype=np.float64)
    probability = np.asarray(probability, dtype=np.float64)
    n = int(y.size)
    _check(probability, n)
    if n < 2:
        return MeanInterval(None, None, None, None, n, NO_HUMAN if n == 0 else ONE_HUMAN)
    a, _, b0 = _terms(y, None, probability, n_unlabelled, None)
    z = a + _intercept(a, b0) * b0
    mean, se = float(z.mean()), float(z.std()) / np.sqrt(z.size)
    return interval(mean, se, n, z_value(confidence), "the weighted estimate has zero variance")


def ppi_mean_weighted(
    y: FloatArray,
    yhat: FloatArray,
    probability: FloatArray,
    yhat_unlabelled: FloatArray,
    *,
    confidence: float = 0.95,
    tune: bool = True,
) -> PPIMean:
    """Return the active-inference (inverse-probability-weighted PPI++) mean and interval.

    y, yhat and probability describe the human-rated outputs (label, judge score, the known
    probability with which each was drawn); yhat_unlabelled the judge scores of the other
    outputs of the frame. effective_n compares with the weighted human-only estimate from
    the same draws. tune=False uses lam = 1, c = 0: the authors' untuned estimator.
    """
    y, yhat = np.asarray(y, dtype=np.float64), np.asarray(yhat, dtype=np.float64)
    probability = np.asarray(probability, dtype=np.float64)
    yu = np.asarray(yhat_unlabelled, dtype=np.float64)
    n, big_n = int(y.size), int(yu.size)
    if y.shape != yhat.shape:
        raise ValueError("y and yhat must have one entry per human-rated output")
    _check(probability, n)
    if n < 2:
        return PPIMean(
            None, None, None, None, n, big_n, None, None, NO_LABELLED if n == 0 else ONE_LABELLED
        )
    a, b1, b0 = _terms(y, yhat, probability, big_n, yu)
    assert b1 is not None
    reason, note = None, None
    lam: float | None
    if big_n == 0 and bool(np.all(probability == 1.0)):
        lam, c, note = 0.0, 0.0, ALL_LABELLED
    elif not tune:
        lam, c = 1.0, 0.0
    elif judge_is_constant(yhat, yu):
        lam, c, reason = None, _intercept(a, b0), LAMBDA_CONSTANT_JUDGE
    else:
        lam, c = _tune(a, b1, b0)
    z = a + (lam or 0.0) * b1 + c * b0
    human = weighted_human_mean(y, probability, big_n, confidence=confidence)
    human_variance = 0.0 if human.se is None else human.se**2
    variance = float(z.var()) / z.size
    return ppi_result(
        float(z.mean()), variance, n, big_n, lam, human_variance, confidence, reason, note
    )
