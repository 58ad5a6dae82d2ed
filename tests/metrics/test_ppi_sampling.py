"""Choosing outputs for human rating: inclusion probabilities, samplers, width forecasts.

The sampling rule is Zrnic and Candes's (ICML 2024): a mixture of probabilities proportional
to the judge's uncertainty and the uniform rule, scaled to the budget in expectation.
"""

from __future__ import annotations

import numpy as np
import pytest

from llmops_core.metrics.ppi.forecast import NO_PILOT, PILOT_CONSTANT, forecast_widths
from llmops_core.metrics.ppi.mean import z_value
from llmops_core.metrics.ppi.sampling import (
    draw_active,
    draw_uniform,
    inclusion_probabilities,
    level_spread,
    swap_disagreement,
)


@pytest.mark.parametrize("budget", [1, 10, 250, 900, 999])
@pytest.mark.parametrize("share", [0.05, 0.5, 1.0])
def test_probabilities_add_up_to_the_budget_above_the_floor(budget: int, share: float) -> None:
    uncertainty = np.random.default_rng(budget).exponential(size=1000)
    pi = inclusion_probabilities(uncertainty, budget, uniform_share=share)
    assert pi.sum() == pytest.approx(budget, rel=1e-9)
    assert pi.min() >= share * budget / 1000 - 1e-12
    assert pi.max() <= 1.0


def test_more_uncertain_outputs_are_drawn_more_often() -> None:
    uncertainty = np.array([0.0, 0.1, 0.5, 1.0, 3.0])
    pi = inclusion_probabilities(uncertainty, 2, uniform_share=0.2)
    assert np.all(np.diff(pi) > 0)
    assert pi[0] == pytest.approx(0.2 * 2 / 5)  # the floor: a known positive probability


def test_the_authors_mixture_when_nothing_is_capped() -> None:
    """pi = (1 - tau) * eta * u + tau * N / M with eta = N / (M * mean(u))."""
    uncertainty = np.random.default_rng(3).uniform(0.5, 1.5, size=400)
    pi = inclusion_probabilities(uncertainty, 40, uniform_share=0.3)
    eta = 40 / (400 * uncertainty.mean())
    assert pi == pytest.approx((1 - 0.3) * eta * uncertainty + 0.3 * 40 / 400)


def test_capped_outputs_are_certain_and_the_rest_still_add_up() -> None:
    uncertainty = np.array([100.0, 50.0, 1.0, 1.0, 1.0, 1.0])
    pi = inclusion_probabilities(uncertainty, 3, uniform_share=0.1)
    assert pi[:2] == pytest.approx([1.0, 1.0])
    assert pi.sum() == pytest.approx(3.0)
    assert np.all(pi[2:] == pi[2])


def test_equal_uncertainty_and_large_budgets() -> None:
    assert inclusion_probabilities(np.full(4, 0.7), 2) == pytest.approx(np.full(4, 0.5))
    assert inclusion_probabilities(np.zeros(4), 1) == pytest.approx(np.full(4, 0.25))
    assert inclusion_probabilities(np.arange(4.0), 9) == pytest.approx(np.ones(4))


def test_budget_beyond_the_uncertain_outputs_spreads_over_the_sure_ones() -> None:
    pi = inclusion_probabilities(np.array([1.0, 1.0, 0.0, 0.0, 0.0, 0.0]), 4)
    assert pi == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.5, 0.5])


@pytest.mark.parametrize(
    ("uncertainty", "budget", "share", "message"),
    [
        ([1.0, np.nan], 1, 0.5, "uncertainty of output 1"),
        ([1.0, -1.0], 1, 0.5, "uncertainty of output 1"),
        ([1.0, 1.0], 0, 0.5, "budget must be a positive"),
        ([1.0, 1.0], 1, 0.0, "uniform_share"),
        ([], 1, 0.5, "no outputs"),
    ],
)
def test_bad_requests_are_refused(
    uncertainty: list[float], budget: float, share: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        inclusion_probabilities(uncertainty, budget, uniform_share=share)


def test_active_draws_are_seeded_and_follow_the_probabilities() -> None:
    pi = np.tile([0.05, 0.5, 0.95], 20_000)
    first, again = draw_active(pi, seed=4), draw_active(pi, seed=4)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, draw_active(pi, seed=5))
    hits = np.bincount(first % 3, minlength=3) / 20_000
    assert hits == pytest.approx([0.05, 0.5, 0.95], abs=0.01)


