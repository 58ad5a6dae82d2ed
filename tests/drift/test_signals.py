"""The new drift signals against scipy: rates, judge scores, vocabulary; the refusal detector."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import stats

from llmops_core.metrics.drift import compare_windows
from llmops_core.metrics.drift.refusals import REFUSAL_PATTERNS, is_refusal
from llmops_core.metrics.drift.vocabulary import (
    chi_square_statistic,
    measure_vocabulary,
    token_table,
    tokens,
)

pytestmark = pytest.mark.backend_independent  # pure computation


def _rate(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return (rng.random(n) < p).astype(float)


def test_a_rate_with_large_counts_is_scipy_chi_square_on_the_2x2_table() -> None:
    rng = np.random.default_rng(1)
    before, after = _rate(rng, 800, 0.05), _rate(rng, 900, 0.09)
    signal = compare_windows({"error_rate": before}, {"error_rate": after}).signals["error_rate"]
    table = [[before.sum(), 800 - before.sum()], [after.sum(), 900 - after.sum()]]
    expected = stats.chi2_contingency(table, correction=False)
    assert signal.test == "chi2_2x2"
    assert signal.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert signal.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert signal.effect == pytest.approx(after.mean() - before.mean())
    assert signal.low is not None and signal.low < signal.effect < signal.high  # type: ignore[operator]


def test_a_rate_with_small_expected_counts_is_fishers_exact_test() -> None:
    before = np.array([1.0] * 1 + [0.0] * 59)
    after = np.array([1.0] * 6 + [0.0] * 54)
    signal = compare_windows({"refusal_rate": before}, {"refusal_rate": after}).signals[
        "refusal_rate"
    ]
    expected = stats.fisher_exact([[1, 59], [6, 54]])
    assert signal.test == "fisher_exact"
    assert signal.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert signal.statistic == pytest.approx(expected.statistic)


def test_a_rate_that_never_happens_is_undefined_not_zero() -> None:
    zeros = np.zeros(50)
    signal = compare_windows({"refusal_rate": zeros}, {"refusal_rate": zeros}).signals[
        "refusal_rate"
    ]
    assert signal.p_value is None and signal.drifted is None
    assert "nothing varies" in (signal.reason or "")


def test_a_rate_refuses_values_other_than_0_and_1() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        compare_windows({"error_rate": [0, 1, 2, 0, 1]}, {"error_rate": [0, 1, 0, 0, 1]})


def test_judge_scores_are_compared_like_human_scores_and_described_as_the_judges() -> None:
    rng = np.random.default_rng(2)
    before = rng.choice([1.0, 2, 3, 4, 5], 400, p=[0.1, 0.1, 0.2, 0.3, 0.3])
    after = rng.choice([1.0, 2, 3, 4, 5], 400, p=[0.3, 0.2, 0.2, 0.2, 0.1])
    report = compare_windows({"judge:relevance": before}, {"judge:relevance": after})
    signal = report.signals["judge:relevance"]
    counts = [[np.sum(w == v) for v in (1, 2, 3, 4, 5)] for w in (before, after)]
    assert signal.test == "chi2"
    assert signal.p_value == pytest.approx(stats.chi2_contingency(counts, correction=False).pvalue)
    assert signal.sentence is not None and signal.sentence.startswith(
        'Judge scores for "relevance" fell'
    )


def _docs(rng: np.random.Generator, n: int, p: list[float]) -> list[Counter[str]]:
    words = ["alpha", "beta", "gamma", "delta", "refund"]
    return [tokens(" ".join(rng.choice(words, 20, p=p))) for _ in range(n)]


def test_the_vocabulary_statistic_is_scipy_chi_square_on_the_top_k_table() -> None:
    rng = np.random.default_rng(3)
    before, after = (
        _docs(rng, 60, [0.3, 0.3, 0.2, 0.1, 0.1]),
        _docs(rng, 70, [0.2, 0.2, 0.2, 0.1, 0.3]),
    )
    signal = measure_vocabulary(before, after, k=3, draws=200, confidence=0.95, seed=0)
    table = token_table(before, after, 3)
    counts = np.stack([table.counts[~table.after].sum(0), table.counts[table.after].sum(0)])
    assert signal.statistic == pytest.approx(
        stats.chi2_contingency(counts, correction=False).statistic, rel=1e-12
    )
    assert float(chi_square_statistic(counts)) == pytest.approx(signal.statistic)
    shares = counts / counts.sum(axis=1, keepdims=True)
    assert signal.effect == pytest.approx(0.5 * np.abs(shares[0] - shares[1]).sum())
    assert signal.details["top_k"] == 3 and len(table.words) == 3


def test_the_vocabulary_p_value_is_an_exact_count_over_output_permutations() -> None:
    """Oracle: the same permutations, one at a time, with scipy's chi-square statistic."""
    rng = np.random.default_rng(4)
    before, after = (
        _docs(rng, 12, [0.3, 0.3, 0.2, 0.1, 0.1]),
        _docs(rng, 10, [0.2, 0.2, 0.2, 0.1, 0.3]),
    )
    signal = measure_vocabulary(
        before, after, k=4, permutations=99, draws=0, confidence=0.95, seed=5
    )
    table = token_table(before, after, 4)
    replay = np.random.default_rng(5)
    hits = 0
    for _ in range(99):
        labels = replay.permutation(table.after)
        counts = np.stack([table.counts[~labels].sum(0), table.counts[labels].sum(0)])
        counts = counts[:, counts.sum(0) > 0]
        hits += (
            stats.chi2_contingency(counts, correction=False).statistic >= signal.statistic - 1e-9
        )
    assert signal.p_value == pytest.approx((1 + hits) / 100)


def test_the_same_vocabulary_does_not_drift_and_a_new_word_does() -> None:
    rng = np.random.default_rng(6)
    same = measure_vocabulary(
        _docs(rng, 300, [0.2] * 5), _docs(rng, 300, [0.2] * 5), draws=200, confidence=0.95, seed=0
    )
    moved = measure_vocabulary(
        _docs(rng, 300, [0.2] * 5),
        _docs(rng, 300, [0.1, 0.1, 0.1, 0.1, 0.6]),
        draws=200,
        confidence=0.95,
        seed=0,
    )
    report = compare_windows({}, {}, measured=[same])
    assert report.signals["vocabulary"].drifted is False
    drifted = compare_windows({}, {}, measured=[moved]).signals["vocabulary"]
    assert drifted.drifted is True and drifted.details["moved"][0]["token"] == "refund"
    assert drifted.sentence is not None and '"refund"' in drifted.sentence


def test_too_few_outputs_leave_the_vocabulary_undefined() -> None:
    signal = measure_vocabulary(
        [tokens("a b")] * 3, [tokens("a b")] * 9, draws=0, confidence=0.95, seed=0
    )
    assert signal.p_value is None and "at least 5" in (signal.reason or "")


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("I'm sorry, but I can't share that.", True),
        ("I\u2019M SORRY, BUT I CAN\u2019T do that", True),  # typographic apostrophes
        ("As an AI language model, I have no opinions.", True),
        ("I am unable to access your account.", True),
        ("Here is your refund: 20 dollars.", False),
        ("You can't go wrong with this one.", False),
    ],
)
def test_the_refusal_detector(text: str, refused: bool) -> None:
    assert is_refusal(text) is refused
    assert all(p == p.lower() for p in REFUSAL_PATTERNS)
