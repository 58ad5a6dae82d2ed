"""The seeded sampler: reproducible draws and a percentage rate that holds statistically."""

from __future__ import annotations

import math

from annotate.services.routing.sampler import sample_draw, sample_included


def test_the_same_seed_and_output_always_give_the_same_draw() -> None:
    draws = [sample_draw(7, i) for i in range(1000)]
    assert draws == [sample_draw(7, i) for i in range(1000)]
    assert draws != [sample_draw(8, i) for i in range(1000)]
    assert all(0 <= d < 1 for d in draws)


def test_a_percentage_rate_draws_its_share_within_four_standard_errors() -> None:
    """Over 100,000 outputs at 10%, the share drawn is 10% give or take 4 binomial SEs."""
    n, p = 100_000, 0.1
    drawn = sum(sample_included(12345, i, p) for i in range(1, n + 1))
    se = math.sqrt(n * p * (1 - p))
    assert abs(drawn - n * p) < 4 * se, drawn


def test_the_draws_are_uniform_by_a_kolmogorov_smirnov_test() -> None:
    from scipy import stats

    draws = [sample_draw(99, i) for i in range(20_000)]
    assert stats.kstest(draws, "uniform").pvalue > 0.001


def test_probability_one_draws_everything() -> None:
    assert all(sample_included(1, i, 1.0) for i in range(100))
