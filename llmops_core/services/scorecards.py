"""Prompt version scorecards: ask for one, compute it in a worker, keep it fresh.

A scorecard is a ``Report`` of kind ``scorecard`` with ``subject_version`` set: what humans and
judges say about one version, and what it costs. This module reads the version's ratings, judge
scores, flags and output figures (``selectors.versions``), has
``metrics.version_report.scorecard`` compute the card (and ``metrics.version_report.estimates``
its judge-assisted estimates), and stores it. The report row's life
(start, succeed, fail) goes through ``services.jobs``, shared with comparisons.

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

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.hashing import canonical_json
from llmops_core.metrics.version_report.estimates import scorecard_estimates
from llmops_core.metrics.version_report.scorecard import scorecard_build
from llmops_core.models import JobStatus, PromptVersion, Report, ReportKind
from llmops_core.selectors.estimates import version_estimate_design
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
from llmops_core.services.jobs import (
    TRANSIENT_ERRORS,
    UNFINISHED,
    JobKind,
    job_enqueue,
    job_fail,
    job_start,
    job_succeed,
)
from llmops_core.services.prompts import prompt_template_lock
from llmops_core.services.reference_scores import (
    version_has_references,
    version_reference_metrics,
)

logger = logging.getLogger(__name__)
Actor = User | AnonymousUser | None
STALE_AFTER = timedelta(minutes=30)


def bootstrap_draws() -> int:
    """Return the bootstrap draws of version reports (``REPORT_BOOTSTRAP_DRAWS``, 2000)."""
    return int(getattr(settings, "REPORT_BOOTSTRAP_DRAWS", 2000))


def actor_user(actor: Actor) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None  # type: ignore[return-value]


# The report row's life (shared with comparisons), through services.jobs ---------------------


def version_report_fail_by_id(*, report_id: int, reason: str) -> None:
    """Mark report ``report_id`` failed, whatever step it reached (after the last retry)."""
    job_fail(model=Report, job_id=report_id, reason=reason[:5000], statuses=UNFINISHED)


def version_report_run(
    *, report_id: int, kind: str, build: Callable[[Report], tuple[dict[str, Any], str, dict]]
) -> Report | None:
    """Start the report (one more attempt), run ``build`` on it and store what it returns.

    Return the row, or None if it is gone or finished. A ``DomainError`` fails the report
    with its message, a transient database error propagates for the task to retry, anything
    else fails it as an internal error. Results are JSON-checked: no NaN reaches the database.
    """
    if not job_start(model=Report, job_id=report_id, kind=kind):
        return None
    report = Report.objects.select_related(
        "project", "subject_version__template", "baseline_version__template"
    ).get(pk=report_id)
    try:
        results, digest, counts = build(report)
        encoded = json.loads(json.dumps(results, allow_nan=False, default=str))
        job_succeed(
            model=Report,
            job_id=report_id,
            results=encoded,
            error="",
            snapshot_hash=digest,
            snapshot_counts=counts,
        )
    except DomainError as exc:
        job_fail(model=Report, job_id=report_id, reason=str(exc)[:5000])
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        logger.exception("%s report %s failed", kind, report_id)
        reason = f"internal error ({type(exc).__name__}): {exc}"
        job_fail(model=Report, job_id=report_id, reason=reason[:5000])
    return Report.objects.get(pk=report_id)


def version_report_enqueue(*, report_id: int) -> None:
    """Queue the computation of a scorecard or comparison once the transaction commits."""
    job_enqueue(JobKind.VERSION_REPORT, report_id)


# Requesting and computing scorecards -----------------------------------------------------------


@transaction.atomic
def scorecard_request(
    *, version: PromptVersion, requested_by: Actor = None, trigger: str = "manual"
) -> tuple[Report, bool]:
    """Ask for a scorecard of ``version``; return it and whether it is new.

    A scorecard of the version still pending or running is returned instead of a second one.
    """
    prompt_template_lock(template_id=version.template_id)
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
    draws = int(report.parameters.get("bootstrap_draws", bootstrap_draws()))
    seed = int(report.parameters.get("seed", 0))
    results = scorecard_results(version=version, draws=draws, seed=seed)
    # Scoring against references stores per-output scores, so it runs here, not in the read.
    results["reference"] = version_reference_metrics(version_id=version.pk, draws=draws, seed=seed)
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
    judge_rows = version_judge_scores(version_ids=[version.pk])
    results = scorecard_build(
        version={
            "id": version.pk,
            "number": version.number,
            "template": version.template.name,
            "model": version.model_name,
        },
        ratings=ratings,
        rubric=rubric_version_summary(rubric_version_id=rubric_id),
        older_rubrics=max(len(rubric_ids) - 1, 0),
        judge_rows=judge_rows,
        flags=version_flag_counts(project_id=project_id, version_id=version.pk),
        outputs=version_output_stats(version_id=version.pk),
        draws=draws,
        seed=seed,
    )
    results["estimates"] = scorecard_estimates(
        ratings=ratings,
        design=version_estimate_design(version_id=version.pk, rated_items=ratings.item),
        judge_rows=judge_rows,
        judges=results["judges"],
        criteria=[card["name"] for card in results["criteria"]],
        version_id=version.pk,
    )
    return results


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
    stored on the latest scorecard; versions with ratings, judge scores or reference answers and
    no scorecard get their first one. Reports left pending or running by a dead worker are
    enqueued again. Returns the ids of the reports requested.
    """
    requested: list[int] = []
    for version in versions_with_outputs()[:limit]:
        current = json.loads(canonical_json(version_fingerprint(version=version)))
        latest = version_report_latest(version=version, kind=ReportKind.SCORECARD, finished=False)
        if latest is None:
            unscored = not current["ratings"]["ratings"] and not current["judge"]["n"]
            if unscored and not version_has_references(version_id=version.pk):
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
