"""Re-check judge versions against fresh human ratings, and flag the scorecards that used them.

A check is a ``Report`` of kind ``judge_staleness`` about one judge version. Ratings made in
the last ``JUDGE_RECHECK_RECENT_DAYS`` (14) are the recent window; those of the
``JUDGE_RECHECK_BASELINE_DAYS`` (90) before it are the earlier level. Per criterion the
judge's Spearman rho with the human consensus is computed on each window by
``metrics.judge.judge_agreement`` and the fall is tested by ``metrics.judge_staleness``
(Fisher's z, one-sided, Benjamini-Hochberg across criteria). A check that finds a fall says so
on the judge's page, and every scorecard that shows that judge's scores is marked stale with
the reason (``selectors.drift_judges.judge_stale_reasons``). Checks run on demand and daily
(Celery beat), once per judge version and day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from annotate.selectors import RatingFilter, rating_rows
from llmops_core.errors import DomainError
from llmops_core.metrics.judge import judge_agreement
from llmops_core.metrics.judge_staleness import ALPHA, MIN_DROP, Drop, agreement_drops
from llmops_core.models import JudgeVersion, Project, Report, ReportKind
from llmops_core.selectors.drift_judges import (
    judge_latest_scores,
    judge_staleness_for_key,
    judge_versions_to_recheck,
)
from llmops_core.services.audit import audit_record
from llmops_core.services.jobs import (
    TRANSIENT_ERRORS,
    UNFINISHED,
    JobKind,
    job_enqueue,
    job_fail,
    job_start,
    job_succeed,
)

logger = logging.getLogger(__name__)
DRAWS = 500


def _days(name: str, default: int) -> int:
    value = int(getattr(settings, name, default))
    if value <= 0:
        raise DomainError(f"{name} must be a positive number of days, not {value}")
    return value


def judge_label(version: JudgeVersion) -> str:
    return f"{version.config.name} v{version.number}"


@transaction.atomic
def judge_staleness_request(
    *, judge_version: JudgeVersion, requested_by: Any = None, now: datetime | None = None
) -> tuple[Report, bool]:
    """Ask for a re-check of ``judge_version`` as of today; return it and whether it is new."""
    now = now or timezone.now()
    project = judge_version.config.project
    Project.objects.select_for_update().filter(pk=project.pk).first()
    as_of = timezone.localtime(now).date().isoformat()
    key = f"{judge_version.pk}:{as_of}"
    existing = judge_staleness_for_key(project_id=project.pk, key=key)
    if existing is not None:
        return existing, False
    parameters = {
        "judge_version_id": judge_version.pk,
        "as_of": now.isoformat(),
        "key": key,
        "recent_days": _days("JUDGE_RECHECK_RECENT_DAYS", 14),
        "baseline_days": _days("JUDGE_RECHECK_BASELINE_DAYS", 90),
    }
    user = requested_by if isinstance(requested_by, get_user_model()) else None
    report = Report.objects.create(
        project=project,
        kind=ReportKind.JUDGE_STALENESS,
        title=f"Re-check of judge {judge_label(judge_version)}"[:200],
        parameters=parameters,
        requested_by=user,
    )
    audit_record(
        actor=requested_by, action="judge.recheck", obj=report, project=project, after=parameters
    )
    job_enqueue(JobKind.JUDGE_STALENESS, report.pk)
    return report, True


def judge_staleness_schedule(*, now: datetime | None = None) -> list[int]:
    """Ask for today's re-check of every judge version with scores on recently rated outputs."""
    now = now or timezone.now()
    since = now - timedelta(days=_days("JUDGE_RECHECK_RECENT_DAYS", 14))
    created = []
    for version in judge_versions_to_recheck(since=since):
        report, new = judge_staleness_request(judge_version=version, now=now)
        if new:
            created.append(report.pk)
    return created


def judge_staleness_compute(*, report_id: int) -> Report | None:
    """Run re-check ``report_id``; return the row, or None if it was already finished."""
    if not job_start(model=Report, job_id=report_id, progress=0.05):
        return None
    report = Report.objects.select_related("project").get(pk=report_id)
    try:
        results = _check(report)
    except DomainError as exc:
        job_fail(model=Report, job_id=report_id, reason=str(exc), statuses=UNFINISHED)
    except TRANSIENT_ERRORS:
        raise
    except Exception as exc:
        logger.exception("judge re-check %s failed", report_id)
        reason = f"internal error ({type(exc).__name__}): {exc}"
        job_fail(model=Report, job_id=report_id, reason=reason, statuses=UNFINISHED)
    else:
        job_succeed(model=Report, job_id=report_id, results=results, error="")
    return Report.objects.get(pk=report_id)


