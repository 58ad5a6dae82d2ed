"""The judge comparison report's numbers, checked against scipy, scikit-learn and krippendorff.

The report is assembled from plain data (no database), so random data sets go straight in.
"""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from llmops_core.metrics.judge_report.annotator import alternative_annotator
from llmops_core.metrics.judge_report.build import build_report
from llmops_core.metrics.judge_report.pairwise import human_preference, pairwise_criterion
from llmops_core.metrics.judge_report.types import (
    ComparisonData,
    CostInfo,
    CriterionScale,
    HumanMatrix,
    OutputInfo,
    PairRow,
    VersionScores,
)

nan = np.nan
SCALE = CriterionScale("quality", 1, 5)


def random_data(
    seed: int, items: int = 300, reviewers: int = 3, judge_noise: float = 0.7
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return reviewers x items human scores (20% missing), judge scores and output lengths."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, items)
    humans = np.clip(truth + rng.normal(0, 0.8, (reviewers, items)).round(), 1, 5)
    humans[rng.random(humans.shape) < 0.2] = nan
    judge = np.clip(truth + rng.normal(0.3, judge_noise, items).round(), 1, 5)
    judge[rng.random(items) < 0.1] = nan
    words = (truth * 20 + rng.integers(0, 60, items)).astype(float)
    return humans, judge, words


def comparison(
    humans: np.ndarray, judge: np.ndarray, words: np.ndarray, *, others: list[VersionScores] = ()
) -> ComparisonData:
    items = list(range(1, judge.size + 1))
    subject = VersionScores(
        version_id=1,
        judge="j",
        number=1,
        model="m",
        mode="pointwise",
        is_subject=True,
        scores={
            "quality": {
                o: (int(s), f"why {o}") for o, s in zip(items, judge, strict=True) if np.isfinite(s)
            }
        },
        cost=CostInfo(paid_calls=100, cost=0.5),
    )
    keep = np.isfinite(humans).any(axis=0)
    rated = [o for o, k in zip(items, keep, strict=True) if k]
    index = [i for i, k in enumerate(keep) if k]
    return ComparisonData(
        criteria=[SCALE],
        items=rated,
        humans={
            "quality": HumanMatrix([f"r{i}" for i in range(humans.shape[0])], humans[:, index])
        },
        outputs={
            o: OutputInfo(o, f"ext-{o}", int(words[o - 1]), "in", "out", o * 10, 7) for o in rated
        },
        versions=[subject, *others],
        n_ratings=int(np.isfinite(humans).sum()),
    )


def consensus(humans: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # items nobody rated
        return np.nanmean(humans, axis=0)


def round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


@pytest.mark.parametrize("seed", range(4))
def test_per_criterion_metrics_match_scipy_sklearn_and_krippendorff(seed: int) -> None:
    humans, judge, words = random_data(seed)
    report = build_report(comparison(humans, judge, words), draws=200, seed=seed)
    section = report["criteria"]["quality"]
    mean = consensus(humans)
    paired = np.isfinite(judge) & np.isfinite(mean)
    j, h = judge[paired], mean[paired]
    agreement = section["agreement"]
    assert agreement["n_items"] == paired.sum()
    assert agreement["spearman"] == pytest.approx(stats.spearmanr(j, h).statistic, abs=1e-9)
    assert agreement["kendall_tau_b"] == pytest.approx(
        stats.kendalltau(j, h, variant="b").statistic, abs=1e-9
    )
    rounded = round_half_up(h)
    assert agreement["quadratic_kappa"] == pytest.approx(
        cohen_kappa_score(
            j.astype(int), rounded.astype(int), weights="quadratic", labels=[1, 2, 3, 4, 5]
        ),
        abs=1e-9,
    )
    assert agreement["exact"] == pytest.approx(np.mean(j == rounded))
    assert agreement["within_1"] == pytest.approx(np.mean(np.abs(j - rounded) <= 1))
    assert agreement["bias"] == pytest.approx(np.mean(j - h))
    counts = confusion_matrix(j.astype(int), rounded.astype(int), labels=[1, 2, 3, 4, 5])
    assert section["confusion"]["counts"] == counts.tolist()
    rated = np.isfinite(humans).any(axis=0)
    alpha = section["alpha"]
    domain = [1, 2, 3, 4, 5]
    expected_humans = krippendorff.alpha(
        humans[:, rated], level_of_measurement="ordinal", value_domain=domain
    )
    expected_joint = krippendorff.alpha(
        np.vstack([humans, judge])[:, rated], level_of_measurement="ordinal", value_domain=domain
    )
    assert alpha["humans"]["value"] == pytest.approx(expected_humans, abs=1e-9)
    assert alpha["with_judge"]["value"] == pytest.approx(expected_joint, abs=1e-9)
    assert alpha["change"]["value"] == pytest.approx(expected_joint - expected_humans, abs=1e-9)
    assert agreement["alpha_with_judge"] == pytest.approx(expected_joint, abs=1e-9)
    length = section["length_bias"]
    assert length["judge"]["value"] == pytest.approx(stats.spearmanr(j, words[paired]).statistic)
    assert length["humans"]["value"] == pytest.approx(stats.spearmanr(h, words[paired]).statistic)


def test_intervals_cover_their_estimates_and_the_change_interval_is_joint() -> None:
    humans, judge, words = random_data(7, items=400)
    section = build_report(comparison(humans, judge, words), draws=300, seed=1)["criteria"][
        "quality"
    ]
    for name in ("spearman", "quadratic_kappa", "bias"):
        ci = section["agreement"]["ci"][name]
        assert ci["low"] <= section["agreement"][name] <= ci["high"]
    change = section["alpha"]["change"]
    assert change["ci"]["low"] <= change["value"] <= change["ci"]["high"]
    assert change["ci"]["valid_draws"] == 300
    for name in ("judge", "humans", "difference"):
        ci = section["length_bias"][name]["ci"]
        assert ci["low"] <= section["length_bias"][name]["value"] <= ci["high"]


def test_calibration_is_the_mean_human_score_per_judge_score() -> None:
    humans, judge, words = random_data(3)
    rows = build_report(comparison(humans, judge, words), draws=0)["criteria"]["quality"][
        "calibration"
    ]
    mean = consensus(humans)
    for row in rows:
        chosen = (judge == row["judge_score"]) & np.isfinite(mean)
        assert row["n"] == chosen.sum()
        if row["n"]:
            assert row["human_mean"] == pytest.approx(mean[chosen].mean())


def test_worst_disagreements_come_first_with_their_ratings_and_rationale() -> None:
    humans = np.array([[5.0, 3, 1, 2], [5, 3, 1, 2], [4, 3, nan, 2]])
    judge = np.array([1.0, 3, 2, 2])
    worst = build_report(comparison(humans, judge, np.ones(4) * 10), draws=0)["criteria"][
        "quality"
    ]["worst"]
    assert [w["output_id"] for w in worst] == [1, 3, 2, 4]
    first = worst[0]
    assert first["judge_score"] == 1 and first["human_mean"] == pytest.approx(14 / 3)
    assert first["rationale"] == "why 1" and first["item_id"] == 10
    assert first["human_scores"] == [
        {"reviewer": "r0", "score": 5},
        {"reviewer": "r1", "score": 5},
        {"reviewer": "r2", "score": 4},
    ]


def test_alternative_annotator_test_by_hand() -> None:
    """Three reviewers over 12 items: a judge that copies the consensus beats each of them."""
    rng = np.random.default_rng(0)
    truth = rng.integers(1, 6, 12).astype(float)
    humans = np.clip(np.vstack([truth + rng.choice([-1, 0, 1], 12) for _ in range(3)]), 1, 5)
    values = np.arange(1, 6, dtype=float)
    result = alternative_annotator(humans, truth, ["a", "b", "c"], values)
    assert (result["n_tested"], result["wins"], result["verdict"]) == (3, 3, "as_good")
    assert "about as well as a typical reviewer" in result["sentence"]
    for index, row in enumerate(result["reviewers"]):
        others = np.delete(humans, index, axis=0).mean(axis=0)
        assert row["human_distance"] == pytest.approx(np.abs(humans[index] - others).mean())
        assert row["judge_distance"] == pytest.approx(np.abs(truth - others).mean())
        advantage = np.abs(humans[index] - others) - np.abs(truth - others)
        expected = stats.ttest_1samp(advantage, -0.2, alternative="greater").pvalue
        assert row["p_value"] == pytest.approx(expected)
    contrarian = 6 - truth  # reverses the scale
    bad = alternative_annotator(humans, contrarian, ["a", "b", "c"], values)
    assert (bad["wins"], bad["verdict"]) == (0, "worse")
    assert "within 0.2 points of only 0 of 3 reviewers" in bad["sentence"]


def test_alternative_annotator_needs_overlap() -> None:
    humans = np.array([[1.0, 2, 3], [1, 2, 3]])
    result = alternative_annotator(
        humans, np.array([1.0, 2, 3]), ["a", "b"], np.arange(1, 6, dtype=float)
    )
    assert result["verdict"] == "unknown" and result["n_tested"] == 0
    assert "only 3 item(s)" in result["reviewers"][0]["reason"]


def test_pairwise_position_bias_and_human_preferences() -> None:
    rows = [
        PairRow(1, 2, "A", "A", "A"),  # consistent
        PairRow(3, 4, "A", "B", "tie"),  # flips towards whichever is shown first
        PairRow(5, 6, "B", "A", "tie"),  # flips towards the second
        PairRow(7, 8, "B", "B", "B"),
    ]
    means = {1: 4.5, 2: 2.0, 3: 3.0, 4: 3.2, 5: 2.0, 6: 4.0, 7: 1.0, 8: 5.0}
    result = pairwise_criterion(rows, means)
    assert result["position_bias_rate"] == 0.5
    assert (result["prefers_first_shown"], result["prefers_second_shown"]) == (1, 1)
    # Humans: A, tie (0.2 apart), B, B -> the judge's finals match 3 of 4.
    assert result["human_agreement"] == 0.75
    assert result["decisive_agreement"] == pytest.approx(2 / 3)
    assert human_preference(3.0, 2.4) == "A" and human_preference(3.0, 2.6) == "tie"
    assert human_preference(None, 2.0) is None


def test_cost_next_to_trust_and_the_trend_across_versions() -> None:
    humans, judge, words = random_data(5)
    items = list(range(1, judge.size + 1))
    worse = np.clip(judge + np.random.default_rng(1).choice([-2, 0, 2], judge.size), 1, 5)
    older = VersionScores(
        version_id=2,
        judge="j",
        number=0,
        model="cheap",
        mode="pointwise",
        scores={
            "quality": {
                o: (int(s), "") for o, s in zip(items, worse, strict=True) if np.isfinite(s)
            }
        },
        cost=CostInfo(paid_calls=200, cost=0.25, calls_per_item=1),
    )
    report = build_report(comparison(humans, judge, words, others=[older]), draws=100)
    versions = {v["number"]: v for v in report["versions"]}
    assert versions[1]["cost_per_1000_items"] == pytest.approx(5.0)
    assert versions[0]["cost_per_1000_items"] == pytest.approx(1.25)
    assert versions[1]["trust"] > versions[0]["trust"]
    first, second = report["trend"]
    assert (first["number"], second["number"]) == (0, 1)
    change = second["criteria"]["quality"]["change"]
    assert change == pytest.approx(
        second["criteria"]["quality"]["value"] - first["criteria"]["quality"]["value"]
    )
    assert any("4.0x the cost for" in line for line in report["summary"])


def test_summary_says_plainly_whether_the_judge_can_be_trusted() -> None:
    humans, judge, words = random_data(2, items=200, judge_noise=0.3)
    summary = build_report(comparison(humans, judge, words), draws=100)["summary"]
    text = " ".join(summary)
    assert "compared with human ratings on" in summary[0]
    assert "Quality: quadratic kappa" in text
    assert "can be trusted on quality" in text or "cannot be trusted yet on quality" in text


def test_a_report_without_ratings_or_with_one_reviewer_says_why_numbers_are_missing() -> None:
    empty = comparison(np.full((0, 5), nan), np.array([1.0, 2, 3, 4, 5]), np.ones(5))
    report = build_report(empty, draws=20)
    section = report["criteria"]["quality"]
    assert section["agreement"]["n_items"] == 0 and section["worst"] == []
    assert section["alternative_annotator"]["verdict"] == "unknown"
    assert "scored none of the items the humans rated" in " ".join(report["summary"])
    one = comparison(np.array([[1.0, 2, 3, 4, 5]]), np.array([1.0, 2, 3, 4, 4]), np.ones(5))
    section = build_report(one, draws=20)["criteria"]["quality"]
    assert section["agreement"]["n_items"] == 5
    assert section["alpha"]["humans"]["value"] is None and section["alpha"]["humans"]["reason"]
    assert section["alpha"]["with_judge"]["value"] is not None
    assert section["alternative_annotator"]["n_tested"] == 0


def test_the_change_between_judge_prompt_versions_is_paired_and_tested() -> None:
    """A clearly better new version: the kappa change matches sklearn's and its CI is > 0."""
    humans, judge, words = random_data(9, items=400, judge_noise=0.3)
    items = list(range(1, judge.size + 1))
    rng = np.random.default_rng(4)
    noisy = np.clip(judge + rng.choice([-2, -1, 0, 1, 2], judge.size), 1, 5)
    older = VersionScores(
        version_id=2,
        judge="j",
        number=0,
        model="m",
        mode="pointwise",
        scores={
            "quality": {
                o: (int(s), "") for o, s in zip(items, noisy, strict=True) if np.isfinite(s)
            }
        },
    )
    report = build_report(comparison(humans, judge, words, others=[older]), draws=200)
    cell = report["trend"][1]["criteria"]["quality"]
    mean = consensus(humans)
    both = np.isfinite(judge) & np.isfinite(noisy) & np.isfinite(mean)
    rounded = round_half_up(mean[both]).astype(int)

    def kappa(x: np.ndarray) -> float:
        return cohen_kappa_score(
            x[both].astype(int), rounded, weights="quadratic", labels=[1, 2, 3, 4, 5]
        )

    assert cell["paired_items"] == both.sum()
    assert cell["change"] == pytest.approx(kappa(judge) - kappa(noisy), abs=1e-9)
    assert cell["significant"] and cell["change_ci"]["low"] > 0
    assert any("a real change" in line for line in report["summary"])
