"""The agreement report builder: shape, consistency with the metric functions, edge cases."""

from __future__ import annotations

import json
from typing import Any

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from llmops_core.metrics.agreement import icc_estimates
from llmops_core.metrics.longformat import LongRatings, RatingsError
from llmops_core.metrics.report import agreement_report

nan = np.nan
METRICS = (
    "krippendorff_alpha",
    "krippendorff_alpha_ci",
    "fleiss_kappa",
    "percent_agreement",
    "gwet_ac1",
    "gwet_ac2",
    "cohen_kappa",
    "icc",
    "icc_design",
    "reviewers",
    "items",
    "reasons",
)


def long_from_matrix(
    data: np.ndarray, criterion: str = "fluency", judge: np.ndarray | None = None
) -> LongRatings:
    """Return long ratings of a reviewers x items matrix (reviewers r0.., items i0..)."""
    rows = [
        (f"i{item}", f"r{rater}", criterion, float(data[rater, item]))
        for rater, item in zip(*np.nonzero(np.isfinite(data)), strict=True)
    ]
    if judge is not None:
        rows += [(f"i{i}", "llm", criterion, float(s)) for i, s in enumerate(judge) if s == s]
    item, reviewer, name, score = zip(*rows, strict=True)
    return LongRatings.from_arrays(item, reviewer, name, score)


