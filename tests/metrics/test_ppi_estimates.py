"""Per-output arrays from per-rating arrays, and the three estimates of one criterion.

The labelled set is the outputs with a human rating (label = mean of its reviewers); the
unlabelled set the other outputs with a judge score (issue 15). PPI++ is checked against the
authors' ppi-python package.
"""

from __future__ import annotations

import numpy as np
import pytest

from llmops_core.metrics.ppi.estimates import LABELLED_SET, estimate_outputs
from llmops_core.metrics.ppi.mean import NO_HUMAN, NO_JUDGE, NO_LABELLED
from llmops_core.metrics.ppi.outputs import ScoredOutputs, scored_outputs
from tests.metrics.oracle import import_ppi_py

ppi_py = import_ppi_py()


def _outputs() -> ScoredOutputs:
    return scored_outputs(
        judge_items=np.array(["a", "b", "c", "d", "e"]),
        judge_scores=[4, 3, 3, 5, 1],
        human_items=np.array(["a", "a", "b", "c", "f"]),
        human_scores=[4, 5, 2, 3, 2],
        probability=(np.array(["a", "b", "c", "f", "zz"]), [0.5, 0.5, 0.25, 1.0, 0.3]),
        inputs=(np.array(["a", "b"]), np.array(["row-1", "row-2"], dtype=object)),
    )


def test_a_label_is_the_mean_of_its_reviewers() -> None:
    outputs = _outputs()
    assert outputs.item.tolist() == ["a", "b", "c", "d", "e", "f"]
    assert outputs.human[:3] == pytest.approx([4.5, 2.0, 3.0])
    assert outputs.reviewers.tolist() == [2, 1, 1, 0, 0, 1]
    assert np.isnan(outputs.judge[5]) and np.isnan(outputs.human[3])
    assert outputs.labelled.tolist() == [True, True, True, False, False, False]
    assert outputs.unlabelled.tolist() == [False, False, False, True, True, False]
    assert outputs.probability is not None
    assert outputs.probability[:3] == pytest.approx([0.5, 0.5, 0.25])
    assert outputs.input is not None and outputs.input.tolist()[:3] == ["row-1", "row-2", None]


def test_listed_outputs_nobody_scored_are_kept() -> None:
    outputs = scored_outputs(
        judge_items=np.array([3]),
        judge_scores=[2.0],
        human_items=np.array([], dtype=np.int64),
        human_scores=[],
        outputs=np.array([1, 2, 3]),
    )
    assert outputs.item.tolist() == [1, 2, 3] and int(outputs.judged.sum()) == 1


def test_a_judge_scoring_an_output_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="scored output 'a' twice"):
        scored_outputs(
            judge_items=np.array(["a", "a"]),
            judge_scores=[1, 2],
            human_items=np.array(["a"]),
            human_scores=[3],
        )


def test_a_rated_output_needs_a_valid_probability() -> None:
    with pytest.raises(ValueError, match=r"not in \(0, 1\]"):
        scored_outputs(
            judge_items=np.array(["a"]),
            judge_scores=[1],
            human_items=np.array(["a"]),
            human_scores=[3],
            probability=(np.array(["b"]), [0.5]),
        )


def test_estimates_match_the_oracle_and_count_the_sets() -> None:
    rng = np.random.default_rng(0)
    items = np.arange(2000)
    quality = rng.integers(1, 6, 2000)
    judge = np.clip(quality + rng.choice([-1, 0, 1], 2000), 1, 5).astype(float)
    rated = np.repeat(rng.choice(items, 150, replace=False), 2)
    human = np.clip(quality[rated] + rng.choice([-1, 0, 0, 1], rated.size), 1, 5).astype(float)
    outputs = scored_outputs(
        judge_items=items, judge_scores=judge, human_items=rated, human_scores=human
    )
    result = estimate_outputs(outputs)
    y, f = outputs.human[outputs.labelled], outputs.judge[outputs.labelled]
    low, high = ppi_py.ppi_mean_ci(y, f, outputs.judge[outputs.unlabelled], alpha=0.05)
    assert (result.ppi.low, result.ppi.high) == pytest.approx(
        (float(np.ravel(low)[0]), float(np.ravel(high)[0])), abs=1e-6
    )
    assert (result.ppi.n_human, result.ppi.n_judge) == (150, 1850)
    assert result.human_only.n == 150 and result.judge_only.n == 2000
    assert result.judge_only.mean == pytest.approx(judge.mean())
    assert result.human_only.mean == pytest.approx(y.mean())
    assert result.notes == (LABELLED_SET,)
    assert not result.sample_check.suspect


def test_human_rated_outputs_without_a_judge_score_are_noted() -> None:
    result = estimate_outputs(_outputs())
    assert result.human_only.n == 4  # a, b, c and f
    assert result.ppi.n_human == 3
    assert "1 human-rated output has no judge score" in result.notes[1]
    assert result.sampling == "inclusion_probabilities"
    data = result.as_dict()
    assert set(data) >= {"human_only", "judge_only", "ppi", "sample_check", "notes"}
    assert set(data["ppi"]) >= {"n_human", "n_judge", "lambda", "effective_n", "reason"}


def test_nothing_rated_and_nothing_judged_say_why() -> None:
    judged_only = estimate_outputs(
        scored_outputs(
            judge_items=np.array([1, 2, 3]),
            judge_scores=[1.0, 2, 3],
            human_items=np.array([], dtype=np.int64),
            human_scores=[],
        )
    )
    assert judged_only.human_only.mean is None and judged_only.human_only.reason == NO_HUMAN
    assert judged_only.ppi.reason == NO_LABELLED and judged_only.judge_only.mean == 2.0
    rated_only = estimate_outputs(
        scored_outputs(
            judge_items=np.array([], dtype=np.int64),
            judge_scores=[],
            human_items=np.array([1, 2]),
            human_scores=[2.0, 4.0],
        )
    )
    assert rated_only.judge_only.reason == NO_JUDGE and rated_only.human_only.mean == 3.0


def _study(pick: str) -> ScoredOutputs:
    rng = np.random.default_rng(1)
    quality = rng.normal(size=3000)
    judge = quality + rng.normal(scale=0.3, size=3000)
    chosen = (
        np.argsort(-judge)[:200]  # a lead who picked the outputs the judge liked best
        if pick == "best"
        else rng.choice(3000, 200, replace=False)
    )
    return scored_outputs(
        judge_items=np.arange(3000),
        judge_scores=judge,
        human_items=chosen,
        human_scores=quality[chosen],
    )


def test_a_hand_picked_sample_is_flagged_and_a_random_one_is_not() -> None:
    picked = estimate_outputs(_study("best")).sample_check
    random = estimate_outputs(_study("random")).sample_check
    assert picked.suspect and picked.z is not None and picked.z > 10
    assert picked.message is not None and "not valid" in picked.message
    assert not random.suspect and random.z is not None and abs(random.z) < 3
