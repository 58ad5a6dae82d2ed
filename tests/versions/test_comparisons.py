"""Version comparisons: pairing by input, paired tests against scipy, verdicts, refresh."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from llmops_core.errors import DomainError
from llmops_core.models import JobStatus, Project, Report
from llmops_core.services.comparisons import (
    comparison_compute,
    comparison_request,
    comparisons_refresh,
)
from llmops_core.services.prompts import prompt_label_set
from tests.versions.helpers import (
    FACTUALITY,
    N,
    all_criteria,
    judge_scores,
    make_outputs,
    make_queue,
    make_versions,
    rate_all,
)

pytestmark = pytest.mark.django_db


def compute(candidate: Any, baseline: Any = None) -> Report:
    report, _ = comparison_request(candidate=candidate, baseline=baseline)
    result = comparison_compute(report_id=report.pk)
    assert result is not None and result.status == JobStatus.SUCCEEDED, result and result.error
    return result


def factuality_differences() -> np.ndarray:
    return np.array([(c1 + c2) / 2 - (b1 + b2) / 2 for b1, b2, c1, c2 in FACTUALITY])


def test_comparison_defaults_to_production_and_pairs_by_input(pair: dict[str, Any]) -> None:
    report = compute(pair["v2"])
    assert report.baseline_version_id == pair["v1"].pk
    assert report.results["n_pairs"] == N
    fluency = report.results["criteria"]["fluency"]
    assert fluency["n"] == N
    assert fluency["mean_difference"] == 1.5
    assert fluency["verdict"] == "better"
    assert fluency["wilcoxon"]["p_value"] == pytest.approx(2 / 2**N)
    assert report.results["criteria"]["relevance"]["verdict"] == "worse"


def test_comparison_paired_test_matches_scipy(pair: dict[str, Any]) -> None:
    factuality = compute(pair["v2"]).results["criteria"]["factuality"]
    diffs = factuality_differences()
    assert factuality["mean_difference"] == pytest.approx(diffs.mean())
    assert factuality["wilcoxon"]["p_value"] == pytest.approx(stats.wilcoxon(diffs).pvalue)
    assert factuality["verdict"] == "not_distinguishable"
    assert "not distinguishable on factuality" in factuality["text"]


def test_comparison_headline_win_rate_and_evidence(pair: dict[str, Any]) -> None:
    results = compute(pair["v2"]).results
    assert results["headline"] == (
        "v2 vs v1: better on fluency; worse on relevance; not "
        "distinguishable on factuality with this much data."
    )
    assert results["win_rate"]["source"] == "consensus"
    assert results["win_rate"]["criteria"]["fluency"]["win"]["count"] == N
    assert results["win_rate"]["criteria"]["relevance"]["loss"]["count"] == N
    evidence = results["evidence"]
    assert evidence["n_ratings"] == 2 * (2 * N + 2) * 3
    assert len(evidence["annotation_ids"]) == 2 * (2 * N + 2)
    assert [r["username"] for r in evidence["reviewers"]] == ["rev1", "rev2"]
    assert results["rubric_version"]["criteria"][0]["name"] == "fluency"
    assert results["judge_used"] is False


def test_comparison_includes_judge_scores_of_both_versions(
    project: Project, pair: dict[str, Any]
) -> None:
    scores = {o: all_criteria(3) for o in pair["base"]}
    scores.update({o: all_criteria(4) for o in pair["cand"]})
    run = judge_scores(project, scores)
    results = compute(pair["v2"]).results
    assert results["judge_used"] is True
    assert results["judge"]["judge_version_id"] == run.judge_version_id
    assert results["judge"]["criteria"]["fluency"]["mean_difference"] == 1.0
    assert results["judge"]["criteria"]["fluency"]["n"] == N


def test_comparison_snapshot_is_stable(pair: dict[str, Any]) -> None:
    first = compute(pair["v2"])
    second = compute(pair["v2"])
    assert first.snapshot_hash == second.snapshot_hash
    assert first.results["criteria"] == second.results["criteria"]


def test_comparison_needs_a_baseline(project: Project) -> None:
    _, v2 = make_versions(project, 2)
    with pytest.raises(DomainError, match="no production version"):
        comparison_request(candidate=v2)
    with pytest.raises(DomainError, match="cannot be compared with itself"):
        comparison_request(candidate=v2, baseline=v2)
    (other,) = make_versions(project, 1, name="other")
    with pytest.raises(DomainError, match="is not a version of"):
        comparison_request(candidate=v2, baseline=other)


def test_comparison_without_shared_ratings_says_so(project: Project, lead: Any) -> None:
    v1, v2 = make_versions(project, 2)
    prompt_label_set(version=v1, label="production", actor=lead)
    make_outputs(project, v1, 3)
    make_outputs(project, v2, 3)
    results = compute(v2).results
    assert results["criteria"] == {} and results["n_pairs"] == 0
    assert "no ratings" in results["headline"]


def test_refresh_recomputes_comparisons_whose_ratings_changed(
    project: Project, pair: dict[str, Any], reviewers: list[Any]
) -> None:
    compute(pair["v2"])
    assert comparisons_refresh() == []
    queue = make_queue(project, pair["cand"][:1], reviewers[2:], overlap=1)
    rate_all(queue, reviewers[2], lambda o: all_criteria(5))
    requested = comparisons_refresh()
    assert len(requested) == 1
    report = Report.objects.get(pk=requested[0])
    assert (report.subject_version_id, report.baseline_version_id) == (pair["v2"].pk, pair["v1"].pk)
    assert report.parameters["trigger"] == "schedule"
