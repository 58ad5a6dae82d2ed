"""The judge's calibration curve (mean human label per judge level) and its largest misses.

Per-level intervals are Student t intervals, checked against scipy.stats.t.interval.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from llmops_core.metrics.ppi.calibration import (
    CONSTANT_AT_LEVEL,
    NONE_AT_LEVEL,
    ONE_AT_LEVEL,
    calibration,
)
from llmops_core.metrics.ppi.outputs import ScoredOutputs, scored_outputs


def _outputs() -> ScoredOutputs:
    # judge level 2: humans say 1, 2, 3 (items a-c); level 3: nobody rated; level 4: one
    # output rated 5 twice (d); level 5: two outputs both rated 1 (e, f), the judge's worst.
    return scored_outputs(
        judge_items=np.array(list("abcdefgh")),
        judge_scores=[2, 2, 2, 4, 5, 5, 3, 3],
        human_items=np.array(list("abcddef")),
        human_scores=[1, 2, 3, 5, 5, 1, 1],
    )


def test_each_judge_level_gets_counts_and_a_t_interval() -> None:
    result = calibration(_outputs())
    assert not result.binned
    levels = {row.judge_low: row for row in result.levels}
    assert sorted(levels) == [2.0, 3.0, 4.0, 5.0]
    two = levels[2.0]
    assert (two.n_judged, two.n_rated, two.human_mean) == (3, 3, 2.0)
    low, high = stats.t.interval(0.95, 2, loc=2.0, scale=stats.sem([1, 2, 3]))
    assert (two.low, two.high) == pytest.approx((low, high))
    assert levels[3.0].reason == NONE_AT_LEVEL and levels[3.0].n_judged == 2
    assert levels[4.0].reason == ONE_AT_LEVEL and levels[4.0].human_mean == 5.0
    assert levels[5.0].reason == CONSTANT_AT_LEVEL and levels[5.0].low is None


def test_largest_residuals_come_first_with_their_items() -> None:
    result = calibration(_outputs(), top=3)
    assert [(r.item, r.residual) for r in result.residuals] == [
        ("e", -4.0),
        ("f", -4.0),
        ("a", -1.0),
    ]
    assert result.residuals[0].reviewers == 1 and isinstance(result.residuals[0].item, str)
    assert result.mean_residual.mean == pytest.approx(np.mean([-1, 0, 1, 1, -4, -4]))


def test_a_continuous_judge_is_binned() -> None:
    rng = np.random.default_rng(0)
    judge = rng.uniform(1, 5, 500)
    outputs = scored_outputs(
        judge_items=np.arange(500),
        judge_scores=judge,
        human_items=np.arange(0, 500, 2),
        human_scores=np.round(judge[::2]),
    )
    result = calibration(outputs, bins=4)
    assert result.binned and len(result.levels) == 4
    assert sum(row.n_judged for row in result.levels) == 500
    assert sum(row.n_rated for row in result.levels) == 250
    assert result.levels[-1].judge_high == pytest.approx(judge.max())
    means = [row.human_mean for row in result.levels]
    assert means == sorted(means)  # a calibrated judge: the curve rises


def test_the_json_form_is_plain() -> None:
    import json

    text = json.dumps(calibration(_outputs()).as_dict(), allow_nan=False)
    assert '"residuals"' in text and '"levels"' in text
