"""Compute an agreement report from the stored ratings and write it to the report's row.

The computation itself runs outside any transaction: on SQLite a transaction takes the write
lock, and the row's progress must be visible to the page polling it. Every write is one short
UPDATE guarded by the row's status, so the service is safe to run twice (a redelivered task)
and safe to kill at any line (the row stays running until a retry or the stale sweep).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.urls import NoReverseMatch, reverse

from annotate.selectors import (
    QueueRow,
    RatingFilter,
    RatingsSnapshot,
    adjudicated_scores,
    flag_and_skip_counts,
    queue_row,
    rating_fingerprint,
    rating_rows,
    ratings_snapshot,
)
from llmops_core.errors import DomainError
from llmops_core.metrics.agreement_report import sections
from llmops_core.metrics.agreement_report.summary import build_summary
from llmops_core.metrics.longformat import RatingsError
from llmops_core.models import Project, Report, RubricVersion
from llmops_core.selectors.reports import report_rubric_version, report_rubric_versions
from llmops_core.services.jobs import (
    TRANSIENT_ERRORS,
    UNFINISHED,
    job_fail,
    job_heartbeat,
    job_start,
    job_succeed,
)
from llmops_core.services.reports.scope import ReportScope, scope_filter

logger = logging.getLogger(__name__)

RESULTS_SCHEMA = 1


def report_compute(*, report_id: int) -> Report | None:
    """Compute report ``report_id`` and store results, snapshot hash and counts on its row.

    Data problems (a reviewer who left, a score off the scale) mark the report failed with the
    reason; transient database errors propagate so the task can retry; anything else marks it
    failed as an internal error. Returns the updated row, or None if it was already finished.
    """
    if not job_start(model=Report, job_id=report_id, progress=0.02):
        return None
    report = Report.objects.select_related("project").get(pk=report_id)
    try:
        results = _build(report, progress=lambda share: _progress(report_id, share))
        encoded = json.loads(json.dumps(results, allow_nan=False))
    except (DomainError, RatingsError) as exc:
        report_fail(report_id=report_id, reason=str(exc))
    except TRANSIENT_ERRORS:
        raise  # the task retries
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        report_fail(report_id=report_id, reason=f"internal error ({type(exc).__name__}): {exc}")
    else:
        snapshot = encoded["snapshot"]
        job_succeed(
            model=Report,
            job_id=report_id,
            results=encoded,
            error="",
            snapshot_hash=snapshot["sha256"],
            snapshot_counts={k: v for k, v in snapshot.items() if k != "sha256"},
        )
    return Report.objects.get(pk=report_id)


def report_fail(*, report_id: int, reason: str) -> bool:
    """Mark an unfinished report failed with ``reason``; return whether it was unfinished."""
    return job_fail(model=Report, job_id=report_id, reason=reason[:4000], statuses=UNFINISHED)


def _progress(report_id: int, share: float) -> None:
    """Store the share done (kept below 1 until the results are written)."""
    job_heartbeat(model=Report, job_id=report_id, progress=round(min(max(share, 0.0), 0.99), 3))


def _scaled(progress: Callable[[float], None], start: float, end: float) -> Callable[[float], None]:
    return lambda share: progress(start + (end - start) * share)


@dataclass(frozen=True)
class _Selection:
    """What a report reads: its scope, queue, rubric version and the filter of its ratings."""

    scope: ReportScope
    queue: QueueRow | None
    rubric: RubricVersion | None
    note: str
    seen: list[dict[str, Any]]
    flt: RatingFilter
    fingerprint: dict[str, Any]


def _select(report: Report) -> _Selection:
    """Resolve the report's parameters to one rubric version and a rating filter."""
    project = report.project
    scope = ReportScope.from_parameters(report.parameters)
    base = scope_filter(project=project, scope=scope)
    queue = None
    if scope.queue_id is not None:
        queue = queue_row(queue_id=scope.queue_id, project_id=project.pk)
        if queue is None:
            raise DomainError(f"queue {scope.queue_id} no longer exists")
    seen = report_rubric_versions(flt=replace(base, rubric_version_id=None))
    rubric, note = _choose_rubric(project, scope, seen, queue)
    flt = replace(base, rubric_version_id=rubric.pk if rubric else -1)  # -1: nothing
    return _Selection(scope, queue, rubric, note, seen, flt, rating_fingerprint(base))


