"""Comparisons of two versions: PPI++ on paired differences, or two independent estimates.

The paired PPI++ difference is PPI++ (Angelopoulos, Duchi and Zrnic 2023) applied to the
per-input difference, so it is checked against the authors' ppi-python package.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from llmops_core.metrics.ppi.compare import (
    BETTER,
    NOT_DISTINGUISHABLE,
    PAIRED,
    UNPAIRED,
    WORSE,
    compare_outputs,
    comparison_sentence,
)
from llmops_core.metrics.ppi.estimates import estimate_outputs
from llmops_core.metrics.ppi.outputs import ScoredOutputs, scored_outputs
from llmops_core.metrics.ppi.weighted import ppi_mean_weighted
from tests.metrics.oracle import import_ppi_py

ppi_py = import_ppi_py()


def _version(
    seed: int, shift: float, rated: np.ndarray, *, size: int = 1500, prefix: str = "in"
) -> ScoredOutputs:
    """Return a version's outputs on inputs in-0..in-{size-1}: harder inputs score lower."""
    difficulty = np.random.default_rng(99).normal(size=size)  # the same inputs for all
    rng = np.random.default_rng(seed)
    quality = 3 + shift - difficulty + rng.normal(scale=0.5, size=size)
    judge = quality + 0.4 + rng.normal(scale=0.3, size=size)
    inputs = np.array([f"{prefix}-{i}" for i in range(size)], dtype=object)
    items = np.arange(size) + seed * 100_000
    return scored_outputs(
        judge_items=items,
        judge_scores=judge,
        human_items=items[rated],
        human_scores=quality[rated] + np.random.default_rng(seed + 1).normal(size=rated.size),
        inputs=(items, inputs),
    )


def test_paired_difference_is_ppi_plus_plus_on_differences() -> None:
    rated = np.random.default_rng(0).choice(1500, 120, replace=False)
    candidate, baseline = _version(1, 0.2, rated), _version(2, 0.0, rated)
    result = compare_outputs(candidate, baseline)
    assert result.design == PAIRED and result.n_pairs == 1500
    d = candidate.human - baseline.human
    dhat = candidate.judge - baseline.judge
    labelled = np.isfinite(d)
    low, high = ppi_py.ppi_mean_ci(d[labelled], dhat[labelled], dhat[~labelled], alpha=0.05)
    assert (result.ppi.low, result.ppi.high) == pytest.approx(
        (float(np.ravel(low)[0]), float(np.ravel(high)[0])), abs=1e-6
    )
    assert result.ppi.n_human == 120 and result.ppi.n_judge == 1380
    assert result.human_only.n_human == 120 and result.judge_only.n_judge == 1500
    assert result.ppi.verdict == BETTER


def test_pairing_beats_comparing_unpaired_on_shared_inputs() -> None:
    """Input difficulty cancels in paired differences, so the interval is narrower."""
    rated = np.random.default_rng(0).choice(1500, 120, replace=False)
    candidate, baseline = _version(1, 0.2, rated), _version(2, 0.0, rated)
    paired = compare_outputs(candidate, baseline)
    unpaired = compare_outputs(candidate, baseline, design=UNPAIRED)
    assert unpaired.design == UNPAIRED
    assert paired.human_only.se is not None and unpaired.human_only.se is not None
    assert paired.human_only.se < unpaired.human_only.se


def test_unpaired_difference_subtracts_estimates_and_adds_variances() -> None:
    candidate = _version(1, -0.5, np.arange(0, 300), prefix="a")
    baseline = _version(2, 0.0, np.arange(0, 300), prefix="b")
    result = compare_outputs(candidate, baseline)
    assert result.design == UNPAIRED and "share no input" in result.notes[0]
    first, second = estimate_outputs(candidate).ppi, estimate_outputs(baseline).ppi
    assert first.mean is not None and second.mean is not None
    assert first.se is not None and second.se is not None
    assert result.ppi.mean == pytest.approx(first.mean - second.mean)
    assert result.ppi.se == pytest.approx(math.hypot(first.se, second.se))
    assert result.ppi.verdict == WORSE
    assert result.ppi.n_human == 600


