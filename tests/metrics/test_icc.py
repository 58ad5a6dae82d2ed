"""Intraclass correlations: Shrout & Fleiss (1979), pingouin, and the block they use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import pytest

from llmops_core.metrics.agreement import icc_estimates
from llmops_core.metrics.coding import matrix_to_long
from llmops_core.metrics.icc import ICC_FORMS, IDENTICAL, icc_block, icc_forms
from tests.metrics.examples import SHROUT_FLEISS_1979

nan = np.nan
# pingouin 0.7 names the forms after McGraw & Wong (1996): A = absolute agreement, C = consistency.
PINGOUIN_NAMES = {
    "ICC1": "ICC(1,1)",
    "ICC2": "ICC(A,1)",
    "ICC3": "ICC(C,1)",
    "ICC1k": "ICC(1,k)",
    "ICC2k": "ICC(A,k)",
    "ICC3k": "ICC(C,k)",
}


def pingouin_iccs(matrix: np.ndarray) -> dict[str, float]:
    """Return pingouin's six ICCs of an items x raters matrix."""
    n, k = matrix.shape
    frame = pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "score": matrix.ravel(),
        }
    )
    table = pingouin.intraclass_corr(frame, targets="target", raters="rater", ratings="score")
    return dict(zip(table["Type"], table["ICC"], strict=True))


@pytest.mark.parametrize(
    ("form", "published"),
    [
        ("ICC1", 0.17),
        ("ICC2", 0.29),
        ("ICC3", 0.71),
        ("ICC1k", 0.44),
        ("ICC2k", 0.62),
        ("ICC3k", 0.91),
    ],
)
def test_icc_matches_shrout_fleiss_1979_table_2(form: str, published: float) -> None:
    """Shrout & Fleiss (1979), 6 targets x 4 judges; published to two decimals."""
    assert round(icc_forms(SHROUT_FLEISS_1979)[form].value, 2) == published


def test_icc_matches_pingouin_on_shrout_fleiss_1979() -> None:
    expected = pingouin_iccs(SHROUT_FLEISS_1979)
    ours = icc_forms(SHROUT_FLEISS_1979)
    for form in ICC_FORMS:
        assert ours[form].value == pytest.approx(expected[PINGOUIN_NAMES[form]], abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_icc_matches_pingouin_on_random_ratings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.normal(3, 1, 60)
    matrix = np.clip(np.round(truth[:, None] + rng.normal(0, 0.8, (60, 4))), 1, 5)
    expected = pingouin_iccs(matrix)
    ours = icc_forms(matrix)
    for form in ICC_FORMS:
        assert ours[form].value == pytest.approx(expected[PINGOUIN_NAMES[form]], abs=1e-9)


def test_icc_of_identical_scores_is_undefined_with_a_reason() -> None:
    forms = icc_forms(np.full((5, 3), 4.0))
    assert all(forms[f].value is None and forms[f].reason == IDENTICAL for f in ICC_FORMS)


def test_icc_of_a_single_item_is_undefined() -> None:
    assert icc_forms(np.array([[1.0, 2.0, 3.0]]))["ICC2"].value is None


def test_icc_block_uses_real_reviewer_columns_when_one_set_rated_most_items() -> None:
    data = np.vstack([SHROUT_FLEISS_1979.T, np.full((1, 6), nan)])
    data[4, 0] = 3.0  # a fifth reviewer on one item leaves it out of the 4-rating block
    unit, rater, score = matrix_to_long(data)
    block = icc_block(unit, rater, score, 6, 5)
    assert not isinstance(block, str)
    assert block.mode == "reviewers" and block.raters_per_item == 4
    assert block.matrix.shape == (5, 4)
    assert list(block.reviewers) == [0, 1, 2, 3]


def test_icc_block_falls_back_to_rater_positions_when_reviewers_rotate() -> None:
    """Three reviewers rotate in pairs over six items: no pair covers half of them."""
    data = np.array(
        [
            [1, 2, nan, nan, 4, 5],
            [2, 2, 3, 4, nan, nan],
            [nan, nan, 3, 5, 4, 4],
        ]
    )
    unit, rater, score = matrix_to_long(data)
    block = icc_block(unit, rater, score, 6, 3)
    assert not isinstance(block, str)
    assert block.mode == "positions" and block.matrix.shape == (6, 2)
    assert icc_estimates(data)["ICC1"].value == pytest.approx(icc_forms(block.matrix)["ICC1"].value)


def test_icc_without_overlap_explains_itself() -> None:
    forms = icc_estimates([[1, 2, nan], [nan, nan, 3]])
    assert forms["ICC1"].value is None and "two reviewers" in forms["ICC1"].reason
