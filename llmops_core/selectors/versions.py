"""Named reads behind scorecards, version comparisons, release gates, promotions and serving.

Ratings are read only through ``annotate.selectors.ratings``; what leaves this module is plain
rows, dicts and model rows of the LLMOps core.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Avg, Count, Max, QuerySet, Sum

from annotate.selectors import (
    RatingFilter,
    flag_and_skip_counts,
    preference_fingerprint,
    rating_queryset,
)
from llmops_core.models import (
    GenerationRun,
    JobStatus,
    JudgeRun,
    JudgeScore,
    ModelOutput,
    Project,
    Promotion,
    PromptLabel,
    PromptTemplate,
    PromptVersion,
    ReleaseGate,
    Report,
    ReportKind,
    RubricVersion,
)
from llmops_core.selectors.reports import report_fingerprint, report_rubric_versions

PRODUCTION = "production"
VERSION_REPORT_KINDS = (ReportKind.SCORECARD, ReportKind.VERSION_COMPARISON)


@dataclass
class VersionRatings:
    """Ratings of some prompt versions' outputs in long format, and a hash of what was read."""

    rating: list[int] = field(default_factory=list)
    annotation: list[int] = field(default_factory=list)
    item: list[int] = field(default_factory=list)
    output: list[int] = field(default_factory=list)
    version: list[int] = field(default_factory=list)
    reviewer_id: list[int] = field(default_factory=list)
    reviewer: list[str] = field(default_factory=list)
    criterion: list[str] = field(default_factory=list)
    score: list[int] = field(default_factory=list)
    scales: dict[str, tuple[int, int]] = field(default_factory=dict)
    rubric_version_id: int | None = None
    sha256: str = ""

    @property
    def n_ratings(self) -> int:
        return len(self.score)

    def reviewers(self) -> dict[int, str]:
        """Return {reviewer id: username} of everyone behind these ratings."""
        return dict(zip(self.reviewer_id, self.reviewer, strict=True))


def version_rubric_version_ids(*, project_id: int, version_ids: Sequence[int]) -> list[int]:
    """Return the rubric versions the versions' ratings were made under, oldest first."""
    flt = RatingFilter(project_id=project_id, prompt_version_ids=tuple(version_ids))
    return [row["id"] for row in report_rubric_versions(flt=flt)]


_RATING_COLUMNS = (
    "id",
    "annotation_id",
    "annotation__item_id",
    "annotation__item__output_id",
    "annotation__item__output__prompt_version_id",
    "annotation__reviewer_id",
    "annotation__reviewer__username",
    "criterion__name",
    "score",
    "criterion__scale_min",
    "criterion__scale_max",
    "annotation__updated_at",
)


def version_ratings(
    *, project_id: int, version_ids: Sequence[int], rubric_version_id: int | None
) -> VersionRatings:
    """Read the ratings of the versions' outputs under one rubric version (streamed)."""
    flt = RatingFilter(
        project_id=project_id,
        prompt_version_ids=tuple(version_ids),
        rubric_version_id=rubric_version_id,
    )
    data = VersionRatings(rubric_version_id=rubric_version_id)
    digest = hashlib.sha256()
    # Plain field paths (not ``rating_rows``' renamed expressions): one flat tuple per rating.
    rows = rating_queryset(flt).values_list(*_RATING_COLUMNS).iterator(chunk_size=5000)
    for (
        rating,
        annotation,
        item,
        output,
        version,
        reviewer_id,
        reviewer,
        criterion,
        score,
        scale_min,
        scale_max,
        updated_at,
    ) in rows:
        data.rating.append(rating)
        data.annotation.append(annotation)
        data.item.append(item)
        data.output.append(output)
        data.version.append(version)
        data.reviewer_id.append(reviewer_id)
        data.reviewer.append(reviewer)
        data.criterion.append(criterion)
        data.score.append(score)
        data.scales.setdefault(criterion, (scale_min, scale_max))
        digest.update(f"{rating}:{score}:{updated_at.isoformat()}\n".encode())
    data.sha256 = digest.hexdigest()
    return data


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
        "ratings": report_fingerprint(flt=flt),
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


def label_version(*, template: PromptTemplate, label: str = PRODUCTION) -> PromptVersion | None:
    """Return the version ``label`` (in any case) points at, or None."""
    row = (
        PromptLabel.objects.select_related("version")
        .filter(template=template, name=label.lower())
        .first()
    )
    return row.version if row else None


