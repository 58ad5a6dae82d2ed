"""PPI++ means against the authors' package, ppi-python (``ppi_py``), used as the oracle.

PPI++: Angelopoulos, Duchi and Zrnic, "PPI++: Efficient Prediction-Powered Inference" (2023);
PPI: Angelopoulos, Bates, Fannjiang, Jordan and Zrnic, Science 382 (2023). ``ppi_py`` is the
reference implementation by the same authors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from llmops_core.metrics.ppi.mean import (
    ALL_LABELLED,
    HUMAN_CONSTANT,
    LAMBDA_CONSTANT_JUDGE,
    NO_LABELLED,
    ONE_LABELLED,
    ZERO_VARIANCE,
    clt_mean,
    power_tuned_lambda,
    ppi_mean,
    z_value,
)
from tests.metrics.oracle import import_ppi_py

ppi_py = import_ppi_py()


def _study(seed: int, *, discrete: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return human labels, their judge scores and unlabelled judge scores of random size."""
    rng = np.random.default_rng(seed)
    n, big_n = int(rng.integers(2, 400)), int(rng.integers(1, 5000))
    quality = rng.normal(size=n + big_n)
    slope = rng.uniform(-1.0, 2.0)  # from anti-correlated to over-confident judges
    judge = slope * quality + rng.normal(scale=rng.uniform(0.1, 2.0), size=n + big_n)
    human = quality[:n] + rng.normal(scale=rng.uniform(0.1, 2.0), size=n)
    if discrete:
        human = np.clip(np.round(human + 3), 1, 5)
        judge = np.clip(np.round(judge + 3), 1, 5)
    return human, judge[:n], judge[n:]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_ppi_mean_equals_ppi_py_on_random_data(seed: int, confidence: float) -> None:
    """Point estimate, interval and lambda = ppi_py's with lam=None, within 1e-6."""
    y, yhat, yu = _study(seed, discrete=seed % 2 == 1)
    ours = ppi_mean(y, yhat, yu, confidence=confidence)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        point = float(np.ravel(ppi_py.ppi_mean_pointestimate(y, yhat, yu, lam=None))[0])
        low, high = (float(np.ravel(v)[0]) for v in ppi_py.ppi_mean_ci(y, yhat, yu, alpha=alpha))
    if np.ptp(np.concatenate([yhat, yu])) == 0:
        # A constant judge: ppi_py divides 0 by 0; we say lambda is undefined and fall back
        # to the human-only estimate, which every lambda gives here anyway.
        assert math.isnan(point) and ours.lam is None and ours.mean == pytest.approx(y.mean())
        return
    assert ours.mean == pytest.approx(point, abs=1e-6)
    assert ours.low == pytest.approx(low, abs=1e-6)
    assert ours.high == pytest.approx(high, abs=1e-6)
    assert ours.n_human == y.size and ours.n_judge == yu.size


@pytest.mark.parametrize("seed", range(10))
def test_lambda_equals_ppi_py_tuning(seed: int) -> None:
    """Lambda = ppi_py's _calc_lam_glm with clipping, on the gradients of the mean."""
    from ppi_py.ppi import _calc_lam_glm

    y, yhat, yu = _study(seed, discrete=False)
    theta = yu.mean() + (y - yhat).mean()
    expected = _calc_lam_glm(y - theta, yhat - theta, yu - theta, np.eye(1), clip=True)
    assert power_tuned_lambda(y, yhat, yu) == pytest.approx(float(expected), abs=1e-9)


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_fixed_lambda_equals_ppi_py(lam: float) -> None:
    """lam=1 is plain PPI, lam=0 the classical interval; both as ppi_py computes them."""
    y, yhat, yu = _study(3, discrete=False)
    ours = ppi_mean(y, yhat, yu, lam=lam)
    low, high = (
        float(np.ravel(v)[0]) for v in ppi_py.ppi_mean_ci(y, yhat, yu, alpha=0.05, lam=lam)
    )
    assert (ours.low, ours.high) == pytest.approx((low, high), abs=1e-9)
    assert ours.lam == lam


