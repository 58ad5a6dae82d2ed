"""The hottest statement of the app, written in SQL: take the next item of a queue's pool.

Every "next item" runs it, and building it through the ORM cost several times more than
running it. One ``UPDATE`` picks the item and counts the lease's slot on it: its subquery
matches the partial index ``queueitem_pool`` (open items, fullest first, then queue order), so
both databases walk the index and stop at the first item the reviewer has not held, rated or
skipped. On PostgreSQL the subquery locks its row with ``FOR UPDATE SKIP LOCKED``, so
concurrent claims walk past each other's candidates instead of queueing behind them.
"""

from __future__ import annotations

from django.db import connection

from annotate.models import Assignment, QueueItem


def _pick_sql(lock: bool) -> str:
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


def pool_take_id(*, queue_id: int, reviewer_id: int, seen: tuple[str, str, str]) -> int | None:
    """Count a lease on the reviewer's next pool item and return its id, or None if none."""
    lock = connection.features.has_select_for_update_skip_locked
    sql = (
        f"UPDATE {QueueItem._meta.db_table} SET leased_count = leased_count + 1 "  # noqa: S608
        f"WHERE id = ({_pick_sql(lock)}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [queue_id, reviewer_id, *seen])
        row = cursor.fetchone()
    return int(row[0]) if row else None
