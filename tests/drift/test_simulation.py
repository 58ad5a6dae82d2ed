"""Simulation of the in-app family (issue 17): no false alarms beyond 5%, a 10% shift found.

Each simulated pair of weeks carries every signal a drift report tests on outputs: output
and input length (log-normal, log-sd 0.4, whole characters), latency, error and refusal
rates (0/1 per output at 3% and 5%), and a criterion's human and judge scores on 1-5. The
family is decided as ``compare_windows`` decides it: KS for the continuous signals, the 2 x 2
chi-square for rates (every expected count here is above 5, so not Fisher), chi-square on
merged levels for scores, Benjamini-Hochberg across the family, then the minimum effects.
The stack of 500 pairs is tested in vectorised calls, and a few pairs are checked against
``compare_windows`` itself. About 10 seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from llmops_core.metrics.drift import (
    MIN_RELATIVE_CHANGE,
    MIN_SCORE_POINTS,
    benjamini_hochberg,
    compare_windows,
    decide,
)
from llmops_core.metrics.drift.categorical import measure_score
from llmops_core.metrics.drift.compare import MIN_RATE_POINTS
from llmops_core.metrics.drift.continuous import ks_test
from llmops_core.metrics.drift.effects import relative_change
from llmops_core.metrics.drift.vocabulary import chi_square_statistic

pytestmark = pytest.mark.backend_independent  # pure computation

PAIRS, ROWS, ALPHA = 500, 1000, 0.05
CONTINUOUS = ("output_length", "input_length", "latency_ms")
RATES = {"error_rate": 0.03, "refusal_rate": 0.05}
SCORES = ("score:relevance", "judge:relevance")
SHARES = [0.05, 0.1, 0.25, 0.35, 0.25]


def simulate(length_shift: float, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    shape = (PAIRS, ROWS)

    def window(scale: float) -> dict[str, np.ndarray]:
        values = {
            "output_length": np.maximum(
                1, np.round(rng.lognormal(np.log(400), 0.4, shape) * scale)
            ),
            "input_length": np.maximum(1, np.round(rng.lognormal(np.log(200), 0.4, shape))),
            "latency_ms": np.round(rng.lognormal(np.log(800), 0.5, shape)),
        }
        values.update({name: (rng.random(shape) < p).astype(float) for name, p in RATES.items()})
        values.update({n: rng.choice(np.arange(1.0, 6.0), shape, p=SHARES) for n in SCORES})
        return values

    return window(1.0), window(1.0 + length_shift)


def decisions(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> np.ndarray:
    """Return pairs x signals drift decisions, signals in ``compare_windows`` order."""
    from scipy import stats

    p_values, effects, minimums = [], [], []
    for name in CONTINUOUS:
        p_values.append(ks_test(before[name], after[name])[1])
        effects.append(relative_change(before[name].mean(axis=1), after[name].mean(axis=1)))
        minimums.append(MIN_RELATIVE_CHANGE)
    for name in RATES:
        yes_b, yes_a = before[name].sum(axis=1), after[name].sum(axis=1)
        table = np.stack(
            [np.stack([yes_b, ROWS - yes_b], -1), np.stack([yes_a, ROWS - yes_a], -1)], -2
        )
        p_values.append(stats.chi2.sf(chi_square_statistic(table), 1))
        effects.append((yes_a - yes_b) / ROWS)
        minimums.append(MIN_RATE_POINTS)
    for name in SCORES:
        measured = [
            measure_score(name, b, a, minimum=MIN_SCORE_POINTS, draws=0, confidence=0.95, seed=0)
            for b, a in zip(before[name], after[name], strict=True)
        ]
        p_values.append(np.array([s.p_value for s in measured]))
        effects.append(np.array([s.effect for s in measured]))
        minimums.append(MIN_SCORE_POINTS)
    q = benjamini_hochberg(np.column_stack(p_values))
    return np.column_stack(
        [decide(q[:, i], effects[i], minimums[i], ALPHA) for i in range(len(minimums))]
    )


@pytest.fixture(scope="module")
def no_shift() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    before, after = simulate(0.0, seed=21)
    return before, after, decisions(before, after)


@pytest.fixture(scope="module")
def ten_percent() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    before, after = simulate(0.10, seed=22)
    return before, after, decisions(before, after)


def test_without_a_shift_false_alarms_stay_at_or_below_five_percent(no_shift) -> None:  # type: ignore[no-untyped-def]
    """A false alarm is any of the 9 signals of a pair drifting; over 500 pairs, at most 5%."""
    drifted = no_shift[2]
    assert drifted.any(axis=1).mean() <= ALPHA


def test_a_ten_percent_length_shift_is_found_nine_times_in_ten_at_1000_rows(ten_percent) -> None:  # type: ignore[no-untyped-def]
    drifted = ten_percent[2]
    assert drifted[:, 0].mean() >= 0.90
    assert drifted[:, 1:].any(axis=1).mean() <= ALPHA


@pytest.mark.parametrize("pair", [0, 1])
def test_the_vectorised_decisions_are_compare_windows_decisions(ten_percent, pair: int) -> None:  # type: ignore[no-untyped-def]
    before, after, drifted = ten_percent
    report = compare_windows(
        {n: v[pair] for n, v in before.items()}, {n: v[pair] for n, v in after.items()}, draws=0
    )
    order = [*CONTINUOUS, *RATES, *SCORES]
    assert list(report.signals) == [
        "output_length",
        "input_length",
        "latency_ms",
        *RATES,
        "judge:relevance",
        "score:relevance",
    ]
    by_name = {name: signal.drifted for name, signal in report.signals.items()}
    assert [by_name[n] for n in order] == drifted[pair].tolist()
    assert report.signals["refusal_rate"].test == "chi2_2x2"