def _build(report: Report, *, progress: Callable[[float], None]) -> dict[str, Any]:
    """Read the snapshot the report's parameters select and return its results."""
    sel = _select(report)
    scope, queue, rubric, note, flt = sel.scope, sel.queue, sel.rubric, sel.note, sel.flt
    progress(0.1)
    snap = ratings_snapshot(flt)
    progress(0.3)
    cols = sections.Columns.of(snap)
    specs = [
        sections.CriterionSpec(c.name, c.scale_min, c.scale_max)
        for c in (rubric.criteria.all() if rubric else [])
    ]
    rated = set(snap.item)
    gold = {k: v for k, v in snap.gold.items() if k[0] in rated}
    per_criterion, parameters = sections.criterion_sections(
        cols,
        specs,
        gold,
        draws=scope.bootstrap_draws,
        seed=scope.seed,
        progress=_scaled(progress, 0.3, 0.85),
    )
    trend = sections.alpha_over_time(cols, specs, seed=scope.seed)
    progress(0.9)
    snapshot = _snapshot(snap, flt, gold, rubric, sel.fingerprint)
    contested = _contested(report, cols, per_criterion, flt)
    order = [s.name for s in specs]
    return {
        "schema": RESULTS_SCHEMA,
        "kind": report.kind,
        "scope": {
            **scope.as_parameters(),
            "queue": queue and {"id": queue.id, "name": queue.name},
            "rubric_version": _rubric_row(rubric),
            "rubric_versions_seen": sel.seen,
            "rubric_note": note,
        },
        "summary": build_summary(per_criterion, order, snapshot, [note] if note else []),
        "criteria_order": order,
        "criteria": per_criterion,
        "parameters": parameters,
        "distribution": sections.distributions(cols, specs),
        "trend": trend,
        "reviewers": sections.reviewer_rows(per_criterion),
        "contested": contested,
        "snapshot": snapshot,
    }


def _rubric_row(rubric: RubricVersion | None) -> dict[str, Any] | None:
    if rubric is None:
        return None
    return {"id": rubric.pk, "rubric": rubric.rubric.name, "number": rubric.number}


def _choose_rubric(
    project: Project, scope: ReportScope, seen: list[dict[str, Any]], queue: QueueRow | None
) -> tuple[RubricVersion | None, str]:
    """Return the one rubric version the report covers and a note when others were left out.

    An explicit choice wins; otherwise the latest version the ratings were made under (or the
    queue's current version when there are no ratings yet).
    """
    label = {
        row["id"]: f"{row['rubric']} v{row['number']} ({row['ratings']} ratings)" for row in seen
    }
    if scope.rubric_version_id is not None:
        chosen = scope.rubric_version_id
    elif seen:
        chosen = seen[-1]["id"]
    elif queue is not None:
        chosen = queue.rubric_version_id
    else:
        return None, ""
    rubric = report_rubric_version(project=project, pk=chosen)
    if rubric is None:
        raise DomainError(f"rubric version {chosen} no longer exists")
    others = [label[row["id"]] for row in seen if row["id"] != chosen]
    if not others:
        return rubric, ""
    name = f"{rubric.rubric.name} v{rubric.number}"
    why = "as asked" if scope.rubric_version_id is not None else "the latest"
    return rubric, (
        f"These ratings span several rubric versions; this report covers {name} only ({why}). "
        f"Left out: {'; '.join(others)}. Ask for a report on another version to see those."
    )


def _snapshot(
    snap: RatingsSnapshot,
    flt: RatingFilter,
    gold: dict[tuple[int, str], float],
    rubric: RubricVersion | None,
    fingerprint: dict[str, Any],
) -> dict[str, Any]:
    """Return the counts and the SHA-256 of exactly the data the report was computed from."""
    digest = hashlib.sha256(snap.sha256.encode())
    digest.update(json.dumps(sorted([i, c, v] for (i, c), v in gold.items())).encode())
    digest.update(str(rubric.pk if rubric else "").encode())
    times = sorted(snap.timestamp)
    return {
        "sha256": digest.hexdigest(),
        "ratings_sha256": snap.sha256,
        "ratings": snap.n_ratings,
        "items": len(set(snap.item)),
        "reviewers": len(set(snap.reviewer)),
        "criteria": len(set(snap.criterion)),
        "gold_items": len({item for item, _ in gold}),
        "rubric_version": _rubric_row(rubric),
        **flag_and_skip_counts(flt),
        "first_rating_at": times[0].isoformat() if times else None,
        "last_rating_at": times[-1].isoformat() if times else None,
        "fingerprint": fingerprint,
    }


def _contested(
    report: Report, cols: sections.Columns, per_criterion: dict[str, Any], flt: RatingFilter
) -> list[dict[str, Any]]:
    """Return the most contested items with their queue, adjudication and links."""
    candidates = set(sections.contested_candidates(per_criterion))
    outputs = sorted(
        {
            int(o)
            for i, o in zip(cols.item.tolist(), cols.output.tolist(), strict=True)
            if i in candidates
        }
    )
    queues = (
        {
            row["item_id"]: row["queue_id"]
            for row in rating_rows(replace(flt, output_ids=tuple(outputs)))
        }
        if outputs
        else {}
    )
    entries = sections.contested_items(
        cols, per_criterion, queues=queues, adjudicated=adjudicated_scores(flt)
    )
    slug = report.project.slug
    for entry in entries:
        entry["links"] = _links(slug, report.pk, entry["item_id"], entry["queue_id"])
    return entries


def _links(slug: str, report_id: int, item_id: int, queue_id: int | None) -> dict[str, str]:
    """Return the page listing the item's ratings, and its API resource when routed."""
    links: dict[str, str] = {}
    try:
        links["ratings"] = reverse("report-item", args=[slug, report_id, item_id])
        if queue_id is not None:
            links["api"] = reverse(
                "api-item", kwargs={"project_slug": slug, "pk": queue_id, "item_id": item_id}
            )
    except NoReverseMatch:
        pass
    return links
