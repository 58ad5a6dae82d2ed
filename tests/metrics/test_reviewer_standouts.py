"""Reviewers who stand out (bias or agreement), and gold accuracy, as the summary states them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from scipy import stats

from llmops_core.metrics.agreement_report import sections as sec
from llmops_core.metrics.agreement_report.standouts import (
    MIN_COMPARED,
    bias_intervals,
    gold_accuracy,
    gold_sentence,
    reviewer_summary,
    standouts,
)

SPEC = sec.CriterionSpec("tone_of_voice", 1, 5)


def _columns(scores: dict[str, list[float]]) -> sec.Columns:
    """Return ratings of items 0..n-1 by each reviewer (NaN: not rated) on one criterion."""
    item, reviewer, score = [], [], []
    for name, row in scores.items():
        for i, value in enumerate(row):
            if np.isfinite(value):
                item.append(i)
                reviewer.append(name)
                score.append(value)
    n = len(score)
    return sec.Columns(
        item=np.array(item, dtype=object),
        output=np.array(item, dtype=np.int64),
        reviewer=np.array(reviewer, dtype=object),
        criterion=np.array([SPEC.name] * n, dtype=object),
        score=np.array(score, dtype=np.float64),
        when=np.array([datetime(2026, 1, 5, tzinfo=UTC).replace(tzinfo=None)] * n).astype(
            "datetime64[s]"
        ),
    )


def _sections(scores: dict[str, list[float]], gold: dict[int, float] | None = None) -> Any:
    found, _ = sec.criterion_sections(
        _columns(scores),
        [SPEC],
        {(i, SPEC.name): g for i, g in (gold or {}).items()},
        draws=0,
        seed=0,
        progress=lambda _: None,
    )
    return found


def _truth(n: int = 30, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(2, 5, n).astype(float)


def test_bias_interval_is_students_t_over_differences_from_the_others() -> None:
    truth = _truth()
    noise = np.random.default_rng(2).choice([-1.0, 0.0, 1.0], truth.size)
    scores = {"ann": truth, "ben": truth, "cat": np.clip(truth + 1 + noise, 1, 5)}
    cols = _columns(scores)
    found = bias_intervals(cols.item, cols.reviewer, cols.score)
    difference = scores["cat"] - truth  # the others agree, so their mean is the truth
    low, high = stats.t.interval(
        0.95, difference.size - 1, difference.mean(), stats.sem(difference)
    )
    assert found["cat"]["n"] == truth.size
    assert (found["cat"]["low"], found["cat"]["high"]) == pytest.approx((low, high))


def test_a_reviewer_who_rates_a_point_higher_is_named_with_the_numbers() -> None:
    truth = _truth()
    noise = np.random.default_rng(3).choice([0.0, 1.0], truth.size, p=[0.8, 0.2])
    found = _sections({"ann": truth, "ben": truth, "cat": truth + 1 - noise})
    row = next(r for r in found[SPEC.name]["reviewers"] if r["reviewer"] == "cat")
    summary = reviewer_summary(found, [SPEC.name])
    [finding] = [f for f in summary["findings"] if f["kind"] == "bias"]
    assert finding["reviewer"] == "cat" and finding["value"] == pytest.approx(row["bias"])
    text = finding["text"]
    assert text.startswith(f"cat rates tone of voice {abs(row['bias']):.1f} points higher than")
    low, high = (float(x) for x in re.findall(r"CI (\d\.\d) to (\d\.\d)", text)[0])
    assert low == round(row["bias_ci"]["low"], 1) and high == round(row["bias_ci"]["high"], 1)
    assert 0 < low <= row["bias"] <= high
    assert f"{row['n_compared']} items" in text


@pytest.mark.parametrize(
    ("shift", "share", "flagged"),
    [(1.0, 1.0, True), (-1.0, 1.0, True), (1.0, 0.3, False), (0.0, 1.0, False)],
)
def test_bias_must_reach_half_a_point_either_way(shift: float, share: float, flagged: bool) -> None:
    """A point higher (or lower) on every item is named; on 30% of items (bias 0.3) it is not."""
    truth = _truth()
    moved = truth + shift * (np.arange(truth.size) < share * truth.size)
    found = _sections({"ann": truth, "ben": truth, "cat": moved})
    biased = [f for f in standouts(found, [SPEC.name]) if f["kind"] == "bias"]
    assert bool(biased) == flagged
    if flagged:
        word = "higher" if shift > 0 else "lower"
        assert f"points {word} than the other reviewers" in biased[0]["text"]


def test_a_large_bias_whose_interval_includes_zero_is_not_named() -> None:
    rng = np.random.default_rng(5)
    truth = np.full(12, 3.0)
    wild = truth + rng.choice([-2.0, 2.0, 2.0], truth.size)  # mean about +0.7, very spread
    found = _sections({"ann": truth, "ben": truth, "cat": wild})
    row = next(r for r in found[SPEC.name]["reviewers"] if r["reviewer"] == "cat")
    assert abs(row["bias"]) >= 0.5 and row["bias_ci"]["low"] < 0 < row["bias_ci"]["high"]
    assert not [f for f in standouts(found, [SPEC.name]) if f["kind"] == "bias"]


def test_a_reviewer_who_agrees_far_less_than_the_rest_is_named() -> None:
    truth = _truth(40)
    rng = np.random.default_rng(7)
    wrong = np.where(rng.random(truth.size) < 0.6, 6 - truth, truth)  # mirrors 60% of items
    found = _sections({"ann": truth, "ben": truth, "cat": truth, "dan": wrong})
    rows = {r["reviewer"]: r for r in found[SPEC.name]["reviewers"]}
    [finding] = [f for f in standouts(found, [SPEC.name]) if f["kind"] == "agreement"]
    assert finding["reviewer"] == "dan"
    mine, typical = (int(x) for x in re.findall(r"(\d+)%", finding["text"]))
    assert mine == round(100 * rows["dan"]["pairwise_exact"])
    others = [rows[name]["pairwise_exact"] for name in ("ann", "ben", "cat")]
    assert typical == round(100 * float(np.median(others)))
    assert mine < typical


def test_no_one_stands_out_and_too_few_items_are_said_so() -> None:
    truth = _truth()
    calm = reviewer_summary(_sections({"ann": truth, "ben": truth}), [SPEC.name])
    assert calm["findings"] == []
    assert calm["sentences"] == ["No reviewer stands out on tone of voice by the rule below."]
    few = truth[: MIN_COMPARED - 1]
    small = _sections({"ann": few, "ben": few + 1})
    assert standouts(small, [SPEC.name]) == []
    apart = np.full(4, np.nan)
    alone = _sections({"ann": np.array([1.0, 2, np.nan, np.nan]), "ben": apart})
    assert reviewer_summary(alone, [SPEC.name])["sentences"] == [
        "Reviewers cannot be compared: no item was rated by two or more of them."
    ]


def test_gold_accuracy_per_reviewer_over_criteria() -> None:
    truth = _truth(20)
    gold = {i: truth[i] for i in range(10)}
    ben = truth.copy()
    ben[:4] += 1  # wrong on 4 of the 10 gold items
    found = _sections(
        {"ann": truth, "ben": np.clip(ben, 1, 5), "cat": np.r_[np.full(10, np.nan), truth[10:]]},
        gold,
    )
    rows = {g["reviewer"]: g for g in gold_accuracy(found)}
    assert (rows["ann"]["n"], rows["ann"]["exact"]) == (10, 1.0)
    assert (rows["ben"]["n"], rows["ben"]["exact"]) == (10, pytest.approx(0.6))
    assert (rows["cat"]["n"], rows["cat"]["exact"]) == (0, None)
    assert gold_sentence(gold_accuracy(found)) == (
        "On gold items (scores set in advance): ann matched the gold score in 100% of 10 "
        "ratings; ben matched the gold score in 60% of 10 ratings; cat rated no gold item."
    )
    assert gold_sentence(gold_accuracy(_sections({"ann": truth, "ben": truth}))) is None
