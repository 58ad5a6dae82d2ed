"""Paired comparisons: bootstrap CI, Wilcoxon signed-rank, Wilson intervals, verdict, sample size.

Checked against scipy (``stats.bootstrap``, ``stats.wilcoxon``), statsmodels (Wilson interval,
normal power) and small cases computed by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

from llmops_core.metrics.bootstrap import Interval
from llmops_core.metrics.sample_size import required_pairs
from llmops_core.metrics.significance import (
    ALL_ZERO,
    BETTER,
    NO_PAIRS,
    NOT_DISTINGUISHABLE,
    ONE_PAIR,
    WORSE,
    SignedRankTest,
    decide,
    headline,
    min_signed_rank_n,
    outcome_counts,
    paired_bootstrap_ci,
    paired_compare,
    verdict_sentence,
    wilcoxon_signed_rank,
    wilson_interval,
    win_tie_loss,
)


def paired_scores(seed: int, n: int = 40, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Return consensus-like scores (means of 3 ratings on 1-5) for a candidate and a baseline."""
    rng = np.random.default_rng(seed)
    base = np.clip(rng.integers(1, 6, (n, 3)), 1, 5).mean(axis=1)
    cand = np.clip(base + rng.normal(shift, 0.8, n), 1, 5).round(2)
    return cand, base


# Bootstrap interval -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_bootstrap_interval_matches_scipy_percentile_bootstrap(seed: int) -> None:
    cand, base = paired_scores(seed, shift=0.3)
    diffs = cand - base
    ours = paired_bootstrap_ci(diffs, draws=20_000, seed=seed)
    theirs = stats.bootstrap(
        (diffs,),
        np.mean,
        n_resamples=20_000,
        method="percentile",
        confidence_level=0.95,
        random_state=np.random.default_rng(100 + seed),
    ).confidence_interval
    assert ours.low == pytest.approx(theirs.low, abs=0.03)
    assert ours.high == pytest.approx(theirs.high, abs=0.03)
    assert ours.valid_draws == 20_000


def test_bootstrap_interval_is_seeded() -> None:
    diffs = paired_scores(1, shift=0.2)[0] - paired_scores(1, shift=0.2)[1]
    first = paired_bootstrap_ci(diffs, draws=500, seed=7)
    assert paired_bootstrap_ci(diffs, draws=500, seed=7) == first
    assert paired_bootstrap_ci(diffs, draws=500, seed=8) != first


def test_bootstrap_interval_of_constant_differences_is_a_point() -> None:
    interval = paired_bootstrap_ci([0.5, 0.5, 0.5, 0.5], draws=200)
    assert (interval.low, interval.high) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("diffs", "reason"), [([], NO_PAIRS), ([1.0], ONE_PAIR), ([np.nan, 2.0], ONE_PAIR)]
)
def test_bootstrap_interval_explains_why_it_is_missing(diffs: list[float], reason: str) -> None:
    interval = paired_bootstrap_ci(diffs)
    assert interval.low is None and interval.high is None
    assert interval.reason == reason


# Wilcoxon signed-rank ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_signed_rank_matches_scipy(seed: int) -> None:
    cand, base = paired_scores(seed, n=30 + 10 * seed, shift=0.2)
    diffs = cand - base
    expected = stats.wilcoxon(diffs)
    result = wilcoxon_signed_rank(diffs)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.n_nonzero == int(np.count_nonzero(diffs))


def test_signed_rank_hand_computed_all_positive() -> None:
    """Six positive differences: the exact two-sided p is 2 / 2**6 = 0.03125, W = 0."""
    result = wilcoxon_signed_rank([1, 2, 3, 4, 5, 6])
    assert result.p_value == pytest.approx(0.03125)
    assert result.statistic == 0.0


def test_signed_rank_drops_zero_differences() -> None:
    with_zeros = wilcoxon_signed_rank([0, 0, 1, 2, 3, 4, 5, 6])
    assert with_zeros.p_value == pytest.approx(0.03125)
    assert (with_zeros.n, with_zeros.n_nonzero) == (8, 6)


def test_signed_rank_all_zero_differences_mean_no_evidence() -> None:
    result = wilcoxon_signed_rank([0.0] * 12)
    assert result.p_value == 1.0
    assert result.reason == ALL_ZERO


def test_signed_rank_with_too_few_differences_gives_no_p_and_says_why() -> None:
    result = wilcoxon_signed_rank([1, 2, 0, 3, 4, 5])
    assert result.p_value is None
    assert "only 5 paired inputs differ" in (result.reason or "")
    assert "at least 6" in (result.reason or "")


def test_signed_rank_without_pairs() -> None:
    assert wilcoxon_signed_rank([]).reason == NO_PAIRS


@pytest.mark.parametrize(("alpha", "n"), [(0.05, 6), (0.01, 8), (0.0625, 6), (0.1, 5)])
def test_min_signed_rank_n_is_where_the_smallest_exact_p_drops_below_alpha(
    alpha: float, n: int
) -> None:
    assert min_signed_rank_n(alpha) == n
    assert 2 / 2**n < alpha <= 2 / 2 ** (n - 1)


# Win / tie / loss ----------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(0, 10), (5, 10), (10, 10), (17, 60), (1, 1)])
def test_wilson_interval_matches_statsmodels(k: int, n: int) -> None:
    low, high = wilson_interval(k, n)
    expected = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert (low, high) == pytest.approx(expected, abs=1e-12)


def test_wilson_interval_hand_computed() -> None:
    """5 of 10 at 95%: (0.2366, 0.7634)."""
    low, high = wilson_interval(5, 10)
    assert round(low, 4) == 0.2366 and round(high, 4) == 0.7634