def test_few_rated_pairs_fall_back_to_unpaired() -> None:
    rng = np.random.default_rng(5)
    candidate = _version(1, 0.0, rng.choice(1500, 200, replace=False))
    baseline = _version(2, 0.0, rng.choice(1500, 200, replace=False))
    result = compare_outputs(candidate, baseline)
    assert result.design == UNPAIRED
    assert "pairing would waste most human ratings" in result.notes[0]
    forced = compare_outputs(candidate, baseline, design=PAIRED)
    assert forced.design == PAIRED


def test_forced_pairing_without_inputs_is_an_error() -> None:
    bare = scored_outputs(
        judge_items=np.arange(3), judge_scores=[1.0, 2, 3],
        human_items=np.arange(3), human_scores=[1.0, 2, 3],
    )  # fmt: skip
    with pytest.raises(ValueError, match="no input keys"):
        compare_outputs(bare, bare, design=PAIRED)
    with pytest.raises(ValueError, match="design must be"):
        compare_outputs(bare, bare, design="sideways")


def test_undefined_difference_is_not_distinguishable_with_a_reason() -> None:
    one = scored_outputs(
        judge_items=np.arange(3), judge_scores=[1.0, 2, 3],
        human_items=np.arange(1), human_scores=[1.0],
    )  # fmt: skip
    result = compare_outputs(one, one, design=UNPAIRED)
    assert result.ppi.mean is None and result.ppi.verdict == NOT_DISTINGUISHABLE
    assert result.ppi.reason is not None and result.ppi.reason.startswith("candidate: ")
    sentence = comparison_sentence(result, candidate="v2", baseline="v1", criterion="fluency")
    assert sentence.startswith("v2 and v1 cannot be compared on fluency")


def test_verdict_sentences_name_the_versions_and_the_basis() -> None:
    rated = np.random.default_rng(0).choice(1500, 120, replace=False)
    result = compare_outputs(_version(1, 0.3, rated), _version(2, 0.0, rated))
    text = comparison_sentence(result, candidate="v2", baseline="v1", criterion="relevance")
    assert text.startswith("v2 is better than v1 on relevance (+0.")
    assert "judge-assisted (PPI++), paired" in text
    same = compare_outputs(_version(1, 0.0, rated), _version(3, 0.0, rated))
    words = comparison_sentence(
        same, basis="human_only", candidate="v2", baseline="v1", criterion="relevance"
    )
    assert "not distinguishable" in words and "human ratings only" in words
    assert set(result.as_dict()) >= {"design", "human_only", "judge_only", "ppi", "notes"}
    with pytest.raises(ValueError, match="basis must be one of"):
        result.difference("vibes")


def test_weighted_pairs_use_the_product_of_probabilities() -> None:
    rated = np.arange(0, 1500, 5)
    base_c, base_b = _version(1, 0.2, rated), _version(2, 0.0, rated)
    half = np.full(base_c.size, 0.2)
    candidate = ScoredOutputs(**{**base_c.__dict__, "probability": half})
    baseline = ScoredOutputs(**{**base_b.__dict__, "probability": half})
    result = compare_outputs(candidate, baseline)
    d, dhat = candidate.human - baseline.human, candidate.judge - baseline.judge
    labelled = np.isfinite(d)
    expected = ppi_mean_weighted(
        d[labelled], dhat[labelled], np.full(int(labelled.sum()), 0.04), dhat[~labelled]
    )
    assert result.design == PAIRED
    assert (result.ppi.mean, result.ppi.se) == pytest.approx((expected.mean, expected.se))
    mixed = compare_outputs(candidate, base_b)
    assert mixed.design == UNPAIRED and "only one version" in mixed.notes[0]