def sample(seed: int = 0, items: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Return 4 reviewers x items with gaps and a judge score per item."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, items)
    data = np.clip(truth + rng.integers(-1, 2, (4, items)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.25] = nan
    judge = np.clip(truth + rng.integers(-1, 2, items), 1, 5).astype(float)
    return data, judge


def undefined_without_reason(criterion: dict[str, Any]) -> list[str]:
    """Return the metric paths whose value is None with no reason beside it."""
    reasons = criterion["reasons"]
    missing = []
    for name in ("krippendorff_alpha", "percent_agreement", "gwet_ac2", "icc"):
        for key, value in criterion[name].items():
            if value is None and key not in reasons.get(name, {}):
                missing.append(f"{name}.{key}")
    if criterion["gwet_ac1"] is None and "gwet_ac1" not in reasons:
        missing.append("gwet_ac1")
    if criterion["fleiss_kappa"]["value"] is None and "fleiss_kappa" not in reasons:
        missing.append("fleiss_kappa")
    for key, value in criterion["cohen_kappa"]["mean"].items():
        if value is None and key not in reasons.get("cohen_kappa", {}).get("mean", {}):
            missing.append(f"cohen_kappa.mean.{key}")
    if "judge" in criterion:
        judge = criterion["judge"]
        for key in (
            "spearman",
            "kendall_tau_b",
            "quadratic_kappa",
            "exact",
            "within_1",
            "bias",
            "alpha_with_judge",
        ):
            if judge[key] is None and key not in judge["reasons"]:
                missing.append(f"judge.{key}")
    return missing


def test_report_is_plain_json_with_every_section() -> None:
    data, judge = sample()
    report = agreement_report(
        long_from_matrix(data, judge=judge),
        scale=[1, 2, 3, 4, 5],
        judge="llm",
        bootstrap_draws=200,
    )
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report
    criterion = report["criteria"]["fluency"]
    assert set(METRICS) <= set(criterion)
    assert set(criterion["krippendorff_alpha"]) == {"nominal", "ordinal", "interval", "ratio"}
    assert set(criterion["icc"]) == {"ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"}
    assert set(criterion["gwet_ac2"]) == {"linear", "quadratic"}
    assert criterion["n_reviewers"] == 4
    assert criterion["judge"]["n_items"] == int(np.isfinite(data).any(axis=0).sum())
    assert undefined_without_reason(criterion) == []


def test_judge_ratings_are_kept_out_of_the_human_metrics() -> None:
    data, judge = sample(1)
    report = agreement_report(long_from_matrix(data, judge=judge), judge="llm", bootstrap_draws=0)
    criterion = report["criteria"]["fluency"]
    for level, value in criterion["krippendorff_alpha"].items():
        assert value == pytest.approx(
            krippendorff.alpha(data, level_of_measurement=level), abs=1e-9
        )
    assert "llm" not in {row["reviewer"] for row in criterion["reviewers"]}
    with_judge = np.vstack([data, judge])
    assert criterion["judge"]["alpha_with_judge"] == pytest.approx(
        krippendorff.alpha(with_judge, level_of_measurement="ordinal"), abs=1e-9
    )


def test_report_metrics_agree_with_the_reference_libraries() -> None:
    data, _ = sample(2)
    criterion = agreement_report(long_from_matrix(data), scale=[1, 2, 3, 4, 5], bootstrap_draws=0)[
        "criteria"
    ]["fluency"]
    assert criterion["cohen_kappa"]["n_pairs"] == 6
    for pair in criterion["cohen_kappa"]["pairs"]:
        a, b = int(pair["a"][1:]), int(pair["b"][1:])
        both = np.isfinite(data[a]) & np.isfinite(data[b])
        assert pair["n"] == both.sum()
        assert pair["quadratic"] == pytest.approx(
            cohen_kappa_score(
                data[a][both], data[b][both], weights="quadratic", labels=[1, 2, 3, 4, 5]
            ),
            abs=1e-12,
        )
    expected_icc = icc_estimates(data)
    assert criterion["icc"] == {form: est.value for form, est in expected_icc.items()}
    assert criterion["fleiss_kappa"]["raters_per_item"] == 3


def test_report_is_reproducible_for_a_seed() -> None:
    data, judge = sample(3)
    ratings = long_from_matrix(data, judge=judge)
    first = agreement_report(ratings, judge="llm", bootstrap_draws=100, seed=4)
    again = agreement_report(ratings, judge="llm", bootstrap_draws=100, seed=4)
    other = agreement_report(ratings, judge="llm", bootstrap_draws=100, seed=5)
    assert first == again
    assert (
        first["criteria"]["fluency"]["krippendorff_alpha_ci"]
        != (other["criteria"]["fluency"]["krippendorff_alpha_ci"])
    )


def test_one_reviewer_gives_nulls_with_reasons() -> None:
    report = agreement_report(long_from_matrix(np.array([[1.0, 2.0, 3.0]])), bootstrap_draws=10)
    criterion = report["criteria"]["fluency"]
    assert criterion["krippendorff_alpha"]["ordinal"] is None
    assert "only one reviewer" in criterion["reasons"]["krippendorff_alpha"]["ordinal"]
    assert criterion["fleiss_kappa"]["value"] is None
    assert criterion["cohen_kappa"]["pairs"] == []
    assert criterion["krippendorff_alpha_ci"]["ordinal"]["low"] is None
    assert undefined_without_reason(criterion) == []


def test_reviewers_who_never_overlap_give_nulls_with_reasons() -> None:
    data = np.array([[1, 2, nan, nan], [nan, nan, 3, 4]])
    criterion = agreement_report(long_from_matrix(data), bootstrap_draws=10)["criteria"]["fluency"]
    assert "no item has ratings from two reviewers" in criterion["reasons"]["fleiss_kappa"]
    assert criterion["cohen_kappa"]["n_pairs_without_overlap"] == 1
    assert undefined_without_reason(criterion) == []


def test_identical_ratings_give_nulls_not_ones_except_raw_agreement() -> None:
    data = np.full((3, 10), 4.0)
    criterion = agreement_report(long_from_matrix(data), scale=[1, 2, 3, 4, 5], bootstrap_draws=20)[
        "criteria"
    ]["fluency"]
    assert all(value is None for value in criterion["krippendorff_alpha"].values())
    assert criterion["fleiss_kappa"]["value"] is None
    assert all(value is None for value in criterion["icc"].values())
    assert criterion["percent_agreement"] == {"exact": 1.0, "within_1": 1.0}
    assert criterion["gwet_ac1"] == pytest.approx(1.0)
    assert undefined_without_reason(criterion) == []


def test_single_category_without_a_declared_scale_is_explained() -> None:
    criterion = agreement_report(long_from_matrix(np.full((2, 5), 2.0)), bootstrap_draws=0)[
        "criteria"
    ]["fluency"]
    assert criterion["scale"] == [2.0]
    assert criterion["gwet_ac1"] is None and "single" in criterion["reasons"]["gwet_ac1"]
    assert criterion["cohen_kappa"]["pairs"][0]["reasons"]["linear"]
    assert undefined_without_reason(criterion) == []


def test_each_criterion_is_reported_separately() -> None:
    data, _ = sample(4, items=50)
    first, second = long_from_matrix(data, "fluency"), long_from_matrix(6 - data, "relevance")
    merged = LongRatings.from_arrays(
        np.concatenate([first.item, second.item]),
        np.concatenate([first.reviewer, second.reviewer]),
        np.concatenate([first.criterion, second.criterion]),
        np.concatenate([first.score, second.score]),
    )
    report = agreement_report(merged, bootstrap_draws=0)
    assert sorted(report["criteria"]) == ["fluency", "relevance"]
    assert report["criteria"]["relevance"]["krippendorff_alpha"]["interval"] == pytest.approx(
        report["criteria"]["fluency"]["krippendorff_alpha"]["interval"]
    )


def test_gold_and_timestamps_feed_the_reviewer_table() -> None:
    data = np.array([[5.0, 2.0], [4.0, 2.0]])
    ratings = long_from_matrix(data)
    stamps = ["2024-03-04T10:00:00"] * len(ratings)
    report = agreement_report(
        ratings, gold={("i0", "fluency"): 5.0}, timestamps=stamps, bootstrap_draws=0
    )
    first = report["criteria"]["fluency"]["reviewers"][0]
    assert first["gold"]["n"] == 1 and first["gold"]["exact"] == 1.0
    assert first["weekly"][0]["week"] == "2024-W10"


def test_a_duplicate_rating_is_rejected_naming_both_rows() -> None:
    ratings = LongRatings.from_arrays(["a", "a"], ["ann", "ann"], ["f", "f"], [1, 2], row=[2, 3])
    with pytest.raises(RatingsError, match=r"row 3: reviewer 'ann' already rated .*row 2"):
        agreement_report(ratings)


def test_a_score_off_the_declared_scale_names_its_row() -> None:
    ratings = LongRatings.from_arrays(["a", "b"], ["ann", "ann"], ["f", "f"], [1, 9], row=[2, 3])
    with pytest.raises(RatingsError, match=r'row 3, field "score": 9 is not on the scale 1-5'):
        agreement_report(ratings, scale=[1, 2, 3, 4, 5])
