"""Fleiss' kappa, Cohen's kappa, Gwet's AC1/AC2 and percent agreement."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from llmops_core.metrics.agreement import (
    cohen_kappa_estimate,
    fleiss_kappa_estimate,
    gwet_ac_estimate,
    percent_agreement_estimate,
)
from llmops_core.metrics.coding import matrix_to_long
from llmops_core.metrics.estimate import ONE_REVIEWER
from llmops_core.metrics.kappa import (
    SINGLE_CATEGORY,
    agreement_weights,
    fleiss_kappa,
    pairwise_tables,
    weighted_kappa,
)
from tests.metrics.examples import (
    COHEN_WIKIPEDIA,
    FLEISS_1971,
    FLEISS_WIKIPEDIA,
    GWET_5_OBSERVERS,
    GWET_ABSTRACTORS,
    GWET_DIAGNOSIS,
    KRIPPENDORFF_2011,
    counts_to_matrix,
    table_to_pairs,
)

nan = np.nan


def test_fleiss_kappa_matches_wikipedia_worked_example() -> None:
    """Wikipedia "Fleiss' kappa": 10 subjects x 14 raters x 5 categories gives 0.210."""
    assert round(fleiss_kappa(FLEISS_WIKIPEDIA).value, 3) == 0.210


def test_fleiss_kappa_matches_fleiss_1971_table_1() -> None:
    """Fleiss (1971): 30 patients, 6 psychiatrists, 5 diagnoses gives 0.430."""
    assert round(fleiss_kappa(FLEISS_1971).value, 3) == 0.430
    assert round(fleiss_kappa_estimate(counts_to_matrix(FLEISS_1971)).value, 3) == 0.430


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_matches_statsmodels_on_random_tables(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.multinomial(5, rng.dirichlet(np.ones(4)), size=200)
    assert fleiss_kappa(table).value == pytest.approx(statsmodels_fleiss(table), abs=1e-12)


def test_fleiss_kappa_uses_items_with_the_most_common_rating_count() -> None:
    """Items rated by a different number of reviewers are left out, not padded."""
    matrix = counts_to_matrix(FLEISS_WIKIPEDIA)
    extra = np.full((14, 3), nan)
    extra[:2] = [[1, 2, 3], [2, 2, 5]]
    assert fleiss_kappa_estimate(np.hstack([matrix, extra])).value == pytest.approx(
        fleiss_kappa(FLEISS_WIKIPEDIA).value
    )


def test_fleiss_kappa_with_a_single_category_is_undefined_not_one() -> None:
    estimate = fleiss_kappa(np.array([[3, 0], [3, 0]]))
    assert estimate.value is None and estimate.reason == SINGLE_CATEGORY


def test_cohen_kappa_matches_wikipedia_worked_example() -> None:
    """Wikipedia "Cohen's kappa": 50 proposals, 20/5/10/15, gives 0.4."""
    a, b = table_to_pairs(COHEN_WIKIPEDIA)
    assert cohen_kappa_estimate(a, b).value == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("table", "published"),
    [
        (GWET_ABSTRACTORS, {"none": 0.796, "linear": 0.843, "quadratic": 0.892}),
        (GWET_DIAGNOSIS, {"none": 0.432, "linear": 0.407, "quadratic": 0.383}),
    ],
)
def test_cohen_kappa_matches_gwet_2014_handbook_tables(table: np.ndarray, published: dict) -> None:
    """Gwet (2014) contingency tables as reproduced by the irrCAC package tests."""
    a, b = table_to_pairs(table)
    for kind, value in published.items():
        assert round(cohen_kappa_estimate(a, b, weights=kind).value, 3) == value


@pytest.mark.parametrize("kind", ["none", "linear", "quadratic"])
@pytest.mark.parametrize("seed", range(4))
def test_cohen_kappa_matches_sklearn_on_random_ratings(kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 6, 300)
    b = np.clip(a + rng.integers(-2, 3, 300), 1, 5)
    expected = cohen_kappa_score(a, b, weights=None if kind == "none" else kind)
    ours = cohen_kappa_estimate(a, b, weights=kind, scale=[1, 2, 3, 4, 5]).value
    assert ours == pytest.approx(expected, abs=1e-12)


def test_weighted_kappa_uses_score_values_on_a_gapped_scale() -> None:
    """On 1,2,3,4,6 the step 4->6 weighs double: kappa_w = 1 - sum(d O) / sum(d E)."""
    rng = np.random.default_rng(3)
    scale = np.array([1, 2, 3, 4, 6], dtype=float)
    a = rng.choice(scale, 200)
    b = np.where(rng.random(200) < 0.6, a, rng.choice(scale, 200))
    observed = np.zeros((5, 5))
    for x, y in zip(np.searchsorted(scale, a), np.searchsorted(scale, b), strict=True):
        observed[x, y] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    distance = np.abs(scale[:, None] - scale[None, :])
    by_hand = 1 - (distance * observed).sum() / (distance * expected).sum()
    ours = cohen_kappa_estimate(a, b, weights="linear", scale=list(scale)).value
    assert ours == pytest.approx(by_hand, abs=1e-12)


def test_pairwise_tables_give_sklearn_kappa_for_every_pair() -> None:
    rng = np.random.default_rng(8)
    data = rng.integers(1, 6, (5, 150)).astype(float)
    data[rng.random(data.shape) < 0.4] = nan
    unit, rater, score = matrix_to_long(data)
    tables = pairwise_tables(unit, rater, (score - 1).astype(np.int64), 5)
    kappas = weighted_kappa(tables.tables, agreement_weights(np.arange(1.0, 6.0), "quadratic"))
    assert tables.rater_a.size == 10
    for a, b, n, kappa in zip(tables.rater_a, tables.rater_b, tables.n, kappas, strict=True):
        both = np.isfinite(data[a]) & np.isfinite(data[b])
        assert n == both.sum()
        expected = cohen_kappa_score(data[a][both], data[b][both], weights="quadratic")
        assert kappa == pytest.approx(expected, abs=1e-12)


def test_cohen_kappa_of_one_shared_category_is_undefined() -> None:
    estimate = cohen_kappa_estimate([2, 2, 2], [2, 2, 2], scale=[1, 2, 3])
    assert estimate.value is None and estimate.reason


@pytest.mark.parametrize(
    ("kind", "published"), [("none", 0.775), ("linear", 0.859), ("quadratic", 0.914)]
)
def test_gwet_ac_matches_gwet_2014_handbook_page_120(kind: str, published: float) -> None:
    """Gwet (2014) p. 120, 4 raters x 12 units (irrCAC raw_4raters): AC1 0.775, AC2 .859/.914."""
    assert round(gwet_ac_estimate(KRIPPENDORFF_2011, weights=kind).value, 3) == published


def test_gwet_ac1_matches_gwet_2014_five_observers_example() -> None:
    """Gwet (2014), 5 observers x 15 units on 0-3 (irrCAC raw_5observers): AC1 0.497."""
    assert round(gwet_ac_estimate(GWET_5_OBSERVERS).value, 3) == 0.497


def test_gwet_ac1_matches_hand_computation() -> None:
    """Items (1,1), (1,2), (2,2) on {1,2}.

    p_a = mean(1, 0, 1) = 2/3; pi = (0.5, 0.5); p_e = sum pi(1 - pi) / (q - 1) = 0.5;
    AC1 = (2/3 - 1/2) / (1 - 1/2) = 1/3.
    """
    assert gwet_ac_estimate([[1, 1, 2], [1, 2, 2]]).value == pytest.approx(1 / 3)


def test_gwet_ac1_counts_every_category_of_the_declared_scale() -> None:
    """With q = 5 declared, p_e = sum pi(1 - pi) / 4 = 0.125, so AC1 = (2/3 - 1/8) / (7/8)."""
    value = gwet_ac_estimate([[1, 1, 2], [1, 2, 2]], scale=[1, 2, 3, 4, 5]).value
    assert value == pytest.approx((2 / 3 - 1 / 8) / (7 / 8))


def test_gwet_ac1_when_every_rating_is_identical_on_a_declared_scale_is_one() -> None:
    """AC1 stays defined when raters agree on one category (its paradox resistance)."""
    assert gwet_ac_estimate([[3, 3], [3, 3]], scale=[1, 2, 3, 4, 5]).value == pytest.approx(1.0)
    undefined = gwet_ac_estimate([[3, 3], [3, 3]])
    assert undefined.value is None and "single" in undefined.reason


def test_percent_agreement_matches_hand_computation() -> None:
    """Item (1,1,2): 2 of 6 ordered pairs equal, all within 1; item (1,3): none. Means 1/6, 1/2."""
    exact, within = percent_agreement_estimate([[1, 1], [1, 3], [2, nan]])
    assert exact.value == pytest.approx(1 / 6)
    assert within.value == pytest.approx(1 / 2)


def test_percent_agreement_of_one_reviewer_is_undefined() -> None:
    exact, within = percent_agreement_estimate([[1, 2, 3]])
    assert exact.value is None and exact.reason == ONE_REVIEWER
    assert within.value is None
