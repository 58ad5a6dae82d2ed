"""Named reads behind scorecards, version comparisons and release gates.

Ratings are read only through the door, ``annotate.selectors``; what leaves this module is plain
rows, dicts and model rows of the LLMOps core. Prompt templates, labels, promotions and serving
are read in ``llmops_core.selectors.prompts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db.models import (
    Avg,
    Count,
    Max,
    QuerySet,
    Sum,
)

from annotate.selectors import (
    RatingFilter,
    RatingsSnapshot,
    flag_and_skip_counts,
    preference_fingerprint,
    rating_fingerprint,
    ratings_snapshot,
)
from llmops_core.models import (
    GenerationRun,
    JobStatus,
    JudgeRun,
    JudgeScore,
    ModelOutput,
    Project,
    PromptVersion,
    ReleaseGate,
    Report,
    ReportKind,
    RubricVersion,
)
from llmops_core.selectors.reports import report_rubric_versions

VERSION_REPORT_KINDS = (ReportKind.SCORECARD, ReportKind.VERSION_COMPARISON)


def version_rubric_version_ids(*, project_id: int, version_ids: Sequence[int]) -> list[int]:
    """Return the rubric versions the versions' ratings were made under, oldest first."""
    flt = RatingFilter(project_id=project_id, prompt_version_ids=tuple(version_ids))
    return [row["id"] for row in report_rubric_versions(flt=flt)]


def version_ratings(
    *, project_id: int, version_ids: Sequence[int], rubric_version_id: int | None
) -> RatingsSnapshot:
    """Read the ratings of the versions' outputs under one rubric version (streamed)."""
    flt = RatingFilter(
        project_id=project_id,
        prompt_version_ids=tuple(version_ids),
        rubric_version_id=rubric_version_id,
    )
    return ratings_snapshot(flt, with_gold=False)


def rubric_version_summary(*, rubric_version_id: int | None) -> dict[str, Any] | None:
    """Return a rubric version with its criteria as they read now (frozen into evidence)."""
    if rubric_version_id is None:
        return None
    version = (
        RubricVersion.objects.select_related("rubric")
        .prefetch_related("criteria")
        .filter(pk=rubric_version_id)
        .first()
    )
    if version is None:
        return None
    return {
        "id": version.pk,
        "rubric": version.rubric.name,
        "number": version.number,
        "content_hash": version.content_hash,
        "criteria": [
            {
                "name": c.name,
                "description": c.description,
                "scale_min": c.scale_min,
                "scale_max": c.scale_max,
                "anchors": dict(c.anchors),
            }
            for c in version.criteria.all()
        ],
    }


