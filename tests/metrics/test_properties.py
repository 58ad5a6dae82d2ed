"""Property tests of the agreement engine: invariances, reference packages, degenerate data.

Reliability data are reviewers x items with NaN for a missing rating, the layout of the
krippendorff package. Hypothesis draws small matrices on a 1-5 scale with missing cells.
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import cohen_kappa_score

from llmops_core.metrics.agreement import (
    cohen_kappa_estimate,
    fleiss_kappa_estimate,
    gwet_ac_estimate,
    icc_estimates,
    krippendorff_alpha_estimate,
    krippendorff_alpha_interval,
    percent_agreement_estimate,
)
from llmops_core.metrics.estimate import NO_OVERLAP, NO_VARIATION, ONE_REVIEWER
from llmops_core.metrics.krippendorff import LEVELS

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scores = st.integers(1, 5).map(float)


@st.composite
def reliability_data(draw: st.DrawFn, min_raters: int = 2, max_missing: float = 0.4) -> np.ndarray:
    """Return a raters x items matrix of 1-5 scores with some NaN (missing) cells."""
    raters = draw(st.integers(min_raters, 5))
    items = draw(st.integers(2, 12))
    data = draw(arrays(np.float64, (raters, items), elements=scores))
    missing = draw(arrays(np.bool_, (raters, items), elements=st.booleans()))
    if draw(st.floats(0, 1)) < max_missing:
        data[missing] = np.nan
    return data


def _pairable(data: np.ndarray) -> np.ndarray:
    return np.isfinite(data).sum(axis=0) >= 2


def _has_variation(data: np.ndarray) -> bool:
    paired = data[:, _pairable(data)]
    values = paired[np.isfinite(paired)]
    return values.size > 0 and np.unique(values).size > 1


def _alpha(data: np.ndarray, level: str) -> float | None:
    return krippendorff_alpha_estimate(data, level).value  # type: ignore[arg-type]


@FAST
@given(data=reliability_data(), level=st.sampled_from(LEVELS))
def test_alpha_matches_the_krippendorff_package(data: np.ndarray, level: str) -> None:
    """Any data with something to compare: the same value as krippendorff.alpha, to 1e-9."""
    assume(_has_variation(data))
    expected = krippendorff.alpha(data, level_of_measurement=level)
    ours = _alpha(data, level)
    if math.isnan(expected):
        assert ours is None
    else:
        assert ours == pytest.approx(expected, abs=1e-9)


@FAST
@given(data=reliability_data(max_missing=0.0), level=st.sampled_from(LEVELS))
def test_alpha_is_one_when_every_reviewer_agrees(data: np.ndarray, level: str) -> None:
    """Copy one reviewer's scores to every reviewer: perfect agreement, alpha exactly 1."""
    perfect = np.repeat(data[:1], data.shape[0], axis=0)
    assume(np.unique(perfect).size > 1)
    assert _alpha(perfect, level) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(data=reliability_data(), level=st.sampled_from(LEVELS), seed=st.integers(0, 2**32 - 1))
