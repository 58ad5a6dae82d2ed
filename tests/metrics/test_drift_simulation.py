"""Simulation: the drift decision on synthetic windows with known shifts (issue 17's criteria).

Output and input lengths are log-normal (median 400 and 200 characters), rounded to whole
characters; scores are 1-5 with fixed shares. How often a shift is found depends on how much
lengths vary: with a log-sd of 0.4 (coefficient of variation 0.42) a 10% shift is found in
at least 90% of pairs at 1,000 rows a side, as the issue asks; with 0.5 (CV 0.53) in about
87%, and the second test pins that down too. Each simulated pair is one family (output_length,
input_length, score:relevance) decided exactly as ``compare_windows`` decides: the same
KS and chi-square tests, Benjamini-Hochberg across the family, then q < 0.05 and the
minimum effect. The stack of 500 pairs is tested in vectorised calls, and a few pairs are
checked against ``compare_windows`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from llmops_core.metrics.drift import MIN_RELATIVE_CHANGE, MIN_SCORE_POINTS, compare_windows, decide
from llmops_core.metrics.drift.categorical import measure_score
from llmops_core.metrics.drift.continuous import ks_test
from llmops_core.metrics.drift.effects import RELATIVE, effect_interval, relative_change
from llmops_core.metrics.drift.fdr import benjamini_hochberg

PAIRS, ROWS, ALPHA = 500, 1000, 0.05

pytestmark = pytest.mark.slow  # about 5 seconds: 2,000 KS tests and 1,500 chi-square tests
SCORE_SHARES = [0.05, 0.1, 0.25, 0.35, 0.25]


@dataclass(frozen=True)
class Stack:
    """PAIRS simulated window pairs, one row per pair."""

    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]


def _lengths(
    rng: np.random.Generator, median: float, log_sd: float, scale: float = 1.0
) -> np.ndarray:
    shape = (PAIRS, ROWS)
    return np.maximum(1, np.round(rng.lognormal(np.log(median), log_sd, shape) * scale))


def simulate(length_shift: float, seed: int, log_sd: float = 0.4) -> Stack:
    """Draw PAIRS pairs of windows; output lengths after are scaled by 1 + length_shift."""
    rng = np.random.default_rng(seed)
    scores = np.arange(1.0, 6.0)
    return Stack(
        before={
            "output_length": _lengths(rng, 400, log_sd),
            "input_length": _lengths(rng, 200, log_sd),
            "score:relevance": rng.choice(scores, (PAIRS, ROWS), p=SCORE_SHARES),
        },
        after={
            "output_length": _lengths(rng, 400, log_sd, 1 + length_shift),
            "input_length": _lengths(rng, 200, log_sd),
            "score:relevance": rng.choice(scores, (PAIRS, ROWS), p=SCORE_SHARES),
        },
    )


def decisions(stack: Stack) -> tuple[np.ndarray, np.ndarray]:
    """Return the p-values and drift decisions, pairs x (output, input, relevance)."""
    p_values, effects, minimums = [], [], []
    for name in ("output_length", "input_length"):
        before, after = stack.before[name], stack.after[name]
        p_values.append(ks_test(before, after)[1])
        effects.append(relative_change(before.mean(axis=1), after.mean(axis=1)))
        minimums.append(MIN_RELATIVE_CHANGE)
    scores = [
        measure_score(
            "score:relevance", b, a, minimum=MIN_SCORE_POINTS, draws=0, confidence=0.95, seed=0
        )
        for b, a in zip(
            stack.before["score:relevance"], stack.after["score:relevance"], strict=True
        )
    ]
    p_values.append(np.array([s.p_value for s in scores]))
    effects.append(np.array([s.effect for s in scores]))
    minimums.append(MIN_SCORE_POINTS)
    p = np.column_stack(p_values)
    q = benjamini_hochberg(p)
    drifted = np.column_stack(
        [decide(q[:, i], effects[i], minimums[i], ALPHA) for i in range(len(minimums))]
    )
    return p, drifted


@pytest.fixture(scope="module")
def no_shift() -> tuple[Stack, np.ndarray, np.ndarray]:
    stack = simulate(0.0, seed=11)
    return (stack, *decisions(stack))


@pytest.fixture(scope="module")
def ten_percent() -> tuple[Stack, np.ndarray, np.ndarray]:
    stack = simulate(0.10, seed=12)
    return (stack, *decisions(stack))


def test_without_a_shift_false_alarms_stay_at_or_below_the_nominal_level(
    no_shift: tuple[Stack, np.ndarray, np.ndarray],
) -> None:
    """A false alarm is any signal of a pair drifting; over 500 pairs, at most 5% of them."""
    _, p, drifted = no_shift
    false_alarm_rate = drifted.any(axis=1).mean()
    assert false_alarm_rate <= ALPHA
    # The tests are not toothless: each still rejects near alpha before the family control.
    assert 0.02 <= (p < ALPHA).mean() <= 0.08


def test_a_ten_percent_length_shift_is_detected_nine_times_in_ten_at_1000_rows(
    ten_percent: tuple[Stack, np.ndarray, np.ndarray],
) -> None:
    _, _, drifted = ten_percent
    assert drifted[:, 0].mean() >= 0.90
    assert drifted[:, 1:].any(axis=1).mean() <= ALPHA  # the unchanged signals stay quiet


def test_more_varied_lengths_need_more_rows_for_the_same_power() -> None:
    """With a log-sd of 0.5 the same shift is found less often (about 87%): the README says so."""
    _, drifted = decisions(simulate(0.10, seed=14, log_sd=0.5))
    assert 0.80 <= drifted[:, 0].mean() < 0.95


@pytest.mark.parametrize("pair", [0, 1, 2])
def test_the_vectorised_decisions_are_compare_windows_decisions(
    ten_percent: tuple[Stack, np.ndarray, np.ndarray], pair: int
) -> None:
    stack, p, drifted = ten_percent
    report = compare_windows(
        {name: values[pair] for name, values in stack.before.items()},
        {name: values[pair] for name, values in stack.after.items()},
        draws=0,
    )
    signals = list(report.signals.values())
    assert [s.p_value for s in signals] == pytest.approx(p[pair].tolist(), rel=1e-12)
    assert [s.drifted for s in signals] == drifted[pair].tolist()


def test_the_interval_of_the_relative_change_covers_the_true_shift() -> None:
    """200 pairs of 300 rows, lengths 10% longer after: the 95% CI covers 0.10 in >= 92%."""
    rng = np.random.default_rng(13)
    covered = 0
    for seed in range(200):
        before = np.round(rng.lognormal(np.log(400), 0.5, 300))
        after = np.round(rng.lognormal(np.log(400), 0.5, 300) * 1.1)
        interval = effect_interval(RELATIVE, before, after, draws=400, confidence=0.95, seed=seed)
        assert interval.low is not None and interval.high is not None
        covered += interval.low <= 0.10 <= interval.high
    assert covered / 200 >= 0.92
