"""Judge-vs-humans metrics and the contingency-table rank correlations under them."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from llmops_core.metrics.judge import JUDGE_METRICS, NO_COMMON_ITEMS, judge_agreement
from llmops_core.metrics.tables import kendall_tau_b_from_table, spearman_from_table

nan = np.nan


def crosstab(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the count table of (x, y) over their sorted distinct values."""
    xs, xi = np.unique(x, return_inverse=True)
    ys, yi = np.unique(y, return_inverse=True)
    table = np.zeros((xs.size, ys.size))
    np.add.at(table, (xi, yi), 1)
    return table


@pytest.mark.parametrize("seed", range(6))
def test_table_rank_correlations_match_scipy_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, 500)
    y = np.round((x + rng.integers(1, 6, (3, 500)).sum(axis=0)) / 4, 2)
    table = crosstab(x, y)
    assert spearman_from_table(table) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    tau = stats.kendalltau(x, y, variant="b").statistic
    assert kendall_tau_b_from_table(table) == pytest.approx(tau, abs=1e-12)


def test_table_rank_correlations_batch_over_draws() -> None:
    rng = np.random.default_rng(1)
    tables = rng.integers(0, 9, (7, 4, 6)).astype(float)
    batched = spearman_from_table(tables)
    single = np.array([spearman_from_table(t) for t in tables])
    assert batched == pytest.approx(single)
    assert kendall_tau_b_from_table(tables) == pytest.approx(
        np.array([kendall_tau_b_from_table(t) for t in tables])
    )


def test_constant_variable_gives_undefined_rank_correlation() -> None:
    assert np.isnan(spearman_from_table(np.array([[3.0, 4.0]])))
    assert np.isnan(kendall_tau_b_from_table(np.array([[3.0], [4.0]])))


def humans_and_judge(seed: int, items: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Return 3 humans x items (some missing) and a judge score per item (some missing)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, items)
    humans = np.clip(truth + rng.integers(-1, 2, (3, items)), 1, 5).astype(float)
    humans[rng.random(humans.shape) < 0.2] = nan
    judge = np.clip(truth + rng.choice([-1, 0, 0, 1], items), 1, 5).astype(float)
    judge[rng.random(items) < 0.1] = nan
    return humans, judge


@pytest.mark.parametrize("seed", range(3))
def test_judge_metrics_match_direct_computation(seed: int) -> None:
    """Consensus = mean of human ratings; kappa/exact/within_1 use it rounded half up."""
    humans, judge = humans_and_judge(seed)
    result = judge_agreement(judge, humans, scale=[1, 2, 3, 4, 5], draws=0)
    rated = np.isfinite(humans).any(axis=0) & np.isfinite(judge)
    consensus = np.nanmean(humans[:, rated], axis=0)
    j = judge[rated]
    rounded = np.floor(consensus + 0.5)
    expected = {
        "spearman": stats.spearmanr(j, consensus).statistic,
        "kendall_tau_b": stats.kendalltau(j, consensus, variant="b").statistic,
        "quadratic_kappa": cohen_kappa_score(
            j, rounded, weights="quadratic", labels=[1, 2, 3, 4, 5]
        ),
        "exact": np.mean(j == rounded),
        "within_1": np.mean(np.abs(j - rounded) <= 1),
        "bias": np.mean(j) - np.mean(consensus),
        "alpha_with_judge": krippendorff.alpha(
            np.vstack([humans, judge]), level_of_measurement="ordinal"
        ),
    }
    assert result.n_items == int(rated.sum())
    for name in JUDGE_METRICS:
        assert result.estimates[name].value == pytest.approx(expected[name], abs=1e-9), name


def test_judge_bootstrap_is_seeded_and_brackets_each_estimate() -> None:
    humans, judge = humans_and_judge(5, items=800)
    first = judge_agreement(judge, humans, draws=400, seed=3)
    again = judge_agreement(judge, humans, draws=400, seed=3)
    for name in JUDGE_METRICS:
        interval = first.intervals[name]
        assert (interval.low, interval.high) == (
            again.intervals[name].low,
            again.intervals[name].high,
        )
        assert interval.low <= first.estimates[name].value <= interval.high, name


def test_judge_that_scored_no_human_item_is_undefined_with_reasons() -> None:
    humans = np.array([[1, 2, nan], [2, 2, nan]])
    judge = np.array([nan, nan, 4.0])
    result = judge_agreement(judge, humans, draws=20).as_dict()
    assert result["n_items"] == 0
    assert result["spearman"] is None
    assert result["reasons"]["spearman"] == NO_COMMON_ITEMS


def test_judge_against_constant_consensus_explains_the_undefined_correlation() -> None:
    humans = np.array([[3, 3, 3], [3, 3, 3]], dtype=float)
    judge = np.array([2, 3, 4], dtype=float)
    result = judge_agreement(judge, humans, scale=[1, 2, 3, 4, 5], draws=10)
    assert result.estimates["spearman"].value is None
    assert "constant" in result.estimates["spearman"].reason
    assert result.estimates["bias"].value == pytest.approx(0.0)
