"""Log-spaced latency bins: every latency in its bin, percentiles within the stated accuracy."""

from __future__ import annotations

import math
import random

from llmops_core.metrics.hours import hour_index, period_index, period_start, periods_of
from llmops_core.metrics.latency import (
    BINS,
    RELATIVE_ERROR,
    bin_bounds,
    histogram,
    latency_bin,
    percentiles,
)
from tests.monitoring.helpers import START, nearest_rank


def test_every_latency_falls_in_its_bin() -> None:
    for ms in [*range(0, 5000), *range(5000, 10**8, 997), 2**24, 10**9]:
        index = latency_bin(ms)
        low, high = bin_bounds(index)
        assert low <= ms < high or index == BINS - 1, ms


def test_percentiles_are_within_the_stated_accuracy() -> None:
    rng = random.Random(3)
    for _ in range(50):
        values = [
            int(rng.lognormvariate(rng.uniform(2, 9), rng.uniform(0.1, 1.5))) for _ in range(500)
        ]
        counts: dict[int, int] = {}
        for value in values:
            counts[latency_bin(value)] = counts.get(latency_bin(value), 0) + 1
        found = percentiles(histogram(counts), (0.5, 0.95, 0.99))
        for q, estimate in found.items():
            exact = nearest_rank(values, q)
            assert estimate is not None
            assert abs(estimate - exact) <= RELATIVE_ERROR * exact + 1e-9, (q, exact, estimate)
    assert math.isclose(RELATIVE_ERROR, 2 ** (1 / 16) - 1)


def test_percentile_of_nothing_is_undefined() -> None:
    assert percentiles({}, (0.5, 0.99)) == {0.5: None, 0.99: None}


def test_days_and_iso_weeks_are_integer_periods() -> None:
    hour = hour_index(START.replace(hour=23, minute=59))
    assert [g for g, _ in periods_of(hour)] == [1, 24, 168]
    assert period_start(period_index(hour, "day"), "day") == START.replace(hour=0)
    sunday = START.replace(day=8, hour=23)  # START is a Monday
    assert period_start(period_index(hour_index(sunday), "week"), "week") == START.replace(hour=0)