@pytest.mark.parametrize("seed", range(10))
def test_human_only_equals_ppi_py_classical_interval(seed: int) -> None:
    y, _, _ = _study(seed, discrete=seed % 2 == 0)
    ours = clt_mean(y)
    low, high = ppi_py.classical_mean_ci(y, alpha=0.05)
    assert (ours.low, ours.high) == pytest.approx((float(low), float(high)), abs=1e-9)


def test_effective_n_is_the_human_count_with_the_same_width() -> None:
    """effective_n human labels alone would give exactly the PPI++ interval width."""
    y, yhat, yu = _study(5, discrete=False)
    ours = ppi_mean(y, yhat, yu)
    assert ours.effective_n is not None and ours.width is not None
    human_width = 2 * z_value(0.95) * float(y.std()) / math.sqrt(ours.effective_n)
    assert human_width == pytest.approx(ours.width, rel=1e-12)


def test_informative_judge_narrows_the_interval() -> None:
    rng = np.random.default_rng(0)
    quality = rng.normal(size=5100)
    y = quality[:100] + rng.normal(scale=0.3, size=100)
    judge = quality + 1.0 + rng.normal(scale=0.3, size=5100)  # biased by +1, but informative
    ours = ppi_mean(y, judge[:100], judge[100:])
    human = clt_mean(y)
    assert ours.width is not None and human.width is not None
    assert ours.width < 0.6 * human.width
    assert ours.effective_n is not None and ours.effective_n > 250
    assert ours.low is not None and ours.high is not None
    assert ours.low < 0.0 < ours.high  # the judge's +1 bias is rectified away


def test_no_human_rating_is_undefined_with_a_reason() -> None:
    result = ppi_mean(np.empty(0), np.empty(0), np.array([3.0, 4.0]))
    assert (result.mean, result.low, result.lam, result.effective_n) == (None, None, None, None)
    assert result.reason == NO_LABELLED and result.n_judge == 2


def test_one_human_rating_is_undefined_with_a_reason() -> None:
    result = ppi_mean(np.array([4.0]), np.array([4.0]), np.array([3.0, 5.0]))
    assert result.mean is None and result.reason == ONE_LABELLED
    assert clt_mean(np.array([4.0])).low is None


def test_constant_judge_leaves_lambda_undefined_and_equals_human_only() -> None:
    y = np.array([2.0, 4.0, 5.0, 3.0])
    result = ppi_mean(y, np.full(4, 3.0), np.full(10, 3.0))
    human = clt_mean(y)
    assert result.lam is None and result.reason == LAMBDA_CONSTANT_JUDGE
    assert (result.mean, result.low, result.high) == pytest.approx(
        (human.mean, human.low, human.high)
    )
    assert result.effective_n == pytest.approx(4.0)


def test_constant_humans_have_no_interval() -> None:
    """Zero variance is undefined, never a zero-width interval."""
    human = clt_mean(np.full(5, 4.0), constant_reason=HUMAN_CONSTANT)
    assert human.mean == 4.0 and human.low is None and human.reason == HUMAN_CONSTANT
    ppi = ppi_mean(np.full(5, 4.0), np.full(5, 4.0), np.full(5, 4.0))
    assert ppi.mean == 4.0 and ppi.low is None and ppi.effective_n is None
    assert ppi.reason is not None and ZERO_VARIANCE in ppi.reason


def test_all_outputs_labelled_is_the_human_only_estimate() -> None:
    y = np.array([1.0, 3.0, 4.0, 4.0, 5.0])
    result = ppi_mean(y, y + 1, np.empty(0))
    human = clt_mean(y)
    assert result.lam == 0.0 and result.note == ALL_LABELLED and result.reason is None
    assert (result.low, result.high) == pytest.approx((human.low, human.high))


def test_lambda_is_clipped_to_the_unit_interval() -> None:
    rng = np.random.default_rng(2)
    quality = rng.normal(size=600)
    anti = ppi_mean(quality[:100], -quality[:100], -quality[100:])
    assert anti.lam == 0.0
    scaled = power_tuned_lambda(quality[:100] * 5, quality[:100], quality[100:])
    assert scaled == 1.0