def version_judge_scores(*, version_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Return every judge score of the versions' outputs as plain rows, oldest run first."""
    rows = (
        JudgeScore.objects.filter(output__prompt_version_id__in=list(version_ids))
        .order_by("run_id", "id")
        .values(
            "output_id",
            "score",
            "run_id",
            "output__prompt_version_id",
            "criterion__name",
            "run__judge_version_id",
            "run__judge_version__number",
            "run__judge_version__config__name",
        )
    )
    return [
        {
            "output_id": r["output_id"],
            "version_id": r["output__prompt_version_id"],
            "criterion": r["criterion__name"],
            "score": r["score"],
            "run_id": r["run_id"],
            "judge_version_id": r["run__judge_version_id"],
            "judge": f"{r['run__judge_version__config__name']} v{r['run__judge_version__number']}",
        }
        for r in rows.iterator(chunk_size=5000)
    ]


def version_output_stats(*, version_id: int) -> dict[str, Any]:
    """Return the count, cost, tokens and latency of a version's outputs."""
    outputs = ModelOutput.objects.filter(prompt_version_id=version_id)
    agg = outputs.aggregate(
        n=Count("id"),
        cost_total=Sum("cost"),
        n_cost=Count("cost"),
        tokens_in=Avg("tokens_in"),
        tokens_out=Avg("tokens_out"),
        n_latency=Count("latency_ms"),
    )
    latencies = np.fromiter(
        outputs.exclude(latency_ms=None).values_list("latency_ms", flat=True).iterator(),
        dtype=np.float64,
    )
    cost_total = float(agg["cost_total"]) if agg["cost_total"] is not None else None
    return {
        "n": agg["n"],
        "n_with_cost": agg["n_cost"],
        "n_with_latency": agg["n_latency"],
        "cost_total": cost_total,
        "cost_per_output": cost_total / agg["n_cost"] if cost_total is not None else None,
        "tokens_in_mean": agg["tokens_in"],
        "tokens_out_mean": agg["tokens_out"],
        "latency_mean_ms": float(latencies.mean()) if latencies.size else None,
        "latency_p50_ms": float(np.percentile(latencies, 50)) if latencies.size else None,
        "latency_p95_ms": float(np.percentile(latencies, 95)) if latencies.size else None,
    }


def version_output_hashes(*, version_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Return {output id: (version id, input hash)} of the versions' outputs."""
    rows = ModelOutput.objects.filter(prompt_version_id__in=list(version_ids)).values_list(
        "id", "prompt_version_id", "input_hash"
    )
    return {pk: (version, digest) for pk, version, digest in rows.iterator(chunk_size=5000)}


def version_flag_counts(*, project_id: int, version_id: int) -> dict[str, int]:
    """Return annotations, flagged annotations and skips on the version's outputs."""
    return flag_and_skip_counts(
        RatingFilter(project_id=project_id, prompt_version_ids=(version_id,))
    )


def version_fingerprint(*, version: PromptVersion) -> dict[str, Any]:
    """Return a cheap fingerprint of everything a scorecard reads (a few aggregate queries)."""
    project_id = version.template.project_id
    flt = RatingFilter(project_id=project_id, prompt_version_ids=(version.pk,))
    judge = JudgeScore.objects.filter(output__prompt_version_id=version.pk).aggregate(
        n=Count("id"), max_id=Max("id")
    )
    outputs = ModelOutput.objects.filter(prompt_version_id=version.pk).aggregate(
        n=Count("id"), max_id=Max("id")
    )
    return {
        "ratings": rating_fingerprint(flt),
        "judge": judge,
        "outputs": outputs,
        "flags": version_flag_counts(project_id=project_id, version_id=version.pk),
        "preferences": preference_fingerprint(version_id=version.pk),
    }


def version_report_latest(
    *,
    version: PromptVersion,
    kind: str,
    baseline: PromptVersion | None = None,
    finished: bool = True,
) -> Report | None:
    """Return the newest succeeded (or, with ``finished=False``, any) report of the version."""
    qs = Report.objects.filter(subject_version=version, kind=kind)
    if kind == ReportKind.VERSION_COMPARISON and baseline is not None:
        qs = qs.filter(baseline_version=baseline)
    if finished:
        qs = qs.filter(status=JobStatus.SUCCEEDED)
    return qs.order_by("-id").first()


def version_report_get(*, project: Project, pk: int) -> Report | None:
    """Return scorecard or comparison report ``pk`` of ``project``, with its versions."""
    return (
        Report.objects.filter(project=project, pk=pk, kind__in=VERSION_REPORT_KINDS)
        .select_related("subject_version__template", "baseline_version", "requested_by")
        .first()
    )


def version_reports_unfinished(
    *, kind: str, version: PromptVersion, baseline: PromptVersion | None = None
) -> QuerySet[Report]:
    """Return the pending or running reports of ``kind`` on the version (few at any time)."""
    qs = Report.objects.filter(
        kind=kind, subject_version=version, status__in=[JobStatus.PENDING, JobStatus.RUNNING]
    )
    if baseline is not None:
        qs = qs.filter(baseline_version=baseline)
    return qs.defer("results")


def version_reports_stale(*, before: Any) -> list[int]:
    """Return ids of version reports left pending or running since before ``before``."""
    return list(
        Report.objects.filter(
            kind__in=VERSION_REPORT_KINDS,
            status__in=[JobStatus.PENDING, JobStatus.RUNNING],
            created_at__lt=before,
        )
        .exclude(started_at__gte=before)
        .values_list("pk", flat=True)[:100]
    )


def versions_with_outputs() -> QuerySet[PromptVersion]:
    """Return every prompt version that has outputs (what the periodic refresh looks at)."""
    ids = ModelOutput.objects.exclude(prompt_version=None).values("prompt_version_id").distinct()
    return PromptVersion.objects.filter(pk__in=ids).select_related("template").order_by("pk")


def release_gate_get(*, project: Project) -> ReleaseGate | None:
    return ReleaseGate.objects.filter(project=project).first()


def judge_calibration(*, project_id: int, judge_version_id: int) -> dict[str, Any] | None:
    """Return the latest judge-vs-humans numbers of a judge version, per criterion, or None.

    Reads the newest succeeded judge comparison report about that judge version: its row in
    ``results["versions"]`` (quadratic kappa, within-1, items per criterion) and its trust.
    """
    report = (
        Report.objects.filter(
            project_id=project_id,
            kind=ReportKind.JUDGE_COMPARISON,
            status=JobStatus.SUCCEEDED,
            parameters__judge_version_id=judge_version_id,
        )
        .order_by("-id")
        .first()
    )
    if report is None:
        return None
    results = report.results or {}
    row = next(
        (v for v in results.get("versions", []) if v.get("version_id") == judge_version_id), None
    )
    criteria: dict[str, dict[str, Any]] = {}
    if row is not None:
        criteria = {
            name: {k: c.get(k) for k in ("quadratic_kappa", "within_1", "n_items")}
            for name, c in (row.get("criteria") or {}).items()
        }
    else:
        for name, section in (results.get("criteria") or {}).items():
            agreement = section.get("agreement") or {}
            criteria[name] = {
                k: agreement.get(k) for k in ("quadratic_kappa", "within_1", "n_items")
            }
    return {
        "report_id": report.pk,
        "finished_at": report.finished_at.isoformat() if report.finished_at else None,
        "snapshot_hash": report.snapshot_hash,
        "trust": (row or {}).get("trust"),
        "criteria": criteria,
    }


def scorecards_latest(*, versions: Sequence[PromptVersion]) -> dict[int, Report]:
    """Return the newest succeeded scorecard of each version (one query)."""
    rows = Report.objects.filter(
        kind=ReportKind.SCORECARD, status=JobStatus.SUCCEEDED, subject_version__in=list(versions)
    ).order_by("-id")
    latest: dict[int, Report] = {}
    for report in rows:
        assert report.subject_version_id is not None
        latest.setdefault(report.subject_version_id, report)
    return latest


def comparisons_latest(*, project: Project) -> dict[tuple[int, int], dict[str, Any]]:
    """Return the newest comparison per (candidate, baseline): id, status, headline, verdicts."""
    rows = (
        Report.objects.filter(project=project, kind=ReportKind.VERSION_COMPARISON)
        .order_by("-id")
        .values(
            "id",
            "status",
            "subject_version_id",
            "baseline_version_id",
            "finished_at",
            "results__headline",
            "results__verdicts",
        )
    )
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows[:500]:
        latest.setdefault((row["subject_version_id"], row["baseline_version_id"]), dict(row))
    return latest


def reports_latest(*, project: Project) -> dict[str, dict[str, Any] | None]:
    """Return the newest finished agreement and judge comparison reports (id, title, summary)."""
    latest: dict[str, dict[str, Any] | None] = {}
    for kind in (ReportKind.AGREEMENT, ReportKind.JUDGE_COMPARISON):
        row = (
            Report.objects.filter(project=project, kind=kind, status=JobStatus.SUCCEEDED)
            .order_by("-id")
            .values("id", "title", "finished_at", "results__summary")
            .first()
        )
        latest[kind] = dict(row) if row is not None else None
    return latest


def project_costs(*, project: Project) -> dict[str, Any]:
    """Return what the project's outputs, judge runs and generation runs cost in total."""
    return {
        "outputs": ModelOutput.objects.filter(project=project).aggregate(
            total=Sum("cost"), n=Count("id")
        )["total"],
        "judge_runs": JudgeRun.objects.filter(project=project).aggregate(t=Sum("cost"))["t"],
        "generation_runs": GenerationRun.objects.filter(project=project).aggregate(t=Sum("cost"))[
            "t"
        ],
    }
