"""Version comparisons: ask for a candidate prompt version against a baseline, compute, refresh.

A comparison is a ``Report`` of kind ``version_comparison`` with ``subject_version`` (the
candidate) and ``baseline_version`` set. This module reads both versions' ratings under the
latest rubric version they share, their outputs' input hashes, judge scores and the human
pairwise preferences (through ``annotate.selectors``, plain counts), has
``metrics.version_report.comparison`` compute the verdicts (``estimate_compare`` the
judge-assisted differences), and stores the result. The report
row's life goes through ``services.scorecards.version_report_run`` and ``services.jobs``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction

from annotate.selectors import (
    RatingsSnapshot,
    preference_outcomes,
)
from llmops_core.errors import DomainError
from llmops_core.hashing import canonical_json
from llmops_core.metrics.version_report.comparison import Options, Side, comparison_build
from llmops_core.metrics.version_report.estimate_compare import comparison_estimates
from llmops_core.models import PromptVersion, Report, ReportKind
from llmops_core.selectors.estimates import version_estimate_design
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.selectors.versions import (
    rubric_version_summary,
    version_fingerprint,
    version_judge_scores,
    version_output_hashes,
    version_ratings,
    version_report_latest,
    version_reports_unfinished,
    version_rubric_version_ids,
    versions_with_outputs,
)
from llmops_core.services.prompts import prompt_template_lock
from llmops_core.services.scorecards import (
    Actor,
    actor_user,
    bootstrap_draws,
    report_needs_refresh,
    scorecard_compute,
    scorecards_refresh,
    version_report_enqueue,
    version_report_run,
)


def _label(version: PromptVersion) -> str:
    return f"v{version.number}"


@transaction.atomic
def comparison_request(
    *,
    candidate: PromptVersion,
    baseline: PromptVersion | None = None,
    requested_by: Actor = None,
    trigger: str = "manual",
) -> tuple[Report, bool]:
    """Ask for a comparison of ``candidate`` with ``baseline`` (default: production).

    A comparison of the same pair still pending or running is returned instead of a new one.
    """
    template = candidate.template
    # Locked first, so that production is read as it stands while this request is queued.
    prompt_template_lock(template_id=template.pk)
    if baseline is None:
        baseline = label_version(template=template)
        if baseline is None:
            raise DomainError(
                f'prompt "{template.name}" has no production version to compare '
                f"v{candidate.number} with; pick a baseline version"
            )
    if baseline.template_id != candidate.template_id:
        raise DomainError(
            f'field "baseline": v{baseline.number} is not a version of "{template.name}"'
        )
    if baseline.pk == candidate.pk:
        raise DomainError(f'field "baseline": v{candidate.number} cannot be compared with itself')
    existing = version_reports_unfinished(
        kind=ReportKind.VERSION_COMPARISON, version=candidate, baseline=baseline
    ).first()
    if existing is not None:
        return existing, False
    report = Report.objects.create(
        project_id=template.project_id,
        kind=ReportKind.VERSION_COMPARISON,
        subject_version=candidate,
        baseline_version=baseline,
        requested_by=actor_user(requested_by),
        title=f"{template.name}: v{candidate.number} vs v{baseline.number}",
        parameters={
            "trigger": trigger,
            "bootstrap_draws": bootstrap_draws(),
            "seed": 0,
            "alpha": 0.05,
            "power": 0.8,
        },
    )
    version_report_enqueue(report_id=report.pk)
    return report, True


def comparison_compute(*, report_id: int) -> Report | None:
    """Compute comparison ``report_id`` from a fresh read; return the row (None if finished)."""
    return version_report_run(
        report_id=report_id, kind=ReportKind.VERSION_COMPARISON, build=_build_comparison
    )


def version_report_compute(*, report_id: int) -> Report | None:
    """Compute a scorecard or a comparison, whichever ``report_id`` is."""
    kind = Report.objects.filter(pk=report_id).values_list("kind", flat=True).first()
    if kind == ReportKind.SCORECARD:
        return scorecard_compute(report_id=report_id)
    if kind == ReportKind.VERSION_COMPARISON:
        return comparison_compute(report_id=report_id)
    return None


def _build_comparison(report: Report) -> tuple[dict[str, Any], str, dict[str, Any]]:
    candidate, baseline = report.subject_version, report.baseline_version
    if candidate is None or baseline is None:
        raise DomainError(f"comparison {report.pk}: one of its prompt versions is gone")
    fingerprints = {
        "candidate": version_fingerprint(version=candidate),
        "baseline": version_fingerprint(version=baseline),
    }
    params = report.parameters
    results = comparison_results(
        candidate=candidate,
        baseline=baseline,
        draws=int(params.get("bootstrap_draws", bootstrap_draws())),
        seed=int(params.get("seed", 0)),
        alpha=float(params.get("alpha", 0.05)),
        power=float(params.get("power", 0.8)),
    )
    fingerprint = json.loads(canonical_json(fingerprints))
    counts = {
        "ratings": results["evidence"]["n_ratings"],
        "pairs": results["n_pairs"],
        "reviewers": len(results["evidence"]["reviewers"]),
        "fingerprint": fingerprint,
    }
    digest = hashlib.sha256(
        canonical_json(
            {
                "ratings": results["evidence"]["ratings_sha256"],
                "judge": results["judge"],
                "preferences": results["win_rate"],
            }
        ).encode()
    ).hexdigest()
    return results, digest, counts


def _common_rubric(
    project_id: int, candidate: PromptVersion, baseline: PromptVersion
) -> tuple[int | None, list[str]]:
    """Return the latest rubric version both versions were rated under, and notes."""
    mine = version_rubric_version_ids(project_id=project_id, version_ids=[candidate.pk])
    theirs = set(version_rubric_version_ids(project_id=project_id, version_ids=[baseline.pk]))
    common = [pk for pk in mine if pk in theirs]
    if common:
        return common[-1], []
    if mine and theirs:
        return None, [
            "The two versions were never rated under the same rubric version, so "
            "their human ratings cannot be compared."
        ]
    return None, []


def comparison_results(
    *,
    candidate: PromptVersion,
    baseline: PromptVersion,
    draws: int,
    seed: int,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict[str, Any]:
    """Return the comparison of ``candidate`` with ``baseline`` as JSON-ready data (reads only)."""
    project_id = candidate.template.project_id
    rubric_id, notes = _common_rubric(project_id, candidate, baseline)
    ids = [candidate.pk, baseline.pk]
    ratings = (
        version_ratings(project_id=project_id, version_ids=ids, rubric_version_id=rubric_id)
        if rubric_id is not None
        else RatingsSnapshot()
    )
    hashes = version_output_hashes(version_ids=ids)
    rubric = rubric_version_summary(rubric_version_id=rubric_id)
    judge_rows = version_judge_scores(version_ids=ids)
    sides = Side(candidate.pk, _label(candidate)), Side(baseline.pk, _label(baseline))
    criteria_names = [c["name"] for c in (rubric or {}).get("criteria", [])]
    built = comparison_build(
        candidate=sides[0],
        baseline=sides[1],
        ratings=ratings,
        hashes=hashes,
        criteria_names=criteria_names,
        judge_rows=judge_rows,
        preferences=preference_outcomes(candidate_id=candidate.pk, baseline_id=baseline.pk),
        options=Options(draws=draws, seed=seed, alpha=alpha, power=power),
    )
    judge = built["judge"]
    built["estimates"] = comparison_estimates(
        ratings=ratings,
        hashes=hashes,
        judge_rows=judge_rows,
        judge=(
            {"judge_version_id": judge["judge_version_id"], "judge": judge["judge"]}
            if judge["judge_version_id"] is not None
            else None
        ),
        designs={
            pk: version_estimate_design(version_id=pk, rated_items=ratings.item) for pk in ids
        },
        criteria=criteria_names,
        candidate=sides[0],
        baseline=sides[1],
    )
    return {
        "candidate": {"id": candidate.pk, "number": candidate.number},
        "baseline": {"id": baseline.pk, "number": baseline.number},
        "template": candidate.template.name,
        "rubric_version": rubric,
        **built,
        "parameters": {
            "bootstrap_draws": draws,
            "seed": seed,
            "alpha": alpha,
            "power": power,
            "confidence": 0.95,
            "pairing": "input_hash",
        },
        "notes": notes,
    }


def comparisons_refresh(*, limit: int = 500) -> list[int]:
    """Recompute comparisons against production whose versions' data changed since."""
    requested: list[int] = []
    for version in versions_with_outputs()[:limit]:
        production = label_version(template=version.template)
        if production is None or production.pk == version.pk:
            continue
        latest = version_report_latest(
            version=version, kind=ReportKind.VERSION_COMPARISON, baseline=production, finished=False
        )
        if latest is None:
            continue  # comparisons are asked for by leads; only existing ones are kept fresh
        current = json.loads(
            canonical_json(
                {
                    "candidate": version_fingerprint(version=version),
                    "baseline": version_fingerprint(version=production),
                }
            )
        )
        if report_needs_refresh(latest, current):
            report, created = comparison_request(
                candidate=version, baseline=production, trigger="schedule"
            )
            requested.extend([report.pk] if created else [])
    return requested


def version_reports_refresh() -> dict[str, list[int]]:
    """Refresh stale scorecards and comparisons (the periodic task's one call)."""
    return {"scorecards": scorecards_refresh(), "comparisons": comparisons_refresh()}
