"""Computing an agreement report from stored ratings: published values through the whole
pipeline (ratings in the database -> annotate selector -> engine -> stored results)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotate.models import Rating
from llmops_core.models import JobStatus, Project, Report
from llmops_core.services.reports import ReportScope, report_compute, report_request
from llmops_core.services.rubrics import CriterionSpec, rubric_version_create
from tests.reports.builders import (
    RatedQueue,
    default_rubric_version,
    rate,
    rated_queue,
)

pytestmark = pytest.mark.django_db


def compute(project: Project, scope: ReportScope) -> Report:
    """Request and compute a report in this process; assert it succeeded."""
    report, _ = report_request(project=project, requested_by=None, scope=scope)
    done = report_compute(report_id=report.pk)
    assert done is not None
    assert done.status == JobStatus.SUCCEEDED, done.error
    return done


def test_krippendorff_2011_reproduces_to_three_decimals(
    project: Project, k2011: RatedQueue
) -> None:
    """Krippendorff (2011), section C: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797;
    Gwet (2014, p. 120) on the same data: AC1 0.775, AC2 linear 0.859, quadratic 0.914."""
    report = compute(project, ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=200))
    fluency = report.results["criteria"]["fluency"]
    alpha = {level: round(value, 3) for level, value in fluency["krippendorff_alpha"].items()}
    assert alpha == {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    assert round(fluency["gwet_ac1"], 3) == 0.775
    assert {k: round(v, 3) for k, v in fluency["gwet_ac2"].items()} == {
        "linear": 0.859,
        "quadratic": 0.914,
    }


# The krippendorff package's doctest: 3 coders x 15 units, nominal 0.691, interval 0.811.
KRIPPENDORFF_DOCTEST: list[list[int | None]] = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]


def test_krippendorff_package_doctest_reproduces(project: Project) -> None:
    """krippendorff (Castro 2017) README example: nominal 0.691358, interval 0.810845."""
    rq = rated_queue(project, KRIPPENDORFF_DOCTEST, name="Doctest")
    report = compute(project, ReportScope(queue_id=rq.queue.pk, bootstrap_draws=0))
    alpha = report.results["criteria"]["fluency"]["krippendorff_alpha"]
    assert (round(alpha["nominal"], 3), round(alpha["interval"], 3)) == (0.691, 0.811)


def test_results_hold_summary_snapshot_reviewers_and_contested_items(
    project: Project, k2011: RatedQueue
) -> None:
    report = compute(project, ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=200))
    results = report.results
    verdict = results["summary"]["criteria"][0]
    assert verdict["criterion"] == "fluency" and verdict["level"] == "good"
    assert verdict["text"].startswith("Reviewers agree well on fluency (alpha 0.82, 95% CI ")
    assert results["summary"]["headline"].startswith("Reviewers agree well on fluency")
    assert any("No ratings on relevance and factuality" in n for n in results["summary"]["notes"])
    counts = report.snapshot_counts
    assert (counts["ratings"], counts["items"], counts["reviewers"], counts["criteria"]) == (
        41,
        12,
        4,
        1,
    )
    assert counts["rubric_version"]["number"] == 1
    assert len(report.snapshot_hash) == 64 and results["snapshot"]["sha256"] == report.snapshot_hash
    assert [r["reviewer"] for r in results["reviewers"]] == [u.username for u in k2011.reviewers]
    assert results["reviewers"][0]["criteria"]["fluency"]["n_ratings"] == 9
    top = results["contested"][0]
    item = k2011.items[5]  # scores 1, 2, 3, 4: the widest spread
    assert (top["item_id"], top["output_id"], top["queue_id"]) == (
        item.pk,
        item.output_id,
        k2011.queue.pk,
    )
    assert top["criteria"]["fluency"]["scores"] == [1.0, 2.0, 3.0, 4.0]
    assert top["links"]["ratings"] == f"/p/{project.slug}/reports/{report.pk}/items/{item.pk}/"
    assert results["distribution"]["fluency"]["counts"] == [9, 13, 11, 5, 3]
    assert results["scope"]["queue"] == {"id": k2011.queue.pk, "name": k2011.queue.name}


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    return {k: results[k] for k in ("criteria", "summary", "snapshot", "trend", "reviewers")}


def test_same_data_gives_same_hash_and_numbers(project: Project, k2011: RatedQueue) -> None:
    scope = ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=300, seed=7)
    first = compute(project, scope)
    second = compute(project, scope)
    assert first.pk != second.pk
    assert first.snapshot_hash == second.snapshot_hash
    assert _comparable(first.results) == _comparable(second.results)


def test_snapshot_hash_changes_when_a_rating_changes(project: Project, k2011: RatedQueue) -> None:
    scope = ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=0)
    before = compute(project, scope)
    rating = Rating.objects.filter(annotation__item=k2011.items[0]).first()
    Rating.objects.filter(pk=rating.pk).update(score=5)
    after = compute(project, scope)
    assert after.snapshot_hash != before.snapshot_hash
    ordinal = after.results["criteria"]["fluency"]["krippendorff_alpha"]["ordinal"]
    assert round(ordinal, 3) != 0.815


def test_reviewer_subset_and_time_window_narrow_the_ratings(
    project: Project, k2011: RatedQueue
) -> None:
    names = (k2011.reviewers[1].username, k2011.reviewers[3].username)
    subset = compute(
        project, ReportScope(queue_id=k2011.queue.pk, reviewers=names, bootstrap_draws=0)
    )
    assert subset.snapshot_counts["reviewers"] == 2
    assert subset.snapshot_counts["ratings"] == 11 + 11
    future = compute(
        project, ReportScope(since=timezone.now() + timedelta(days=1), bootstrap_draws=0)
    )
    assert future.snapshot_counts["ratings"] == 0
    assert future.results["summary"]["headline"] == "There are no ratings to measure agreement on."


def test_prompt_version_filter(project: Project) -> None:
    from llmops_core.services.prompts import prompt_template_create, prompt_version_create
    from tests.factories import ModelOutputFactory

    template = prompt_template_create(project=project, name="reply")
    v1, _ = prompt_version_create(template=template, template_text="a", model_name="m")
    v2, _ = prompt_version_create(template=template, template_text="b", model_name="m")
    outputs = [ModelOutputFactory(project=project, prompt_version=v) for v in (v1, v1, v2)]
    rated_queue(project, [[1, 2, 3], [1, 2, 4]], outputs=outputs)
    report = compute(project, ReportScope(prompt_version_ids=(v1.pk,), bootstrap_draws=0))
    assert report.snapshot_counts["items"] == 2


def test_a_filter_spanning_two_rubric_versions_reports_on_the_latest_and_says_so(
    project: Project, k2011: RatedQueue
) -> None:
    v1 = default_rubric_version(project)
    v2, _ = rubric_version_create(
        rubric=v1.rubric, criteria=[CriterionSpec("fluency", "How well it reads", scale_max=3)]
    )
    for reviewer, score in zip(k2011.reviewers[::2], (1, 3), strict=True):
        rate(k2011, reviewer, k2011.items[11], {"fluency": score}, rubric_version=v2)
    latest = compute(project, ReportScope(queue_id=k2011.queue.pk, bootstrap_draws=0))
    assert latest.snapshot_counts["rubric_version"]["id"] == v2.pk
    assert latest.snapshot_counts["ratings"] == 2
    assert latest.results["criteria"]["fluency"]["scale"] == [1.0, 2.0, 3.0]
    note = latest.results["scope"]["rubric_note"]
    assert "covers default v2 only (the latest)" in note and "default v1 (41 ratings)" in note
    assert note in latest.results["summary"]["notes"]
    asked = compute(
        project, ReportScope(queue_id=k2011.queue.pk, rubric_version_id=v1.pk, bootstrap_draws=0)
    )
    assert asked.snapshot_counts["ratings"] == 41
    assert "(as asked)" in asked.results["scope"]["rubric_note"]


def test_one_reviewer_gives_undefined_alpha_with_the_reason(project: Project) -> None:
    rq = rated_queue(project, [[1, 2, 3, 4]])
    report = compute(project, ReportScope(queue_id=rq.queue.pk, bootstrap_draws=50))
    verdict = report.results["summary"]["criteria"][0]
    assert verdict["level"] == "undefined" and verdict["alpha"] is None
    assert verdict["text"].startswith("Agreement on fluency cannot be measured: only one reviewer")


def test_few_overlapping_items_are_flagged_in_the_summary(project: Project) -> None:
    rq = rated_queue(project, [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
    report = compute(project, ReportScope(queue_id=rq.queue.pk, bootstrap_draws=50))
    assert "too few overlapping items" in report.results["summary"]["criteria"][0]["text"]


@pytest.mark.parametrize(("days_apart", "unit", "periods"), [(30, "week", 2), (3, "day", 2)])
def test_trend_groups_items_by_the_period_of_their_first_rating(
    project: Project, days_apart: int, unit: str, periods: int
) -> None:
    early = timezone.now() - timedelta(days=days_apart)
    late = timezone.now()
    when = [early] * 6 + [late] * 6
    matrix = [[1, 2, 3, 4, 5, 1, 1, 2, 3, 4, 5, 1], [1, 2, 3, 4, 5, 1, 5, 4, 1, 2, 1, 5]]
    rq = rated_queue(project, matrix, when=when)
    report = compute(project, ReportScope(queue_id=rq.queue.pk, bootstrap_draws=0))
    trend = report.results["trend"]
    assert (trend["unit"], len(trend["periods"])) == (unit, periods)
    first, last = trend["criteria"]["fluency"]
    assert first["alpha"] == 1.0 and first["n_items"] == 6
    assert last["alpha"] < 0.2