def template_get(*, project: Project, name: str) -> PromptTemplate | None:
    return PromptTemplate.objects.filter(project=project, name=name).first()


def template_version_get(*, template: PromptTemplate, number: int) -> PromptVersion | None:
    return (
        PromptVersion.objects.select_related("template__project", "parent")
        .filter(template=template, number=number)
        .first()
    )


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


def promotion_list(*, template: PromptTemplate) -> QuerySet[Promotion]:
    """Return the template's label moves, newest first, without their (large) evidence."""
    return (
        Promotion.objects.filter(template=template)
        .select_related("actor", "from_version", "to_version")
        .defer("evidence")
        .order_by("-created_at", "-id")
    )


def promotion_get(*, project: Project, pk: int) -> Promotion | None:
    return (
        Promotion.objects.filter(template__project=project, pk=pk)
        .select_related("template", "actor", "from_version", "to_version")
        .first()
    )


def template_versions_with_labels(*, template: PromptTemplate) -> QuerySet[PromptVersion]:
    """Return the template's versions, newest first, with their labels and authors."""
    return (
        PromptVersion.objects.filter(template=template)
        .select_related("created_by", "parent")
        .prefetch_related("labels")
        .order_by("-number")
    )


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


def serving_candidates(*, user: Any, name: str) -> list[tuple[int, str, str | None, int]]:
    """Return (project id, slug, role, template id) of the user's projects with prompt ``name``.

    Superusers see every project (as admins). One query.
    """
    if not user.is_authenticated:
        return []
    projects = Project.objects.filter(prompt_templates__name=name)
    if getattr(user, "is_superuser", False):
        rows = projects.values_list("pk", "slug", "prompt_templates__id")
        return [(pk, slug, "admin", template_id) for pk, slug, template_id in rows]
    return list(
        projects.filter(memberships__user=user).values_list(
            "pk", "slug", "memberships__role", "prompt_templates__id"
        )
    )


def _text_lines(version: PromptVersion | None, field_name: str) -> list[str]:
    if version is None:
        return []
    if field_name == "parameters":
        return json.dumps(version.parameters, indent=2, sort_keys=True).splitlines()
    if field_name == "model_name":
        return [version.model_name]
    return str(getattr(version, field_name)).splitlines()


def version_diff(*, parent: PromptVersion | None, version: PromptVersion) -> list[dict[str, Any]]:
    """Return the unified diff of each changed field, as ``{"field", "lines": [(op, text)]}``.

    ``op`` is ``+``, ``-``, a space (context) or ``@`` (hunk header). Plain text, escaped by
    whoever shows it.
    """
    changes = []
    for field_name in ("system_message", "template_text", "model_name", "parameters"):
        before, after = _text_lines(parent, field_name), _text_lines(version, field_name)
        if before == after:
            continue
        diff = list(difflib.unified_diff(before, after, lineterm="", n=2))[2:]
        lines = [("@", line) if line.startswith("@@") else (line[0], line[1:]) for line in diff]
        changes.append({"field": field_name, "lines": lines})
    return changes


def template_history(*, template: PromptTemplate) -> dict[str, Any]:
    """Return every version (labels, scorecard means, diff to parent) and every label move."""
    versions = list(template_versions_with_labels(template=template))
    cards = scorecards_latest(versions=versions)
    by_pk = {v.pk: v for v in versions}
    rows = []
    for version in versions:
        card = cards.get(version.pk)
        parent = by_pk.get(version.parent_id) if version.parent_id else None
        rows.append(
            {
                "version": version,
                "labels": sorted(label.name for label in version.labels.all()),
                "scorecard": card,
                "diff": version_diff(parent=parent, version=version),
                "means": {c["name"]: c["human"]["mean"] for c in card.results["criteria"]}
                if card
                else {},
            }
        )
    return {
        "template": template,
        "versions": rows,
        "promotions": list(promotion_list(template=template)[:200]),
    }


def version_queue_counts(*, version: PromptVersion) -> list[dict[str, Any]]:
    """Return the queues holding the version's outputs: id, name and how many outputs each."""
    rows = (
        ModelOutput.objects.filter(prompt_version=version, queue_items__isnull=False)
        .values("queue_items__queue_id", "queue_items__queue__name")
        .annotate(n=Count("id"))
        .order_by("queue_items__queue__name")
    )
    return [
        {"id": r["queue_items__queue_id"], "name": r["queue_items__queue__name"], "n": r["n"]}
        for r in rows[:50]
    ]
