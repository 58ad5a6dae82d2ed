"""Counter updates that hand back the new values in the same statement.

``UPDATE ... RETURNING`` (PostgreSQL, SQLite 3.35+) saves the read that would otherwise follow
each increment on the rating page's hot path. Only ids and integers go in as parameters.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from annotate.models import Queue, QueueItem, QueueReviewer


def _one(sql: str, params: list[int]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def item_add_review(
    *, item_id: int, from_lease: bool, flagged: bool
) -> tuple[int, int, bool] | None:
    """Count one more review on an item; return (done, target, is_gold).

    From a lease, the lease's slot becomes the review. Without one (it expired), the review
    needs a free slot: None when there is none.
    """
    # The table name comes from the model; every value is a parameter.
    sql = (
        f"UPDATE {QueueItem._meta.db_table} SET done_count = done_count + 1, "  # noqa: S608
        "leased_count = leased_count - %s, flag_count = flag_count + %s WHERE id = %s"
    )
    if not from_lease:
        sql += " AND done_count < target_reviews - leased_count"
    row = _one(
        sql + " RETURNING done_count, target_reviews, is_gold",
        [int(from_lease), int(flagged), item_id],
    )
    return None if row is None else (int(row[0]), int(row[1]), bool(row[2]))


def reviewer_add_review(
    *, queue: Queue, reviewer_id: int, flagged: bool, active_ms: int
) -> QueueReviewer | None:
    """Count one more review for a reviewer of ``queue``; return their fresh membership."""
    row = _one(
        f"UPDATE {QueueReviewer._meta.db_table} SET done_count = done_count + 1, "  # noqa: S608
        "flagged_count = flagged_count + %s, active_ms_total = active_ms_total + %s "
        "WHERE queue_id = %s AND user_id = %s "
        "RETURNING id, quota, done_count, skipped_count, flagged_count, active_ms_total, "
        "pin_count",
        [int(flagged), active_ms, queue.pk, reviewer_id],
    )
    if row is None:
        return None
    membership = QueueReviewer(
        id=row[0],
        queue=queue,
        reviewer_id=reviewer_id,
        quota=row[1],
        done_count=row[2],
        skipped_count=row[3],
        flagged_count=row[4],
        active_ms_total=row[5],
        pin_count=row[6],
    )
    membership._state.adding = False
    membership._state.db = connection.alias
    return membership


def queue_add_review(*, queue: Queue, complete: int) -> None:
    """Count one more review (and ``complete`` more complete items) on ``queue``, in place."""
    row = _one(
        f"UPDATE {Queue._meta.db_table} SET review_count = review_count + 1, "  # noqa: S608
        "complete_count = complete_count + %s WHERE id = %s "
        "RETURNING item_count, complete_count, review_count",
        [complete, queue.pk],
    )
    if row is not None:
        queue.item_count, queue.complete_count, queue.review_count = (int(v) for v in row)
