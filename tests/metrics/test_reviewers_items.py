"""Per-reviewer and per-item tables, and ISO week labels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from llmops_core.metrics.coding import matrix_to_long, value_counts
from llmops_core.metrics.items import contested_items, item_statistics
from llmops_core.metrics.reviewers import NO_GOLD, NOT_COMPARED, ReviewerInputs, reviewer_table
from llmops_core.metrics.weeks import iso_weeks

nan = np.nan
SCALE = np.arange(1.0, 6.0)


def inputs(data: list[list[float]]) -> ReviewerInputs:
    """Return reviewer-table inputs for a reviewers x items matrix on a 1-5 scale."""
    array = np.asarray(data, dtype=float)
    unit, rater, score = matrix_to_long(array)
    vidx = (score - 1).astype(np.int64)
    counts = value_counts(unit, vidx, array.shape[1], 5)
    return ReviewerInputs(unit, rater, score, vidx, counts, SCALE, array.shape[0])


def test_reviewer_agreement_with_the_leave_one_out_consensus_by_hand() -> None:
    """Item 1: ann 5 vs mean(3, 4) = 3.5 (rounds half up to 4): bias +1.5, within 1, not exact.

    Item 2: ann 2 vs mean(2, 2) = 2: exact, bias 0. Ann's means: exact 0.5, bias 0.75.
    """
    rows = reviewer_table(inputs([[5, 2], [3, 2], [4, 2]]), ["ann", "bob", "cyd"])
    ann = rows[0]
    assert ann["n_compared"] == 2
    assert ann["exact"] == pytest.approx(0.5)
    assert ann["within_1"] == pytest.approx(1.0)
    assert ann["bias"] == pytest.approx(0.75)
    assert ann["mae"] == pytest.approx(0.75)
    assert ann["pairwise_exact"] == pytest.approx(0.5)  # 0 of 2 others, then 2 of 2


def test_a_harsh_reviewer_has_negative_bias_and_high_pearson() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(2, 6, 300).astype(float)
    data = [truth, truth, np.clip(truth - 1, 1, 5)]
    rows = reviewer_table(inputs(data), ["a", "b", "harsh"])
    assert rows[2]["bias"] == pytest.approx(-1.0)
    assert rows[2]["pearson"] == pytest.approx(1.0)
    assert rows[0]["bias"] > 0


def test_a_reviewer_without_overlap_gets_reasons_not_zeros() -> None:
    rows = reviewer_table(inputs([[1, 2, nan], [2, 2, nan], [nan, nan, 4]]), ["a", "b", "c"])
    lonely = rows[2]
    assert lonely["n_ratings"] == 1 and lonely["n_compared"] == 0
    assert lonely["exact"] is None and lonely["bias"] is None
    assert lonely["reasons"]["exact"] == NOT_COMPARED


def test_gold_accuracy_per_reviewer() -> None:
    data = inputs([[5, 2, 3], [4, 2, 1]])
    gold_per_item = np.array([5.0, nan, 2.0])
    rows = reviewer_table(data, ["a", "b"], gold=gold_per_item[data.unit])
    assert rows[0]["gold"] == {"n": 2, "exact": 0.5, "within_1": 1.0, "mae": 0.5, "bias": 0.5}
    assert rows[1]["gold"]["bias"] == pytest.approx(-1.0)
    none = reviewer_table(data, ["a", "b"], gold=np.full(data.unit.size, nan))
    assert none[0]["gold"]["n"] == 0 and none[0]["reasons"]["gold"] == NO_GOLD


def test_weekly_agreement_splits_by_iso_week() -> None:
    data = inputs([[5, 2], [3, 2], [4, 2]])
    stamps = {0: "2024-01-07T23:00:00", 1: "2024-01-08T01:00:00"}  # Sunday, then Monday
    week, labels = iso_weeks([stamps[int(u)] for u in data.unit])
    rows = reviewer_table(data, ["ann", "bob", "cyd"], week=week, week_labels=labels)
    assert [w["week"] for w in rows[0]["weekly"]] == ["2024-W01", "2024-W02"]
    assert rows[0]["weekly"][0]["bias"] == pytest.approx(1.5)
    assert rows[0]["weekly"][1]["exact"] == pytest.approx(1.0)


def test_iso_weeks_match_python_isocalendar() -> None:
    rng = np.random.default_rng(2)
    days = rng.integers(-2000, 30000, 2000)
    moments = [dt.datetime(1970, 1, 1) + dt.timedelta(days=int(d), hours=13) for d in days]
    codes, labels = iso_weeks(moments)
    for moment, code in zip(moments, codes, strict=True):
        year, week, _ = moment.isocalendar()
        assert labels[code] == f"{year}-W{week:02d}"


def test_iso_weeks_convert_aware_times_to_utc_and_keep_missing() -> None:
    codes, labels = iso_weeks(
        ["2021-01-04T00:30:00+02:00", None, "2021-01-03", "2024-12-30T12:00:00Z"]
    )
    assert [labels[c] if c >= 0 else None for c in codes] == [
        "2020-W53",
        None,
        "2020-W53",
        "2025-W01",
    ]


def test_item_statistics_match_numpy_per_item() -> None:
    rng = np.random.default_rng(4)
    data = rng.integers(1, 6, (4, 50)).astype(float)
    data[rng.random(data.shape) < 0.3] = nan
    unit, _, score = matrix_to_long(data)
    stats = item_statistics(unit, score, 50)
    for item in range(50):
        column = data[:, item][np.isfinite(data[:, item])]
        if column.size == 0:
            assert stats.n[item] == 0 and np.isnan(stats.mean[item])
            continue
        assert stats.mean[item] == pytest.approx(column.mean())
        assert stats.median[item] == pytest.approx(np.median(column))
        assert stats.std[item] == pytest.approx(column.std())
        assert stats.range[item] == pytest.approx(np.ptp(column))


def test_contested_items_come_first_and_are_capped() -> None:
    data = np.array([[1, 3, 5, 2], [1, 4, 1, 2], [1, 3, nan, nan]])
    unit, _, score = matrix_to_long(data)
    summary = contested_items(item_statistics(unit, score, 4), ["a", "b", "c", "d"], limit=2)
    assert [row["item"] for row in summary["most_contested"]] == ["c", "b"]
    assert summary["most_contested"][0]["scores"] == [1.0, 5.0]
    assert summary["n_with_disagreement"] == 2
    assert summary["n_disagreeing_by_more_than_1"] == 1