def judge_staleness_fail(*, report_id: int, reason: str) -> bool:
    return job_fail(model=Report, job_id=report_id, reason=reason[:4000], statuses=UNFINISHED)


Ratings = dict[str, dict[int, dict[int, float]]]  # criterion -> output -> reviewer -> score


def _ratings(project_id: int, since: datetime, until: datetime) -> tuple[Ratings, dict[str, Any]]:
    by: Ratings = defaultdict(lambda: defaultdict(dict))
    scales: dict[str, tuple[float, float]] = {}
    for row in rating_rows(RatingFilter(project_id=project_id, since=since, until=until)):
        by[row["criterion"]][row["output_id"]][row["reviewer_id"]] = float(row["score"])
        scales.setdefault(row["criterion"], (row["scale_min"], row["scale_max"]))
    return by, scales


def _agreement(
    humans: dict[int, dict[int, float]], judge: dict[int, float], scale: tuple[float, float]
) -> tuple[float | None, int, dict[str, Any]]:
    items = sorted(o for o in humans if o in judge)
    if not items:
        return None, 0, {}
    reviewers = sorted({r for o in items for r in humans[o]})
    column = {r: i for i, r in enumerate(reviewers)}
    matrix = np.full((len(reviewers), len(items)), np.nan)
    for j, output in enumerate(items):
        for reviewer, score in humans[output].items():
            matrix[column[reviewer], j] = score
    low, high = scale
    agreement = judge_agreement(
        [judge[o] for o in items],
        matrix,
        scale=list(np.arange(low, high + 1)),
        draws=DRAWS,
        seed=0,
    )
    rho = agreement.estimates["spearman"]
    ci = agreement.intervals.get("spearman")
    details = {"ci": ci.as_dict() if ci else None, "reason": rho.reason}
    return rho.value, agreement.n_items, details


def _check(report: Report) -> dict[str, Any]:
    parameters = report.parameters
    version = (
        JudgeVersion.objects.select_related("config")
        .filter(pk=parameters.get("judge_version_id"), config__project_id=report.project_id)
        .first()
    )
    if version is None:
        raise DomainError(f"judge version {parameters.get('judge_version_id')} no longer exists")
    as_of = datetime.fromisoformat(parameters["as_of"])
    recent_start = as_of - timedelta(days=parameters["recent_days"])
    earlier_start = recent_start - timedelta(days=parameters["baseline_days"])
    earlier, scales = _ratings(report.project_id, earlier_start, recent_start)
    recent, recent_scales = _ratings(report.project_id, recent_start, as_of)
    scales.update(recent_scales)
    outputs = {o for by in (earlier, recent) for c in by.values() for o in c}
    judge = judge_latest_scores(judge_version_id=version.pk, output_ids=sorted(outputs))
    drops, details = [], {}
    for criterion in sorted(set(earlier) | set(recent)):
        scored = judge.get(criterion, {})
        r0, n0, d0 = _agreement(earlier.get(criterion, {}), scored, scales[criterion])
        r1, n1, d1 = _agreement(recent.get(criterion, {}), scored, scales[criterion])
        drops.append(Drop(criterion, r0, r1, n0, n1))
        details[criterion] = {"earlier_detail": d0, "recent_detail": d1}
    decided = agreement_drops(drops)
    label = judge_label(version)
    reasons = [
        f'judge {label}\'s agreement with humans on "{d.criterion}" fell from '
        f"{d.earlier:.2f} to {d.recent:.2f} (Spearman; p={d.p_value:.3f})"
        for d in decided
        if d.fell and d.earlier is not None and d.recent is not None and d.p_value is not None
    ]
    return {
        "judge_version": {"id": version.pk, "label": label},
        "windows": {
            "earlier": [earlier_start.isoformat(), recent_start.isoformat()],
            "recent": [recent_start.isoformat(), as_of.isoformat()],
        },
        "criteria": [{**d.as_dict(), **details[d.criterion]} for d in decided],
        "degraded": bool(reasons),
        "reasons": reasons,
        "method": (
            "Spearman's rho of judge score and human consensus per window; one-sided Fisher z "
            "test with Bonett-Wright variance (1 + rho^2/2)/(n-3); "
            f"Benjamini-Hochberg across criteria at {ALPHA}; "
            f"flagged when rho fell by at least {MIN_DROP}"
        ),
    }
