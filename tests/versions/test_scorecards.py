"""Scorecards: numbers checked by hand on a small case, agreement against krippendorff, refresh."""

from __future__ import annotations

from typing import Any

import krippendorff
import numpy as np
import pytest

from llmops_core.models import JobStatus, Project, Report, ReportKind
from llmops_core.services.scorecards import (
    scorecard_compute,
    scorecard_request,
    scorecards_refresh,
)
from tests.versions.helpers import (
    all_criteria,
    judge_scores,
    make_outputs,
    make_queue,
    make_versions,
    rate_all,
)

pytestmark = pytest.mark.django_db

# fluency, relevance, factuality per (reviewer, output index); rev3 rates only output 0.
SCORES = {
    ("rev1", 0): (4, 4, 5),
    ("rev1", 1): (3, 4, 4),
    ("rev1", 2): (2, 4, 3),
    ("rev2", 0): (5, 4, 5),
    ("rev2", 1): (3, 4, 4),
    ("rev2", 2): (4, 4, 2),
    ("rev3", 0): (3, 4, 5),
}


def scored(reviewer: Any, outputs: list[Any]) -> Any:
    def scores_for(output: Any) -> Any:
        index = outputs.index(output)
        if index == 3:
            return "skip" if reviewer.username == "rev1" else ("flag", {})
        return dict(
            zip(
                ("fluency", "relevance", "factuality"),
                SCORES.get((reviewer.username, index), (3, 3, 3)),
                strict=True,
            )
        )

    return scores_for


@pytest.fixture
def rated(project: Project, reviewers: list[Any]) -> dict[str, Any]:
    """One version, four outputs; rev1 and rev2 rate three (rev1 skips, rev2 flags the 4th)."""
    (v1,) = make_versions(project, 1)
    outputs = make_outputs(project, v1, 4)
    # Import order: rev3's one rating must be of output 0.
    queue = make_queue(project, outputs, reviewers, overlap=3, order="import")
    rev1, rev2, rev3 = reviewers
    assert rate_all(queue, rev1, scored(rev1, outputs)) == 4
    assert rate_all(queue, rev2, scored(rev2, outputs)) == 4
    assert rate_all(queue, rev3, scored(rev3, outputs), limit=1) == 1
    return {"version": v1, "outputs": outputs, "queue": queue}


def compute(version: Any) -> Report:
    report, created = scorecard_request(version=version)
    assert created
    result = scorecard_compute(report_id=report.pk)
    assert result is not None and result.status == JobStatus.SUCCEEDED, result and result.error
    return result


def by_name(report: Report) -> dict[str, Any]:
    return {c["name"]: c for c in report.results["criteria"]}


def test_scorecard_human_means_are_means_over_outputs(rated: dict[str, Any]) -> None:
    """fluency: outputs 4, 3, 3 -> 3.333; factuality: 5, 4, 2.5 -> 3.833; relevance all 4."""
    criteria = by_name(compute(rated["version"]))
    fluency = criteria["fluency"]["human"]
    assert fluency["mean"] == pytest.approx(10 / 3)
    assert (fluency["n_items"], fluency["n_ratings"], fluency["n_reviewers"]) == (3, 7, 3)
    assert fluency["ci_low"] <= fluency["mean"] <= fluency["ci_high"]
    assert criteria["factuality"]["human"]["mean"] == pytest.approx(11.5 / 3)
    assert criteria["relevance"]["human"]["mean"] == 4.0
    assert list(criteria) == ["fluency", "relevance", "factuality"]


def test_scorecard_agreement_matches_krippendorff_package(rated: dict[str, Any]) -> None:
    criteria = by_name(compute(rated["version"]))
    nan = np.nan
    fluency = np.array([[4, 3, 2], [5, 3, 4], [3, nan, nan]])
    expected = krippendorff.alpha(
        fluency, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]
    )
    assert criteria["fluency"]["agreement"]["alpha"] == pytest.approx(expected)
    assert criteria["fluency"]["agreement"]["n_items_overlap"] == 3
    relevance = criteria["relevance"]["agreement"]
    assert relevance["alpha"] is None and "same value" in relevance["reason"]


def test_scorecard_flags_skips_cost_and_latency(rated: dict[str, Any]) -> None:
    results = compute(rated["version"]).results
    assert results["flags"]["annotations"] == 8
    assert (results["flags"]["flagged"], results["flags"]["skipped"]) == (1, 1)
    assert results["flags"]["flag_rate"] == pytest.approx(1 / 8)
    assert results["flags"]["skip_rate"] == pytest.approx(1 / 9)
    outputs = results["outputs"]
    assert outputs["n"] == 4
    assert outputs["cost_total"] == pytest.approx(0.008)
    assert outputs["cost_per_output"] == pytest.approx(0.002)
    assert outputs["latency_mean_ms"] == 550
    assert outputs["latency_p95_ms"] == pytest.approx(685)
    assert results["items_by_reviewers"] == {"1": 3, "2": 3, "3": 1}


def test_scorecard_judge_mean_uses_the_latest_score_per_output(
    project: Project, rated: dict[str, Any]
) -> None:
    o0, o1 = rated["outputs"][:2]
    judge_scores(project, {o0: all_criteria(1), o1: all_criteria(1)})
    run = judge_scores(project, {o0: all_criteria(4), o1: all_criteria(2)})
    criteria = by_name(compute(rated["version"]))
    judge = criteria["fluency"]["judge"]
    assert judge["mean"] == 3.0 and judge["n_items"] == 2
    assert judge["judge_version_id"] == run.judge_version_id


def test_scorecard_snapshot_counts_and_hash(rated: dict[str, Any]) -> None:
    report = compute(rated["version"])
    assert report.snapshot_counts["ratings"] == 21
    assert report.snapshot_counts["outputs_rated"] == 3
    assert len(report.snapshot_hash) == 64
    again = compute(rated["version"])
    assert again.snapshot_hash == report.snapshot_hash
    assert again.results["criteria"] == report.results["criteria"]


def test_scorecard_without_ratings_is_empty_but_succeeds(project: Project) -> None:
    (v1,) = make_versions(project, 1)
    make_outputs(project, v1, 2)
    results = compute(v1).results
    assert results["criteria"] == [] and results["n_ratings"] == 0
    assert results["outputs"]["n"] == 2


def test_scorecard_request_returns_the_unfinished_one(project: Project) -> None:
    (v1,) = make_versions(project, 1)
    first, created = scorecard_request(version=v1)
    again, created_again = scorecard_request(version=v1)
    assert created and not created_again and again.pk == first.pk


def test_computing_a_finished_scorecard_again_changes_nothing(rated: dict[str, Any]) -> None:
    report = compute(rated["version"])
    assert scorecard_compute(report_id=report.pk) is None


def test_refresh_requests_scorecards_only_when_data_changed(
    project: Project, rated: dict[str, Any], reviewers: list[Any]
) -> None:
    version = rated["version"]
    first = scorecards_refresh()
    assert len(first) == 1
    scorecard_compute(report_id=first[0])
    assert scorecards_refresh() == []
    rev3 = reviewers[2]
    rate_all(rated["queue"], rev3, scored(rev3, rated["outputs"]), limit=1)
    changed = scorecards_refresh()
    assert len(changed) == 1
    assert Report.objects.get(pk=changed[0]).subject_version_id == version.pk
    assert Report.objects.filter(kind=ReportKind.SCORECARD).count() == 2


def test_refresh_skips_versions_without_ratings_or_judge_scores(project: Project) -> None:
    (v1,) = make_versions(project, 1)
    make_outputs(project, v1, 2)
    assert scorecards_refresh() == []
