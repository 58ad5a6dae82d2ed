"""Krippendorff's alpha: published examples, the krippendorff package, degenerate data, CIs."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from llmops_core.metrics.agreement import (
    krippendorff_alpha,
    krippendorff_alpha_estimate,
    krippendorff_alpha_interval,
)
from llmops_core.metrics.bootstrap import resampled_multiplicities
from llmops_core.metrics.coding import collapse_rows, distinct_values, matrix_value_counts
from llmops_core.metrics.estimate import NO_OVERLAP, NO_VARIATION, ONE_REVIEWER
from llmops_core.metrics.krippendorff import (
    LEVELS,
    alpha_bootstrap,
    alpha_estimate,
    coincidence_matrix,
)
from tests.metrics.examples import KRIPPENDORFF_2011, KRIPPENDORFF_PACKAGE_DOCTEST

nan = np.nan


def random_reliability_data(seed: int, raters: int = 6, items: int = 400) -> np.ndarray:
    """Return noisy 1-5 ratings around a true score with about 35% missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, items)
    data = np.clip(truth + rng.integers(-2, 3, (raters, items)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.35] = nan
    return data


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_matches_krippendorff_2011_reliability_example(level: str, published: float) -> None:
    """Krippendorff (2011), 4 observers x 12 units with missing values."""
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level), 3) == published


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.691358), ("interval", 0.810845)])
def test_alpha_matches_krippendorff_package_doctest_example(level: str, published: float) -> None:
    """The krippendorff package's documented 3 coders x 15 units example."""
    assert round(krippendorff_alpha(KRIPPENDORFF_PACKAGE_DOCTEST, level), 6) == published


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_krippendorff_package_on_random_data(level: str, seed: int) -> None:
    data = random_reliability_data(seed)
    expected = krippendorff.alpha(data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_matches_package_with_a_value_domain_holding_unobserved_values(level: str) -> None:
    """Unobserved levels of the domain change nothing, as in the krippendorff package."""
    data = random_reliability_data(7)
    data[data == 3] = 2
    domain = [1, 2, 3, 4, 5, 6]
    expected = krippendorff.alpha(data, value_domain=domain, level_of_measurement=level)
    assert krippendorff_alpha(data, level, domain) == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha(data, level, domain) == pytest.approx(
        krippendorff_alpha(data, level), abs=1e-12
    )


def test_ordinal_alpha_on_labels_follows_the_value_domain_order() -> None:
    """The package's doctest: the 2011 example with labels gives ordinal 0.815."""
    names = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    labelled = [[names.get(v) if v == v else None for v in row] for row in KRIPPENDORFF_2011]
    domain = ["very low", "low", "mid", "high", "very high"]
    assert round(krippendorff_alpha(labelled, "ordinal", domain), 3) == 0.815
    assert round(krippendorff_alpha(labelled, "nominal"), 3) == 0.743


def test_alpha_rejects_values_outside_the_domain() -> None:
    with pytest.raises(ValueError, match="not on the scale"):
        krippendorff_alpha([[1, 2, 7], [1, 2, 3]], "ordinal", [1, 2, 3])


def test_units_rated_once_drop_out() -> None:
    data = KRIPPENDORFF_2011.copy()
    extra = np.full((4, 3), nan)
    extra[0] = [5, 1, 4]  # three units with a single rating each
    widened = np.hstack([data, extra])
    for level in LEVELS:
        assert krippendorff_alpha(widened, level) == pytest.approx(
            krippendorff_alpha(data, level), abs=1e-12
        )


def test_one_reviewer_is_undefined_with_a_reason() -> None:
    estimate = krippendorff_alpha_estimate([[1, 2, 3, 4]], "interval")
    assert estimate.value is None
    assert estimate.reason == ONE_REVIEWER


def test_reviewers_who_never_overlap_are_undefined_with_a_reason() -> None:
    estimate = krippendorff_alpha_estimate([[1, 2, nan, nan], [nan, nan, 3, 4]], "nominal")
    assert estimate.value is None
    assert estimate.reason == NO_OVERLAP


@pytest.mark.parametrize("level", LEVELS)
def test_identical_ratings_are_undefined_not_one(level: str) -> None:
    estimate = krippendorff_alpha_estimate([[3, 3, 3], [3, 3, nan]], level)
    assert estimate.value is None
    assert estimate.reason == NO_VARIATION


def test_coincidence_matrix_reproduces_krippendorff_2011_table() -> None:
    """Krippendorff (2011) section C: pairable values n_c = 9, 13, 10, 5, 3 (n = 40)."""
    values = distinct_values(KRIPPENDORFF_2011[np.isfinite(KRIPPENDORFF_2011)])
    o = coincidence_matrix(matrix_value_counts(KRIPPENDORFF_2011, values))
    assert o.sum(axis=0) == pytest.approx([9, 13, 10, 5, 3])
    assert o.sum() == pytest.approx(40)


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate() -> None:
    data = random_reliability_data(3, items=600)
    first = krippendorff_alpha_interval(data, "ordinal", draws=300, seed=11)
    again = krippendorff_alpha_interval(data, "ordinal", draws=300, seed=11)
    other = krippendorff_alpha_interval(data, "ordinal", draws=300, seed=12)
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)
    assert first.low < krippendorff_alpha(data, "ordinal") < first.high
    assert first.valid_draws == first.draws == 300


@pytest.mark.parametrize("level", LEVELS)
def test_each_bootstrap_draw_equals_alpha_of_the_resampled_items(level: str) -> None:
    """A draw's alpha, from summed per-unit coincidences, equals the package on that sample."""
    data = random_reliability_data(4, raters=4, items=120)
    values = distinct_values(data[np.isfinite(data)])
    counts = matrix_value_counts(data, values)
    pairable = counts[counts.sum(axis=1) >= 2]
    types, multiplicity, inverse = collapse_rows(pairable)
    columns = np.flatnonzero(counts.sum(axis=1) >= 2)
    weights = next(resampled_multiplicities(multiplicity, 3, np.random.default_rng(5)))
    for draw in weights.astype(int):
        chosen = np.concatenate(
            [np.repeat(columns[inverse == k][:1], w) for k, w in enumerate(draw) if w]
        )
        sample = data[:, chosen]
        direct = alpha_estimate(types.repeat(draw, axis=0), level, values, 4).value
        assert direct == pytest.approx(
            krippendorff.alpha(sample, value_domain=values, level_of_measurement=level), abs=1e-9
        )


def test_bootstrap_without_pairable_items_explains_itself() -> None:
    counts = np.array([[1, 0], [0, 1]])
    interval = alpha_bootstrap(
        counts, np.array([1.0, 2.0]), draws=50, rng=np.random.default_rng(0)
    )["nominal"]
    assert interval.low is None and interval.high is None
    assert interval.reason


def test_many_distinct_unit_types_use_the_index_resampler() -> None:
    """With more types than the multinomial shortcut allows, draws stay exact and seeded."""
    rng = np.random.default_rng(9)
    data = rng.integers(0, 40, (6, 300)).astype(float)
    interval = krippendorff_alpha_interval(data, "interval", draws=200, seed=1)
    again = krippendorff_alpha_interval(data, "interval", draws=200, seed=1)
    assert interval.low == again.low and interval.valid_draws == 200
