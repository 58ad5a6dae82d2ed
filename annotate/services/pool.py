"""The hottest query of the app, written in SQL: the next item of a queue's common pool.

Every "next item" runs it, and building it through the ORM cost several times more than
running it. The shape matches the partial index ``queueitem_pool`` (open items, fullest first,
then queue order), so both databases walk the index and stop at the first item the reviewer has
not held, rated or skipped. On PostgreSQL the row is locked with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from django.db import connection

from annotate.models import Assignment, QueueItem


def _sql(lock: bool) -> str:
    items, assignments = QueueItem._meta.db_table, Assignment._meta.db_table
    sql = (  # table names come from the models; every value is a parameter
        f"SELECT qi.id FROM {items} qi "  # noqa: S608
        "WHERE qi.queue_id = %s "
        "AND qi.done_count < qi.target_reviews AND NOT qi.is_gold AND NOT qi.pinned "
        "AND qi.leased_count < qi.target_reviews - qi.done_count "
        f"AND NOT EXISTS (SELECT 1 FROM {assignments} a WHERE a.item_id = qi.id "
        "AND a.reviewer_id = %s AND a.status IN (%s, %s, %s)) "
        "ORDER BY qi.done_count DESC, qi.position, qi.id LIMIT 1"
    )
    return sql + " FOR UPDATE OF qi SKIP LOCKED" if lock else sql


def pool_next_id(*, queue_id: int, reviewer_id: int, seen: tuple[str, str, str]) -> int | None:
    """Return (and on PostgreSQL lock) the id of the reviewer's next pool item, or None."""
    lock = connection.features.has_select_for_update_skip_locked
    with connection.cursor() as cursor:
        cursor.execute(_sql(lock), [queue_id, reviewer_id, *seen])
        row = cursor.fetchone()
    return int(row[0]) if row else None
