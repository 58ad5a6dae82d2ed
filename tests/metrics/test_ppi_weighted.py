"""Inverse-probability-weighted estimates: active statistical inference.

Zrnic and Candes, "Active Statistical Inference", ICML 2024. The untuned estimator is checked
against the formula of the authors' notebooks (github.com/tijana-zrnic/active-inference,
pew79-post-election-research.ipynb): mean(Yhat + (Y - Yhat) * xi / pi), sd (ddof 0) / sqrt(n).
"""

from __future__ import annotations

import numpy as np
import pytest

from llmops_core.metrics.ppi.mean import (
    LAMBDA_CONSTANT_JUDGE,
    NO_LABELLED,
    ONE_LABELLED,
    clt_mean,
    ppi_mean,
    z_value,
)
from llmops_core.metrics.ppi.sampling import draw_active, inclusion_probabilities
from llmops_core.metrics.ppi.weighted import ppi_mean_weighted, weighted_human_mean


def _population(seed: int, size: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return labels, judge scores (biased, heteroscedastic) and the judge's uncertainty."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=size)
    spread = np.where(rng.random(size) < 0.8, 0.2, 2.0)
    return quality + 3, quality + 3.5 + spread * rng.normal(size=size), spread


def _draw(seed: int, budget: float = 300) -> tuple[np.ndarray, ...]:
    y, f, u = _population(seed)
    pi = inclusion_probabilities(u, budget)
    drawn = np.zeros(y.size, dtype=bool)
    drawn[draw_active(pi, seed=seed)] = True
    return y, f, pi, drawn


@pytest.mark.parametrize("seed", range(5))
def test_untuned_estimate_is_the_authors_formula(seed: int) -> None:
    y, f, pi, drawn = _draw(seed)
    ours = ppi_mean_weighted(y[drawn], f[drawn], pi[drawn], f[~drawn], tune=False)
    # The frame's order does not matter: labelled outputs first, as the estimator lays it out.
    order = np.concatenate([np.flatnonzero(drawn), np.flatnonzero(~drawn)])
    yy, ff, pp, xi = y[order], f[order], pi[order], drawn[order]
    terms = ff + (yy - ff) * xi / pp
    half = z_value(0.95) * terms.std() / np.sqrt(terms.size)
    assert ours.mean == pytest.approx(terms.mean(), abs=1e-12)
    assert (ours.low, ours.high) == pytest.approx((terms.mean() - half, terms.mean() + half))
    assert ours.lam == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_tuning_never_widens_the_authors_interval(seed: int) -> None:
    """lam = 1, c = 0 is one candidate of the tuning, so the tuned variance is no larger."""
    y, f, pi, drawn = _draw(seed)
    tuned = ppi_mean_weighted(y[drawn], f[drawn], pi[drawn], f[~drawn])
    plain = ppi_mean_weighted(y[drawn], f[drawn], pi[drawn], f[~drawn], tune=False)
    assert tuned.se is not None and plain.se is not None
    assert tuned.se <= plain.se + 1e-12


def test_every_output_drawn_with_certainty_is_the_plain_mean() -> None:
    y, f, _ = _population(1, size=50)
    result = ppi_mean_weighted(y, f, np.ones(50), np.empty(0))
    human = clt_mean(y)
    assert result.lam == 0.0
    assert (result.mean, result.low, result.high) == pytest.approx(
        (human.mean, human.low, human.high)
    )


def test_uniform_probabilities_agree_with_ppi_plus_plus() -> None:
    """With pi = n / M the weighted estimate is a different but equally efficient estimator."""
    y, f, _ = _population(2)
    chosen = np.zeros(y.size, dtype=bool)
    chosen[:300] = True
    weighted = ppi_mean_weighted(y[chosen], f[chosen], np.full(300, 0.1), f[~chosen])
    plain = ppi_mean(y[chosen], f[chosen], f[~chosen])
    assert weighted.mean == pytest.approx(plain.mean, abs=0.5 * plain.se)
    assert weighted.se == pytest.approx(plain.se, rel=0.1)


def test_weighted_human_mean_with_uniform_probabilities_is_the_sample_mean() -> None:
    y = np.array([1.0, 2.0, 4.0, 5.0, 3.0])
    result = weighted_human_mean(y, np.full(5, 0.5), 5)
    assert result.mean == pytest.approx(y.mean())
    assert result.n == 5 and result.low is not None


def test_ignoring_the_weights_biases_the_estimate() -> None:
    """The negative control: active draws over-represent hard outputs, so weights matter."""
    rng = np.random.default_rng(0)
    size = 4000
    quality = rng.normal(size=size)
    hard = rng.random(size) < 0.3
    y = 3 + quality + np.where(hard, -1.0, 0.0)  # hard outputs are worse
    f = 3 + quality + rng.normal(scale=np.where(hard, 2.0, 0.2))
    pi = inclusion_probabilities(np.where(hard, 2.0, 0.2), 400)
    drawn = np.zeros(size, dtype=bool)
    drawn[draw_active(pi, seed=1)] = True
    naive = clt_mean(y[drawn])
    weighted = weighted_human_mean(y[drawn], pi[drawn], int((~drawn).sum()))
    assisted = ppi_mean_weighted(y[drawn], f[drawn], pi[drawn], f[~drawn])
    truth = y.mean()
    assert naive.high is not None and naive.high < truth
    for result in (weighted, assisted):
        assert result.low is not None and result.high is not None
        assert result.low <= truth <= result.high


def test_undefined_cases_say_why() -> None:
    none = ppi_mean_weighted(np.empty(0), np.empty(0), np.empty(0), np.ones(3))
    one = ppi_mean_weighted(np.ones(1), np.ones(1), np.full(1, 0.5), np.ones(3))
    assert none.mean is None and none.reason == NO_LABELLED
    assert one.mean is None and one.reason == ONE_LABELLED
    constant = ppi_mean_weighted(
        np.array([1.0, 4.0, 5.0]), np.full(3, 3.0), np.full(3, 0.5), np.full(3, 3.0)
    )
    assert constant.lam is None and constant.reason == LAMBDA_CONSTANT_JUDGE
    assert constant.mean is not None


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, np.nan])
def test_a_probability_outside_zero_one_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match=r"not in \(0, 1\]"):
        ppi_mean_weighted(np.ones(3), np.ones(3), np.array([0.5, bad, 0.5]), np.ones(3))