def test_win_tie_loss_rates_and_preference() -> None:
    result = win_tie_loss(6, 2, 2)
    assert result["n"] == 10
    assert result["win"]["rate"] == 0.6
    assert result["tie"]["count"] == 2
    assert result["preference"] == pytest.approx(0.7)
    assert result["loss"]["ci_low"] < 0.2 < result["loss"]["ci_high"]


def test_win_tie_loss_without_pairs() -> None:
    result = win_tie_loss(0, 0, 0)
    assert result["win"]["rate"] is None and result["preference"] is None


def test_outcome_counts_from_differences() -> None:
    assert outcome_counts([0.5, 0, -1, 2, np.nan]) == (2, 1, 1)


# Sample size ----------------------------------------------------------------------------------


def test_required_pairs_hand_computed() -> None:
    """Mean 0.5, SD 1: ((1.95996 + 0.84162) / 0.5)^2 = 31.39, so 32 pairs."""
    diffs = np.array([1.5, -0.5] * 10)  # mean 0.5, sd (ddof 1) = 1.026
    size = required_pairs(diffs)
    sd = diffs.std(ddof=1)
    expected = math.ceil(((1.959964 + 0.841621) * sd / 0.5) ** 2)
    assert size.required == expected
    assert size.more == expected - 20


def test_required_pairs_matches_statsmodels_normal_power() -> None:
    diffs = paired_scores(3, n=50, shift=0.15)[0] - paired_scores(3, n=50, shift=0.15)[1]
    effect = abs(diffs.mean()) / diffs.std(ddof=1)
    expected = NormalIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8, ratio=0)
    assert required_pairs(diffs).required == math.ceil(expected)


@pytest.mark.parametrize(
    ("diffs", "words"),
    [
        ([1.0], "fewer than two"),
        ([1.0, -1.0, 0.0], "mean difference is zero"),
        ([0.5, 0.5, 0.5], "every paired difference is the same"),
    ],
)
def test_required_pairs_says_when_it_cannot_be_estimated(diffs: list[float], words: str) -> None:
    size = required_pairs(diffs)
    assert size.required is None and size.more is None
    assert words in (size.reason or "")


# Verdict --------------------------------------------------------------------------------------


def interval(low: float | None, high: float | None) -> Interval:
    return Interval(low, high, 0.95, 1000, 1000)


@pytest.mark.parametrize(
    ("low", "high", "p", "verdict"),
    [
        (0.1, 0.5, 0.01, BETTER),
        (-0.5, -0.1, 0.01, WORSE),
        (-0.1, 0.3, 0.40, NOT_DISTINGUISHABLE),
        (0.01, 0.3, 0.07, NOT_DISTINGUISHABLE),  # tests disagree
        (-0.05, 0.3, 0.03, NOT_DISTINGUISHABLE),  # tests disagree
        (0.1, 0.5, None, NOT_DISTINGUISHABLE),  # too few to test
        (None, None, 0.01, NOT_DISTINGUISHABLE),
    ],
)
def test_decide(low: float | None, high: float | None, p: float | None, verdict: str) -> None:
    test = SignedRankTest(20, 20, 10.0, p, None if p is not None else "too few")
    assert decide(interval(low, high), test)[0] == verdict


def test_paired_compare_finds_a_clear_improvement() -> None:
    cand, base = paired_scores(11, n=60, shift=0.8)
    result = paired_compare(cand, base, draws=1000, seed=1)
    assert result.verdict == BETTER
    assert result.n == 60
    assert result.mean_difference == pytest.approx(float((cand - base).mean()))
    assert result.sample_size.more == 0
    assert result.outcomes["win"]["count"] > result.outcomes["loss"]["count"]


def test_paired_compare_finds_a_clear_regression() -> None:
    cand, base = paired_scores(12, n=60, shift=-0.8)
    assert paired_compare(cand, base, draws=1000).verdict == WORSE


def test_paired_compare_drops_inputs_missing_on_either_side() -> None:
    result = paired_compare([4, np.nan, 3, 5], [3, 2, np.nan, 4], draws=100)
    assert result.n == 2
    assert result.mean_difference == 1.0


def test_paired_compare_rejects_unpaired_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        paired_compare([1, 2], [1])


def test_verdict_sentence_for_not_distinguishable_says_how_many_more() -> None:
    cand, base = paired_scores(5, n=20, shift=0.1)
    result = paired_compare(cand, base, draws=500).as_dict()
    assert result["verdict"] == NOT_DISTINGUISHABLE
    text = verdict_sentence("fluency", result, candidate="v3", baseline="v1")
    assert text.startswith("v3 and v1 are not distinguishable on fluency with this much data")
    assert f"About {result['sample_size']['more']} more paired inputs" in text


def test_verdict_sentence_for_better_gives_numbers() -> None:
    result = paired_compare([5, 5, 4, 5, 4, 5, 5, 4], [3, 2, 3, 3, 2, 3, 3, 2], draws=500)
    text = verdict_sentence("relevance", result.as_dict(), candidate="v3", baseline="v1")
    assert text.startswith("v3 is better than v1 on relevance (+2.00; 95% CI")
    assert "8 paired inputs" in text


def test_verdict_sentence_without_pairs() -> None:
    result = paired_compare([], [], draws=10).as_dict()
    assert "cannot be compared" in verdict_sentence("x", result, candidate="a", baseline="b")


def test_headline_groups_criteria() -> None:
    text = headline(
        {"fluency": NOT_DISTINGUISHABLE, "relevance": BETTER, "factuality": BETTER},
        candidate="v3",
        baseline="v1",
    )
    assert text == (
        "v3 vs v1: better on relevance and factuality; not distinguishable on "
        "fluency with this much data."
    )