def test_uniform_draws_have_the_exact_size() -> None:
    drawn = draw_uniform(1000, 37, seed=0)
    assert drawn.size == 37 and np.unique(drawn).size == 37
    assert np.array_equal(drawn, draw_uniform(1000, 37, seed=0))
    assert draw_uniform(5, 9, seed=0).tolist() == [0, 1, 2, 3, 4]


def test_uncertainty_from_level_probabilities_and_swaps() -> None:
    spread = level_spread([[0, 0, 1, 0, 0], [0.5, 0, 0, 0, 0.5]], [1, 2, 3, 4, 5])
    assert spread == pytest.approx([0.0, 2.0])
    assert swap_disagreement([0.9, 0.2], [0.1, 0.2]) == pytest.approx([0.8, 0.0])
    with pytest.raises(ValueError, match="outputs x levels"):
        level_spread([0.5, 0.5], [1, 2])


def _pilot(size: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=size)
    spread = np.where(rng.random(size) < 0.8, 0.2, 2.0)
    return quality + 3, quality + 3.5 + spread * rng.normal(size=size), spread


def test_forecast_without_a_pilot_is_undefined_with_a_reason() -> None:
    forecast = forecast_widths(
        np.ones(100), 10, pilot_human=[4.0], pilot_judge=[4.0], pilot_uncertainty=[1.0]
    )
    assert forecast.reason == NO_PILOT
    assert (forecast.human_only, forecast.uniform, forecast.active) == (None, None, None)
    flat = forecast_widths(
        np.ones(100), 10, pilot_human=[4.0, 4.0], pilot_judge=[3, 4], pilot_uncertainty=[1, 1]
    )
    assert flat.reason == PILOT_CONSTANT


def test_forecast_favours_active_when_uncertainty_predicts_error() -> None:
    y, f, u = _pilot(300, 0)
    population = _pilot(5000, 1)[2]
    forecast = forecast_widths(population, 200, pilot_human=y, pilot_judge=f, pilot_uncertainty=u)
    assert forecast.reason is None
    assert forecast.active is not None and forecast.uniform is not None
    assert forecast.human_only is not None
    assert forecast.active < forecast.uniform < forecast.human_only
    assert forecast.uniform_share < 1.0
    assert forecast.human_equivalent_active is not None
    assert forecast.human_equivalent_active > 200


def test_forecast_falls_back_to_uniform_when_uncertainty_says_nothing() -> None:
    """Tuning the share includes 1.0 (uniform), so active is never forecast worse."""
    y, f, _ = _pilot(300, 2)
    noise = np.random.default_rng(3).exponential(size=300)
    population = np.random.default_rng(4).exponential(size=5000)
    forecast = forecast_widths(
        population, 200, pilot_human=y, pilot_judge=f, pilot_uncertainty=noise
    )
    assert forecast.active is not None and forecast.uniform is not None
    assert forecast.active <= forecast.uniform


def test_forecast_of_rating_everything_is_the_human_only_width() -> None:
    """With every output drawn (pi = 1) the judge adds nothing: Var(Y) / M, as human-only."""
    y, f, u = _pilot(300, 0)
    forecast = forecast_widths(u, 300, pilot_human=y, pilot_judge=f, pilot_uncertainty=u)
    expected = 2 * z_value(0.95) * float(np.sqrt(y.var(ddof=1) / 300))
    assert forecast.human_only == pytest.approx(expected)
    assert forecast.uniform == pytest.approx(expected)
    assert forecast.active == pytest.approx(expected)
