"""Prompt version scorecards: what humans and judges say about one version, and what it costs.

A scorecard is a ``Report`` of kind ``scorecard`` with ``subject_version`` set. Per criterion it
holds the human mean (each output weighted once: the mean over outputs of the mean of their
ratings) with a seeded bootstrap interval over outputs, the outputs and ratings behind it, the
judge's mean where a judge scored the outputs, and the reviewers' agreement (ordinal
Krippendorff's alpha over queue items). Around that: flag and skip rates, and cost and latency
per output.

Computing runs outside any transaction (on SQLite a transaction takes the write lock); each write
is one short UPDATE guarded by the row's status, so a redelivered task is harmless.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from annotate.selectors import (
    RatingsSnapshot,
)
from llmops_core.errors import DomainError
from llmops_core.hashing import canonical_json
from llmops_core.metrics.agreement import krippendorff_alpha_estimate
from llmops_core.metrics.significance import mean_bootstrap_ci
from llmops_core.models import JobStatus, PromptVersion, Report, ReportKind
from llmops_core.selectors.versions import (
    rubric_version_summary,
    version_fingerprint,
    version_flag_counts,
    version_judge_scores,
    version_output_stats,
    version_ratings,
    version_report_latest,
    version_reports_stale,
    version_reports_unfinished,
    version_rubric_version_ids,
    versions_with_outputs,
)

logger = logging.getLogger(__name__)
Actor = User | AnonymousUser | None
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
STALE_AFTER = timedelta(minutes=30)


def bootstrap_draws() -> int:
    """Return the bootstrap draws of version reports (``REPORT_BOOTSTRAP_DRAWS``, 2000)."""
    return int(getattr(settings, "REPORT_BOOTSTRAP_DRAWS", 2000))


def actor_user(actor: Actor) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None  # type: ignore[return-value]


# The report row's life: start, succeed, fail (shared with comparisons) -----------------------


def version_report_start(*, report_id: int, kind: str) -> Report | None:
    """Mark the report running and count the attempt; None if it is gone or finished."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .filter(pk=report_id, kind=kind)
            .select_related("project", "subject_version__template", "baseline_version__template")
            .first()
        )
        if report is None or report.is_finished:
            return None
        report.status, report.started_at = JobStatus.RUNNING, timezone.now()
        report.heartbeat_at = report.started_at
        report.attempts += 1
        report.error, report.progress = "", 0.0
        report.save(
            update_fields=["status", "started_at", "heartbeat_at", "attempts", "error", "progress"]
        )
    return report


def version_report_succeed(
    *, report: Report, results: dict[str, Any], snapshot_hash: str, counts: dict[str, Any]
) -> None:
    """Store the results of a running report (JSON-checked: no NaN reaches the database)."""
    encoded = json.loads(json.dumps(results, allow_nan=False, default=str))
    Report.objects.filter(pk=report.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.SUCCEEDED,
        progress=1.0,
        results=encoded,
        error="",
        snapshot_hash=snapshot_hash,
        snapshot_counts=counts,
        finished_at=timezone.now(),
    )


def version_report_fail(*, report: Report, reason: str) -> None:
    """Mark a running report failed with ``reason``."""
    Report.objects.filter(pk=report.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, error=reason[:5000], finished_at=timezone.now()
    )


