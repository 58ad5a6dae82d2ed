"""The drift engine: tests equal scipy's, q-values equal statsmodels', undefined stays undefined."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from llmops_core.metrics.drift import (
    MIN_RELATIVE_CHANGE,
    MIN_SCORE_POINTS,
    benjamini_hochberg,
    compare_windows,
)
from llmops_core.metrics.drift.categorical import MIN_EXPECTED, level_counts, merge_sparse_levels
from llmops_core.metrics.drift.psi import population_stability_index, quantile_bin_counts

RNG_SEED = 20240601


def _lengths(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    return np.maximum(1, np.round(rng.lognormal(np.log(400 * scale), 0.5, n)))


def _scores(rng: np.random.Generator, n: int, p: list[float]) -> np.ndarray:
    return rng.choice(np.arange(1, len(p) + 1), size=n, p=p).astype(float)


def test_ks_statistic_and_p_value_equal_scipy() -> None:
    rng = np.random.default_rng(RNG_SEED)
    for n_before, n_after in ((40, 55), (800, 1200), (12_000, 11_000)):  # exact and asymptotic
        before, after = _lengths(rng, n_before), _lengths(rng, n_after, 1.05)
        signal = compare_windows({"output_length": before}, {"output_length": after}, draws=0)
        length = signal.signals["output_length"]
        expected = stats.ks_2samp(before, after)
        assert length.test == "ks_2samp"
        assert length.statistic == expected.statistic
        assert length.p_value == expected.pvalue


def test_chi_square_equals_scipy_on_the_level_counts() -> None:
    rng = np.random.default_rng(RNG_SEED)
    before = _scores(rng, 300, [0.1, 0.2, 0.3, 0.4])
    after = _scores(rng, 250, [0.2, 0.2, 0.3, 0.3])
    score = compare_windows({"score:relevance": before}, {"score:relevance": after}).signals[
        "score:relevance"
    ]
    table = [
        [np.sum(before == v) for v in (1, 2, 3, 4)],
        [np.sum(after == v) for v in (1, 2, 3, 4)],
    ]
    expected = stats.chi2_contingency(table, correction=False)
    assert score.test == "chi2" and score.details["levels"] == ["1", "2", "3", "4"]
    assert score.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert score.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert score.details["df"] == 3
    assert score.effect == pytest.approx(after.mean() - before.mean())


def test_sparse_levels_merge_with_a_neighbour_before_the_test() -> None:
    """Levels 1 (3 scores) and 2 (7) join as "1-2"; the test runs on the merged table."""
    before = np.repeat([1.0, 2, 3, 4, 5], [2, 3, 40, 50, 5])
    after = np.repeat([1.0, 2, 3, 4, 5], [1, 4, 30, 60, 5])
    score = compare_windows({"score:tone": before}, {"score:tone": after}).signals["score:tone"]
    assert score.details["levels"] == ["1-2", "3", "4", "5"]
    merged = [[5, 40, 50, 5], [5, 30, 60, 5]]
    expected = stats.chi2_contingency(merged, correction=False)
    assert score.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert score.p_value == pytest.approx(expected.pvalue, rel=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_merged_levels_meet_cochrans_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 11))
    before = _scores(rng, int(rng.integers(20, 200)), list(rng.dirichlet(np.ones(k) * 0.5)))
    after = _scores(rng, int(rng.integers(20, 200)), list(rng.dirichlet(np.ones(k) * 0.5)))
    levels = merge_sparse_levels(*level_counts(before, after))
    n_before, n_after = before.size, after.size
    assert sum(level.before for level in levels) == n_before
    assert all(left.high < right.low for left, right in itertools.pairwise(levels))
    if len(levels) > 1:
        for level in levels:
            pooled = level.before + level.after
            assert min(n_before, n_after) * pooled / (n_before + n_after) >= MIN_EXPECTED


def test_q_values_equal_statsmodels_fdr_bh() -> None:
    rng = np.random.default_rng(RNG_SEED)
    for m in (1, 2, 5, 17, 60):
        p = rng.uniform(0, 0.2, m) ** 2
        p[: m // 3] = p[0]  # ties
        assert np.allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1])


def test_undefined_p_values_stay_out_of_the_family() -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan])
    q = benjamini_hochberg(p)
    assert np.isnan(q[[1, 4]]).all()
    expected = multipletests([0.01, 0.04, 0.03], method="fdr_bh")[1]
    assert np.allclose(q[[0, 2, 3]], expected)


def test_q_values_of_a_stack_of_families_are_computed_row_by_row() -> None:
    rng = np.random.default_rng(RNG_SEED)
    p = rng.uniform(0, 0.1, (50, 4))
    q = benjamini_hochberg(p)
    for row, q_row in zip(p, q, strict=True):
        assert np.allclose(q_row, multipletests(row, method="fdr_bh")[1])


def test_a_shift_beyond_the_minimum_drifts_and_a_tiny_one_does_not() -> None:
    rng = np.random.default_rng(RNG_SEED)
    before = {"output_length": _lengths(rng, 20_000), "input_length": _lengths(rng, 20_000)}
    after = {
        "output_length": _lengths(rng, 20_000, 1.2),
        "input_length": _lengths(rng, 20_000, 1.03),
    }
    report = compare_windows(before, after, draws=200)
    output, inputs = report.signals["output_length"], report.signals["input_length"]
    assert output.drifted is True and output.effect == pytest.approx(0.2, abs=0.02)
    assert output.low is not None and output.high is not None
    assert output.low < output.effect < output.high
    # Significant with 20,000 rows a side, yet 3% is under the 5% minimum: not an alarm.
    assert inputs.q_value is not None and inputs.q_value < 0.05
    assert abs(inputs.effect or 0) < MIN_RELATIVE_CHANGE and inputs.drifted is False
    assert [s.name for s in report.drifted] == ["output_length"]


def test_a_score_drifts_only_beyond_a_tenth_of_a_point() -> None:
    rng = np.random.default_rng(RNG_SEED)
    p_before, p_after = [0.05, 0.1, 0.25, 0.35, 0.25], [0.05, 0.12, 0.27, 0.34, 0.22]
    report = compare_windows(
        {"score:a": _scores(rng, 30_000, p_before), "score:b": _scores(rng, 3000, p_before)},
        {"score:a": _scores(rng, 30_000, p_after), "score:b": _scores(rng, 3000, [0.2] * 5)},
        draws=200,
    )
    small, large = report.signals["score:a"], report.signals["score:b"]
    assert small.q_value is not None and small.q_value < 0.05
    assert abs(small.effect or 0) < MIN_SCORE_POINTS and small.drifted is False
    assert large.drifted is True and large.effect is not None and large.effect < -0.5


def test_the_bootstrap_interval_is_seeded_and_disabled_with_zero_draws() -> None:
    rng = np.random.default_rng(RNG_SEED)
    before, after = {"output_length": _lengths(rng, 500)}, {"output_length": _lengths(rng, 500)}
    first = compare_windows(before, after, draws=300, seed=4).signals["output_length"]
    again = compare_windows(before, after, draws=300, seed=4).signals["output_length"]
    assert (first.low, first.high) == (again.low, again.high)
    none = compare_windows(before, after, draws=0).signals["output_length"]
    assert none.low is None and none.high is None and none.effect == first.effect
    assert none.interval_reason == "bootstrap disabled (0 draws)"


def _assert_undefined(signal_dict: dict[str, object], reason: str) -> None:
    for key in ("statistic", "p_value", "q_value", "effect", "low", "high", "drifted", "psi"):
        assert signal_dict[key] is None, key
    assert reason in str(signal_dict["reason"])


def test_too_few_rows_make_a_signal_undefined_not_zero() -> None:
    report = compare_windows(
        {"output_length": [10, 20, 30, 40, 50, 60], "score:x": [1, 2, 3, 4]},
        {"output_length": [11, 25, 31, 41], "score:x": [1, 2, 3, 4, 5]},
    ).as_dict()
    _assert_undefined(report["signals"]["output_length"], "only 4 rows after have a value")
    _assert_undefined(report["signals"]["score:x"], "only 4 rows before have a value")
    assert report["summary"] == []


def test_constant_data_is_undefined_with_its_reason() -> None:
    report = compare_windows({"score:x": [3] * 50}, {"score:x": [3] * 60}).as_dict()
    _assert_undefined(report["signals"]["score:x"], "every value is 3 in both windows")
    json.dumps(report, allow_nan=False)


def test_a_signal_missing_from_one_window_is_undefined() -> None:
    report = compare_windows({"latency_ms": [100.0] * 10}, {}).as_dict()
    _assert_undefined(report["signals"]["latency_ms"], "no row after has a value")
    assert report["signals"]["latency_ms"]["mean_after"] is None


def test_scores_too_sparse_to_test_after_merging_are_undefined() -> None:
    report = compare_windows({"score:x": [1, 1, 1, 1, 1, 2]}, {"score:x": [1, 2, 2, 2, 2, 2]})
    score = report.signals["score:x"]
    assert score.p_value is None and score.drifted is None
    assert score.reason is not None and "left one level" in score.reason


def test_a_zero_before_mean_leaves_the_relative_change_undefined() -> None:
    report = compare_windows({"cost": [0.0] * 20}, {"cost": [0.01] * 10 + [0.02] * 10})
    cost = report.signals["cost"]
    assert cost.p_value is not None and cost.p_value < 0.05
    assert cost.effect is None and cost.drifted is None
    assert cost.reason == "the before mean is 0, so a relative change is undefined"


def test_an_undefined_signal_does_not_dilute_the_others() -> None:
    rng = np.random.default_rng(RNG_SEED)
    before, after = _lengths(rng, 200), _lengths(rng, 200, 1.1)
    alone = compare_windows({"output_length": before}, {"output_length": after}, draws=0)
    with_undefined = compare_windows(
        {"output_length": before, "score:x": [2] * 3}, {"output_length": after}, draws=0
    )
    q = with_undefined.signals["output_length"].q_value
    assert q == alone.signals["output_length"].q_value == alone.signals["output_length"].p_value


def test_psi_matches_a_hand_computed_value() -> None:
    """50/50 against 30/70 with half a count added per bin: shares .5/.5 and 30.5/101, 70.5/101."""
    a1, a2 = 30.5 / 101, 70.5 / 101
    expected = (a1 - 0.5) * math.log(a1 / 0.5) + (a2 - 0.5) * math.log(a2 / 0.5)
    assert population_stability_index([50, 50], [30, 70]) == pytest.approx(expected)
    assert expected == pytest.approx(0.1659, abs=1e-4)
    assert population_stability_index([10, 20, 30], [10, 20, 30]) == 0.0


def test_psi_bins_are_the_deciles_of_the_before_window() -> None:
    before = np.arange(1.0, 101.0)
    counts_before, counts_after = quantile_bin_counts(before, before + 1000)
    assert counts_before.tolist() == [10] * 10
    assert counts_after.tolist() == [0] * 9 + [100]


def test_signals_are_ordered_lengths_first_then_scores() -> None:
    values = list(range(1, 11))
    names = ["score:b", "cost", "score:a", "input_length", "tokens", "output_length"]
    report = compare_windows(dict.fromkeys(names, values), dict.fromkeys(names, values), draws=0)
    assert list(report.signals) == [
        "output_length",
        "input_length",
        "cost",
        "tokens",
        "score:a",
        "score:b",
    ]


def test_non_finite_values_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        compare_windows({"cost": [1.0, math.nan]}, {"cost": [1.0]})
