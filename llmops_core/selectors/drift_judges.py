"""Named reads behind judge re-checks: judge scores, due checks, and the stale reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from annotate.selectors import RatingFilter, rating_fingerprint
from llmops_core.models import JobStatus, JudgeScore, JudgeVersion, Report, ReportKind

CHUNK = 2000


def judge_latest_scores(
    *, judge_version_id: int, output_ids: Sequence[int]
) -> dict[str, dict[int, float]]:
    """Return the judge version's latest score per criterion and output, for those outputs."""
    scores: dict[str, dict[int, float]] = {}
    for start in range(0, len(output_ids), CHUNK):
        rows = (
            JudgeScore.objects.filter(
                run__judge_version_id=judge_version_id,
                output_id__in=list(output_ids[start : start + CHUNK]),
            )
            .order_by("id")
            .values_list("criterion__name", "output_id", "score")
        )
        for criterion, output, score in rows:
            scores.setdefault(criterion, {})[output] = float(score)
    return scores


def judge_staleness_for_key(*, project_id: int, key: str) -> Report | None:
    """Return the re-check with ``key`` (judge version and day) that has not failed, or None."""
    return (
        Report.objects.filter(
            project_id=project_id, kind=ReportKind.JUDGE_STALENESS, parameters__key=key
        )
        .exclude(status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
        .defer("results")
        .order_by("-id")
        .first()
    )


def judge_versions_to_recheck(*, since: datetime) -> list[JudgeVersion]:
    """Return the judge versions with runs in projects that have ratings since ``since``.

    One aggregate per project with judge runs (``rating_fingerprint``); the check itself says
    when a window holds too few items for a test.
    """
    versions = list(
        JudgeVersion.objects.filter(runs__isnull=False)
        .distinct()
        .select_related("config__project")
        .order_by("pk")
    )
    rated: dict[int, bool] = {}
    for version in versions:
        project_id = version.config.project_id
        if project_id not in rated:
            flt = RatingFilter(project_id=project_id, since=since)
            rated[project_id] = bool(rating_fingerprint(flt)["ratings"])
    return [v for v in versions if rated[v.config.project_id]]


def judge_staleness_latest(*, judge_version_id: int) -> Report | None:
    """Return the newest re-check of the judge version (any status)."""
    return (
        Report.objects.filter(
            kind=ReportKind.JUDGE_STALENESS, parameters__judge_version_id=judge_version_id
        )
        .order_by("-id")
        .first()
    )


def judge_stale_reasons(*, judge_version_ids: Sequence[int]) -> dict[int, list[str]]:
    """Return, per judge version whose newest finished re-check found a fall, its reasons."""
    if not judge_version_ids:
        return {}
    rows = (
        Report.objects.filter(
            kind=ReportKind.JUDGE_STALENESS,
            status=JobStatus.SUCCEEDED,
            parameters__judge_version_id__in=list(judge_version_ids),
        )
        .order_by("-id")
        .values("parameters__judge_version_id", "results__reasons")[:200]
    )
    latest: dict[int, Any] = {}
    for row in rows:
        latest.setdefault(row["parameters__judge_version_id"], row["results__reasons"] or [])
    return {pk: list(reasons) for pk, reasons in latest.items() if reasons}


def judge_version_by_number(*, project_id: int, name: str, number: int) -> JudgeVersion | None:
    """Return version ``number`` of the project's judge ``name``, or None."""
    return (
        JudgeVersion.objects.select_related("config__project")
        .filter(config__project_id=project_id, config__name=name, number=number)
        .first()
    )


def judge_rechecks_latest(*, judge_version_ids: Sequence[int]) -> dict[int, Report]:
    """Return the newest re-check of each judge version (one query, at most 200 rows read)."""
    rows = Report.objects.filter(
        kind=ReportKind.JUDGE_STALENESS,
        parameters__judge_version_id__in=list(judge_version_ids),
    ).order_by("-id")[:200]
    latest: dict[int, Report] = {}
    for report in rows:
        latest.setdefault(report.parameters["judge_version_id"], report)
    return latest


def scorecard_judge_stale_reasons(*, results: dict[str, Any]) -> list[str]:
    """Return why a scorecard's judge scores are stale: its judges' falls in agreement."""
    ids = [j["judge_version_id"] for j in results.get("judges") or [] if j.get("judge_version_id")]
    by_judge = judge_stale_reasons(judge_version_ids=ids)
    return [reason for pk in ids for reason in by_judge.get(pk, [])]