def test_alpha_ignores_the_order_of_items_and_reviewers(
    data: np.ndarray, level: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    shuffled = data[rng.permutation(data.shape[0])][:, rng.permutation(data.shape[1])]
    first, second = _alpha(data, level), _alpha(shuffled, level)
    assert (first is None) == (second is None)
    if first is not None:
        assert second == pytest.approx(first, abs=1e-12)


@FAST
@given(
    data=reliability_data(),
    scale=st.floats(0.1, 100),
    shift=st.floats(-100, 100),
)
def test_interval_alpha_is_unchanged_by_an_affine_rescoring(
    data: np.ndarray, scale: float, shift: float
) -> None:
    """Interval distances are squared differences, so a*x+b (a > 0) changes no ratio."""
    before = _alpha(data, "interval")
    after = _alpha(data * scale + shift, "interval")
    assert (before is None) == (after is None)
    if before is not None:
        assert after == pytest.approx(before, abs=1e-9)


@FAST
@given(data=reliability_data(), scale=st.floats(0.1, 100))
def test_ratio_alpha_is_unchanged_by_a_change_of_unit(data: np.ndarray, scale: float) -> None:
    """Ratio distances ((c-k)/(c+k))^2 survive multiplication, not a shift of the zero."""
    before = _alpha(data, "ratio")
    after = _alpha(data * scale, "ratio")
    assert (before is None) == (after is None)
    if before is not None:
        assert after == pytest.approx(before, abs=1e-9)


@FAST
@given(data=reliability_data(), level=st.sampled_from(["nominal", "ordinal"]))
def test_nominal_and_ordinal_alpha_survive_any_order_preserving_relabelling(
    data: np.ndarray, level: str
) -> None:
    """Nominal alpha only sees equal/unequal; ordinal only ranks: 1-5 -> 10,20,40,80,160."""
    relabelled = np.where(np.isfinite(data), 10.0 * 2.0 ** (data - 1), np.nan)
    before, after = _alpha(data, level), _alpha(relabelled, level)
    assert (before is None) == (after is None)
    if before is not None:
        assert after == pytest.approx(before, abs=1e-9)


@FAST
@given(
    data=reliability_data(),
    level=st.sampled_from(LEVELS),
    score=scores,
    rater=st.integers(0, 4),
)
def test_an_item_rated_by_one_reviewer_changes_nothing(
    data: np.ndarray, level: str, score: float, rater: int
) -> None:
    extra = np.full((data.shape[0], 1), np.nan)
    extra[rater % data.shape[0], 0] = score
    before, after = _alpha(data, level), _alpha(np.hstack([data, extra]), level)
    assert (before is None) == (after is None)
    if before is not None:
        assert after == pytest.approx(before, abs=1e-12)


@FAST
@given(data=reliability_data(), level=st.sampled_from(LEVELS))
def test_alpha_is_a_number_at_most_one_or_undefined_with_a_reason(
    data: np.ndarray, level: str
) -> None:
    estimate = krippendorff_alpha_estimate(data, level)  # type: ignore[arg-type]
    if estimate.value is None:
        assert estimate.reason in (NO_VARIATION, NO_OVERLAP, ONE_REVIEWER)
    else:
        assert math.isfinite(estimate.value) and estimate.value <= 1.0 + 1e-12


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=reliability_data(), level=st.sampled_from(LEVELS), seed=st.integers(0, 1000))
def test_bootstrap_interval_is_reproducible_and_ordered(
    data: np.ndarray, level: str, seed: int
) -> None:
    """The same seed gives the same interval; a defined interval has low <= high."""
    first = krippendorff_alpha_interval(data, level, draws=50, seed=seed)  # type: ignore[arg-type]
    again = krippendorff_alpha_interval(data, level, draws=50, seed=seed)  # type: ignore[arg-type]
    assert (first.low, first.high, first.valid_draws) == (again.low, again.high, again.valid_draws)
    if first.low is None:
        assert first.high is None and first.reason
    else:
        assert first.low <= first.high <= 1.0 + 1e-12
        assert 0 < first.valid_draws <= 50


@FAST
@given(data=reliability_data(), within=st.sampled_from([0.0, 1.0, 2.0]))
def test_percent_agreement_lies_between_zero_and_one(data: np.ndarray, within: float) -> None:
    exact, near = percent_agreement_estimate(data, within=within)
    if not _pairable(data).any():
        assert exact.value is None and near.value is None and exact.reason
        return
    assert 0.0 <= exact.value <= near.value <= 1.0 + 1e-12


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@FAST
@given(
    pairs=st.lists(st.tuples(scores, scores), min_size=2, max_size=40),
    weights=st.sampled_from(["none", "linear", "quadratic"]),
)
def test_cohen_kappa_matches_scikit_learn(pairs: list[tuple[float, float]], weights: str) -> None:
    a, b = (np.array(column) for column in zip(*pairs, strict=True))
    estimate = cohen_kappa_estimate(a, b, weights=weights, scale=[1, 2, 3, 4, 5])  # type: ignore[arg-type]
    expected = cohen_kappa_score(
        a, b, labels=[1, 2, 3, 4, 5], weights=None if weights == "none" else weights
    )
    if estimate.value is None:
        assert estimate.reason
        assert not math.isfinite(expected) or np.unique(np.concatenate([a, b])).size == 1
    else:
        assert estimate.value == pytest.approx(expected, abs=1e-9)


@FAST
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 6)),
    fill=st.sampled_from(["missing", "constant", "one reviewer"]),
)
def test_degenerate_data_give_reasons_never_exceptions(shape: tuple[int, int], fill: str) -> None:
    """All missing, no variation, or a single reviewer: every statistic says why, no raise."""
    raters, items = shape
    if fill == "missing":
        data = np.full(shape, np.nan)
    elif fill == "constant":
        data = np.full(shape, 3.0)
    else:
        data = np.full((1, items), 2.0)
        data[0, 0] = 4.0
    estimates = [krippendorff_alpha_estimate(data, level) for level in LEVELS]  # type: ignore[arg-type]
    estimates += list(percent_agreement_estimate(data))
    estimates += [
        fleiss_kappa_estimate(data),
        gwet_ac_estimate(data, scale=[1, 2, 3, 4, 5]),
        *icc_estimates(data).values(),
    ]
    pairable = raters >= 2 and fill != "missing"
    for estimate in estimates[: len(LEVELS)]:
        assert estimate.value is None and estimate.reason
        if fill == "constant" and pairable:
            assert estimate.reason == NO_VARIATION
    for estimate in estimates:
        assert estimate.value is None or math.isfinite(estimate.value)
        assert estimate.value is not None or estimate.reason
