"""Scorecards and version comparisons from plain data: no database, small cases worked by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from llmops_core.metrics.version_report.comparison import (
    Options,
    Side,
    comparison_build,
    input_scores,
    win_rates,
)
from llmops_core.metrics.version_report.scorecard import (
    flag_rates,
    items_by_reviewers,
    judge_means,
    scorecard_build,
)


@dataclass
class Ratings:
    """Ratings in long format, as ``selectors.versions.version_ratings`` returns them."""

    annotation: list[int] = field(default_factory=list)
    item: list[int] = field(default_factory=list)
    output: list[int] = field(default_factory=list)
    version: list[int] = field(default_factory=list)
    reviewer_id: list[int] = field(default_factory=list)
    reviewer: list[str] = field(default_factory=list)
    criterion: list[str] = field(default_factory=list)
    score: list[int] = field(default_factory=list)
    scales: dict[str, tuple[int, int]] = field(default_factory=lambda: {"fluency": (1, 5)})
    rubric_version_id: int | None = 1
    sha256: str = "digest"

    @property
    def n_ratings(self) -> int:
        return len(self.score)

    def reviewers(self) -> dict[int, str]:
        return dict(zip(self.reviewer_id, self.reviewer, strict=True))

    def add(self, output: int, version: int, reviewer: int, score: int) -> None:
        self.annotation.append(len(self.annotation) + 1)
        self.item.append(output)
        self.output.append(output)
        self.version.append(version)
        self.reviewer_id.append(reviewer)
        self.reviewer.append(f"r{reviewer}")
        self.criterion.append("fluency")
        self.score.append(score)


def test_outputs_rated_by_at_least_k_reviewers() -> None:
    ratings = Ratings()
    for output, reviewers in {1: [1, 2, 3], 2: [1, 2], 3: [2], 4: [1, 1]}.items():
        for reviewer in reviewers:
            ratings.add(output, 1, reviewer, 3)
    assert items_by_reviewers(ratings) == {"1": 4, "2": 2, "3": 1}
    assert items_by_reviewers(Ratings()) == {}


def test_the_later_run_of_a_judge_wins_and_the_newest_judge_comes_first() -> None:
    keys = ("judge_version_id", "judge", "run_id", "criterion", "output_id", "score")
    rows = [
        dict(zip(keys, values, strict=True))
        for values in [
            (7, "old", 1, "fluency", 1, 2),
            (7, "old", 3, "fluency", 1, 4),  # the later run of the same output replaces the 2
            (7, "old", 3, "fluency", 2, 5),
            (9, "new", 4, "fluency", 1, 1),
        ]
    ]
    means = judge_means(rows)
    assert [(j["judge"], j["criteria"], j["n_scores"]) for j in means] == [
        ("new", {"fluency": {"mean": 1.0, "n": 1}}, 1),
        ("old", {"fluency": {"mean": 4.5, "n": 2}}, 2),
    ]


def test_flag_and_skip_rates_are_undefined_without_annotations() -> None:
    assert flag_rates({"annotations": 8, "flagged": 2, "skipped": 2}) == {
        "flag_rate": 0.25,
        "skip_rate": 0.2,
    }
    assert flag_rates({"annotations": 0, "flagged": 0, "skipped": 0}) == {
        "flag_rate": None,
        "skip_rate": None,
    }


def test_a_scorecard_weights_each_output_once() -> None:
    ratings = Ratings()
    for reviewer, score in ((1, 5), (2, 5), (3, 5)):
        ratings.add(1, 1, reviewer, score)  # one output rated three times
    ratings.add(2, 1, 1, 1)  # another once
    card = scorecard_build(
        version={"id": 1, "number": 2, "template": "t", "model": "m"},
        ratings=ratings,
        rubric={"criteria": [{"name": "fluency"}]},
        older_rubrics=1,
        judge_rows=[],
        flags={"annotations": 4, "flagged": 0, "skipped": 0},
        outputs={"n": 2},
        draws=50,
        seed=0,
    )
    human = card["criteria"][0]["human"]
    assert (human["mean"], human["n_items"], human["n_ratings"], human["n_reviewers"]) == (
        3.0,  # (5 + 1) / 2, not (5 + 5 + 5 + 1) / 4
        2,
        4,
        3,
    )
    assert card["_counts"] == {"ratings": 4, "outputs_rated": 2, "reviewers": 3, "judge_scores": 0}
    assert card["notes"] and "1 older rubric version" in card["notes"][0]


def test_an_input_scores_the_mean_of_its_outputs_mean_ratings() -> None:
    ratings = Ratings()
    ratings.add(1, 1, 1, 5)
    ratings.add(1, 1, 2, 3)  # output 1: 4.0
    ratings.add(2, 1, 1, 2)  # output 2, same input: 2.0
    ratings.add(3, 2, 1, 1)  # the baseline's output is left out
    hashes = {1: (1, "in-a"), 2: (1, "in-a"), 3: (2, "in-a")}
    assert input_scores(ratings, hashes, 1, "fluency") == {"in-a": 3.0}


def test_win_rates_come_from_preferences_when_reviewers_gave_them() -> None:
    consensus = {"fluency": {"a": 1.0, "b": -0.5, "c": 0.0}}
    none: dict[str, object] = {"n": 0}
    by_consensus = win_rates(none, consensus)
    assert by_consensus["source"] == "consensus"
    assert by_consensus["overall"]["n"] == 3
    prefs = {
        "n": 4,
        "wins": 3,
        "ties": 0,
        "losses": 1,
        "criteria": {},
        "ids": [1, 2, 3, 4],
        "left_chosen": 2,
        "decided": 4,
    }
    by_preference = win_rates(prefs, consensus)
    assert by_preference["source"] == "preferences"
    assert by_preference["overall"]["n"] == 4 and by_preference["preference_ids"] == [1, 2, 3, 4]


def test_a_comparison_pairs_the_two_versions_by_input() -> None:
    ratings = Ratings()
    for index, (a, b) in enumerate([(5, 2), (4, 2), (5, 3), (4, 1), (5, 2), (4, 3)]):
        ratings.add(10 + index, 1, 1, a)
        ratings.add(20 + index, 2, 1, b)
    hashes = {10 + i: (1, f"in-{i}") for i in range(6)} | {20 + i: (2, f"in-{i}") for i in range(6)}
    built = comparison_build(
        candidate=Side(1, "v2"),
        baseline=Side(2, "v1"),
        ratings=ratings,
        hashes=hashes,
        criteria_names=["fluency"],
        judge_rows=[],
        preferences={"n": 0},
        options=Options(draws=200, seed=0),
    )
    fluency = built["criteria"]["fluency"]
    assert built["n_pairs"] == 6 and fluency["n"] == 6
    assert fluency["mean_difference"] == pytest.approx(np.mean([3, 2, 2, 3, 3, 1]))
    assert built["judge"] == {"judge_version_id": None, "judge": None, "criteria": {}}
    assert built["evidence"]["annotation_ids"] == list(range(1, 13))