def version_report_fail_by_id(*, report_id: int, reason: str) -> None:
    """Mark report ``report_id`` failed, whatever step it reached (after the last retry)."""
    Report.objects.filter(pk=report_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(
        status=JobStatus.FAILED, error=reason[:5000], finished_at=timezone.now()
    )


def version_report_run(
    *, report_id: int, kind: str, build: Callable[[Report], tuple[dict[str, Any], str, dict]]
) -> Report | None:
    """Run ``build`` on a started report and store what it returns, or the failure."""
    report = version_report_start(report_id=report_id, kind=kind)
    if report is None:
        return None
    try:
        results, digest, counts = build(report)
        version_report_succeed(report=report, results=results, snapshot_hash=digest, counts=counts)
    except DomainError as exc:
        version_report_fail(report=report, reason=str(exc))
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        logger.exception("%s report %s failed", kind, report_id)
        version_report_fail(report=report, reason=f"internal error ({type(exc).__name__}): {exc}")
    return Report.objects.get(pk=report_id)


def version_report_enqueue(*, report_id: int) -> None:
    """Queue the computation of a scorecard or comparison once the transaction commits."""
    from llmops_core.services.dispatch import dispatch
    from llmops_core.tasks.versions import version_report_compute_task

    transaction.on_commit(lambda: dispatch(version_report_compute_task, report_id))


# Requesting and computing scorecards -----------------------------------------------------------


@transaction.atomic
def scorecard_request(
    *, version: PromptVersion, requested_by: Actor = None, trigger: str = "manual"
) -> tuple[Report, bool]:
    """Ask for a scorecard of ``version``; return it and whether it is new.

    A scorecard of the version still pending or running is returned instead of a second one.
    """
    PromptVersion.objects.select_for_update().filter(pk=version.pk).first()
    existing = version_reports_unfinished(kind=ReportKind.SCORECARD, version=version).first()
    if existing is not None:
        return existing, False
    report = Report.objects.create(
        project_id=version.template.project_id,
        kind=ReportKind.SCORECARD,
        subject_version=version,
        requested_by=actor_user(requested_by),
        title=f"Scorecard: {version.template.name} v{version.number}",
        parameters={"trigger": trigger, "bootstrap_draws": bootstrap_draws(), "seed": 0},
    )
    version_report_enqueue(report_id=report.pk)
    return report, True


def scorecard_compute(*, report_id: int) -> Report | None:
    """Compute scorecard ``report_id`` from a fresh read; return the row (None if finished)."""
    return version_report_run(
        report_id=report_id, kind=ReportKind.SCORECARD, build=_build_scorecard
    )


def _build_scorecard(report: Report) -> tuple[dict[str, Any], str, dict[str, Any]]:
    version = report.subject_version
    if version is None:
        raise DomainError(f"scorecard {report.pk}: its prompt version is gone")
    fingerprint = version_fingerprint(version=version)
    results = scorecard_results(
        version=version,
        draws=int(report.parameters.get("bootstrap_draws", bootstrap_draws())),
        seed=int(report.parameters.get("seed", 0)),
    )
    results["fingerprint"] = json.loads(canonical_json(fingerprint))
    counts = {**results.pop("_counts"), "fingerprint": results["fingerprint"]}
    digest = hashlib.sha256(
        canonical_json(
            {
                "ratings": results["ratings_sha256"],
                "judge": fingerprint["judge"],
                "outputs": fingerprint["outputs"],
                "flags": fingerprint["flags"],
            }
        ).encode()
    ).hexdigest()
    return results, digest, counts


def scorecard_results(*, version: PromptVersion, draws: int, seed: int) -> dict[str, Any]:
    """Return the scorecard of ``version`` as JSON-ready data (reads, never writes)."""
    project_id = version.template.project_id
    rubric_ids = version_rubric_version_ids(project_id=project_id, version_ids=[version.pk])
    rubric_id = rubric_ids[-1] if rubric_ids else None
    ratings = version_ratings(
        project_id=project_id, version_ids=[version.pk], rubric_version_id=rubric_id
    )
    rubric = rubric_version_summary(rubric_version_id=rubric_id)
    judges = judge_means(version_judge_scores(version_ids=[version.pk]))
    order = [c["name"] for c in rubric["criteria"]] if rubric else []
    order += [name for judge in judges for name in judge["criteria"] if name not in order]
    criteria = [criterion_card(ratings, name, judges, draws=draws, seed=seed) for name in order]
    flags = version_flag_counts(project_id=project_id, version_id=version.pk)
    notes = []
    if len(rubric_ids) > 1:
        notes.append(
            f"Ratings under {len(rubric_ids) - 1} older rubric version(s) are left out; "
            "the scorecard uses the latest rubric version its ratings were made under."
        )
    return {
        "version": {
            "id": version.pk,
            "number": version.number,
            "template": version.template.name,
            "model": version.model_name,
        },
        "rubric_version": rubric,
        "criteria": criteria,
        "judges": judges,
        "items_by_reviewers": items_by_reviewers(ratings),
        "flags": {**flags, **_rates(flags)},
        "outputs": version_output_stats(version_id=version.pk),
        "n_ratings": ratings.n_ratings,
        "n_outputs_rated": len(set(ratings.output)),
        "n_reviewers": len(set(ratings.reviewer_id)),
        "ratings_sha256": ratings.sha256,
        "parameters": {
            "bootstrap_draws": draws,
            "seed": seed,
            "confidence": 0.95,
            "alpha_level": "ordinal",
            "unit": "output",
        },
        "notes": notes,
        "_counts": {
            "ratings": ratings.n_ratings,
            "outputs_rated": len(set(ratings.output)),
            "reviewers": len(set(ratings.reviewer_id)),
            "judge_scores": sum(j["n_scores"] for j in judges),
        },
    }


def _rates(flags: dict[str, int]) -> dict[str, float | None]:
    annotations, skipped = flags["annotations"], flags["skipped"]
    return {
        "flag_rate": flags["flagged"] / annotations if annotations else None,
        "skip_rate": skipped / (annotations + skipped) if annotations + skipped else None,
    }


def criterion_card(
    ratings: RatingsSnapshot, name: str, judges: list[dict[str, Any]], *, draws: int, seed: int
) -> dict[str, Any]:
    """Return one criterion's row: human mean and CI, counts, agreement, judge mean."""
    rows = np.flatnonzero(np.asarray(ratings.criterion, dtype=object) == name)
    scale = ratings.scales.get(name)
    outputs = np.asarray(ratings.output, dtype=np.int64)[rows]
    scores = np.asarray(ratings.score, dtype=np.float64)[rows]
    per_output = _group_means(outputs, scores)
    ci = mean_bootstrap_ci(
        per_output, draws=draws, seed=seed + criterion_seed(name), empty_reason="no ratings"
    )
    human = {
        "mean": float(per_output.mean()) if per_output.size else None,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "ci_reason": ci.reason,
        "n_items": int(per_output.size),
        "n_ratings": int(rows.size),
        "n_reviewers": len({ratings.reviewer_id[i] for i in rows}),
    }
    judge = next(
        (
            {
                "mean": j["criteria"][name]["mean"],
                "n_items": j["criteria"][name]["n"],
                "judge_version_id": j["judge_version_id"],
                "judge": j["judge"],
            }
            for j in judges
            if name in j["criteria"]
        ),
        None,
    )
    return {
        "name": name,
        "scale": list(scale) if scale else None,
        "human": human,
        "judge": judge,
        "agreement": _agreement(ratings, rows, scale),
    }


def criterion_seed(name: str) -> int:
    """Return a stable per-criterion seed offset, so adding a criterion changes no other CI."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def _group_means(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the mean of ``values`` per distinct key."""
    if keys.size == 0:
        return np.empty(0)
    _, inverse = np.unique(keys, return_inverse=True)
    return np.bincount(inverse, weights=values) / np.bincount(inverse)


def _agreement(
    ratings: RatingsSnapshot, rows: np.ndarray, scale: tuple[int, int] | None
) -> dict[str, Any]:
    """Return ordinal Krippendorff's alpha over queue items x reviewers, with its reason."""
    if rows.size == 0 or scale is None:
        return {"alpha": None, "reason": "no ratings", "n_items_overlap": 0}
    items = np.asarray(ratings.item, dtype=np.int64)[rows]
    reviewers = np.asarray(ratings.reviewer_id, dtype=np.int64)[rows]
    item_keys, item_index = np.unique(items, return_inverse=True)
    reviewer_keys, reviewer_index = np.unique(reviewers, return_inverse=True)
    matrix = np.full((reviewer_keys.size, item_keys.size), np.nan)
    matrix[reviewer_index, item_index] = np.asarray(ratings.score, dtype=np.float64)[rows]
    overlap = int((np.isfinite(matrix).sum(axis=0) >= 2).sum())
    domain = [float(v) for v in range(scale[0], scale[1] + 1)]
    estimate = krippendorff_alpha_estimate(matrix, "ordinal", domain)
    return {"alpha": estimate.value, "reason": estimate.reason, "n_items_overlap": overlap}


def judge_means(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each judge version's mean per criterion (its latest score per output), newest first.

    ``rows`` come oldest run first, so a later run's score of an output replaces an earlier one.
    """
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        judge = latest.setdefault(
            row["judge_version_id"],
            {
                "judge_version_id": row["judge_version_id"],
                "judge": row["judge"],
                "last_run_id": 0,
                "scores": {},
            },
        )
        judge["last_run_id"] = max(judge["last_run_id"], row["run_id"])
        judge["scores"].setdefault(row["criterion"], {})[row["output_id"]] = row["score"]
    result = []
    for judge in sorted(latest.values(), key=lambda j: -j["last_run_id"]):
        criteria = {
            name: {"mean": float(np.mean(list(by_output.values()))), "n": len(by_output)}
            for name, by_output in judge.pop("scores").items()
        }
        judge["criteria"] = criteria
        judge["n_scores"] = sum(c["n"] for c in criteria.values())
        result.append(judge)
    return result


def items_by_reviewers(ratings: RatingsSnapshot) -> dict[str, int]:
    """Return how many outputs were rated by at least k distinct reviewers, for k = 1, 2, ..."""
    seen: dict[int, set[int]] = {}
    for output, reviewer in zip(ratings.output, ratings.reviewer_id, strict=True):
        seen.setdefault(output, set()).add(reviewer)
    counts = np.bincount([len(r) for r in seen.values()]) if seen else np.zeros(1, dtype=int)
    at_least = np.cumsum(counts[::-1])[::-1]
    return {str(k): int(at_least[k]) for k in range(1, at_least.size)}


# Keeping scorecards fresh ----------------------------------------------------------------------


def report_needs_refresh(latest: Report, fingerprint: dict[str, Any]) -> bool:
    """Return whether a version report is out of date (a failed one is retried after a while)."""
    if not latest.is_finished:
        return False
    if latest.status == JobStatus.FAILED:
        return latest.finished_at is None or latest.finished_at < timezone.now() - STALE_AFTER
    return latest.snapshot_counts.get("fingerprint") != fingerprint


def scorecards_refresh(*, limit: int = 500) -> list[int]:
    """Request a scorecard for every version whose data changed since its latest scorecard.

    The check is a cheap fingerprint (counts, last ids and edit times), compared with the one
    stored on the latest scorecard; versions with ratings or judge scores and no scorecard get
    their first one. Reports left pending or running by a dead worker are enqueued again.
    Returns the ids of the reports requested.
    """
    requested: list[int] = []
    for version in versions_with_outputs()[:limit]:
        current = json.loads(canonical_json(version_fingerprint(version=version)))
        latest = version_report_latest(version=version, kind=ReportKind.SCORECARD, finished=False)
        if latest is None:
            if not current["ratings"]["ratings"] and not current["judge"]["n"]:
                continue
        elif not report_needs_refresh(latest, current):
            continue
        report, created = scorecard_request(version=version, trigger="schedule")
        if created:
            requested.append(report.pk)
    for report_id in version_reports_stale(before=timezone.now() - STALE_AFTER):
        with transaction.atomic():
            version_report_enqueue(report_id=report_id)
    return requested
