"""Named reads of a queue's reviewers: progress, gold accuracy, and the lead's reviewers form."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Sum

from annotate.models import Annotation, GoldCheck, Queue, QueueReviewer
from annotate.selectors.queues import start_of_today
from llmops_core.models import Membership


@dataclass(frozen=True)
class ReviewerRow:
    """One reviewer's progress and quality in a queue, for the lead's queue page."""

    username: str
    quota: int | None
    done: int
    done_today: int
    skipped: int
    flagged: int
    mean_active_s: float | None
    gold_checked: int
    gold_exact: float | None  # share of gold criteria scored exactly right
    gold_within_one: float | None


def reviewer_rows(*, queue: Queue, now: datetime | None = None) -> list[ReviewerRow]:
    """Return per-reviewer progress, skips, flags, time and gold accuracy (three queries)."""
    memberships = list(
        QueueReviewer.objects.filter(queue=queue)
        .select_related("reviewer")
        .order_by("reviewer__username")
    )
    today = dict(
        Annotation.objects.filter(item__queue=queue, created_at__gte=start_of_today(now))
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .values_list("reviewer_id", "n")
    )
    gold = {
        row["reviewer_id"]: row
        for row in GoldCheck.objects.filter(queue=queue)
        .values("reviewer_id")
        .annotate(
            checks=Count("id"),
            criteria=Sum("criteria"),
            exact=Sum("exact"),
            within=Sum("within_one"),
        )
    }
    rows = []
    for m in memberships:
        g = gold.get(m.reviewer_id)
        rows.append(
            ReviewerRow(
                username=m.reviewer.get_username(),
                quota=m.quota,
                done=m.done_count,
                done_today=today.get(m.reviewer_id, 0),
                skipped=m.skipped_count,
                flagged=m.flagged_count,
                mean_active_s=(
                    round(m.active_ms_total / m.done_count / 1000, 1) if m.done_count else None
                ),
                gold_checked=g["checks"] if g else 0,
                gold_exact=round(g["exact"] / g["criteria"], 3) if g and g["criteria"] else None,
                gold_within_one=round(g["within"] / g["criteria"], 3)
                if g and g["criteria"]
                else None,
            )
        )
    return rows


def gold_accuracy_rows(*, queue_id: int) -> list[dict[str, Any]]:
    """Return each reviewer's accuracy on the queue's gold items as plain rows."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    checks = GoldCheck.objects.filter(queue_id=queue_id).values_list(
        "reviewer__username", "criteria", "exact", "within_one"
    )
    for username, criteria, exact, within in checks:
        t = totals[username]
        t["items"] += 1
        t["criteria"] += criteria
        t["exact"] += exact
        t["within_one"] += within
    return [
        {
            "reviewer": name,
            "items": t["items"],
            "criteria": t["criteria"],
            "exact": t["exact"] / t["criteria"] if t["criteria"] else None,
            "within_one": t["within_one"] / t["criteria"] if t["criteria"] else None,
        }
        for name, t in sorted(totals.items())
    ]


@dataclass(frozen=True)
class ReviewerCandidate:
    """A project member (or a current reviewer) on the lead's reviewers form."""

    user: Any
    role: str | None  # None: a reviewer of the queue who has left the project
    is_reviewer: bool
    quota: int | None
    done: int
    pins: int


def queue_reviewer_candidates(*, queue: Queue) -> list[ReviewerCandidate]:
    """Return the project's members and the queue's reviewers, by username (two queries)."""
    memberships = {
        m.reviewer_id: m
        for m in QueueReviewer.objects.filter(queue=queue).select_related("reviewer")
    }
    roles = {
        m.user_id: (m.user, m.role)
        for m in Membership.objects.filter(project_id=queue.project_id).select_related("user")
    }
    users = {pk: user for pk, (user, _) in roles.items()}
    users.update({pk: m.reviewer for pk, m in memberships.items()})
    rows = []
    for pk, user in users.items():
        m = memberships.get(pk)
        rows.append(
            ReviewerCandidate(
                user=user,
                role=roles[pk][1] if pk in roles else None,
                is_reviewer=m is not None,
                quota=m.quota if m else None,
                done=m.done_count if m else 0,
                pins=m.pin_count if m else 0,
            )
        )
    return sorted(rows, key=lambda r: r.user.get_username())
