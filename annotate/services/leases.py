"""The lease reads and writes of submit-and-next, written in SQL: they run on every rating.

Building these statements through the ORM cost more than running them (``bench.rating``
measures it), so the rating flow's hot path sends them as written here. Table names come from
the models; every value is a parameter, datetimes and UUIDs adapted by the database backend.
Everything else about leases (rules, expiry, the queries that run now and then) stays in
``annotate.services.assignment`` and ``annotate.services.submit``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from annotate import sql
from annotate.models import Annotation, Assignment, AssignmentStatus, QueueItem

A = Assignment._meta.db_table
I = QueueItem._meta.db_table  # noqa: E741
N = Annotation._meta.db_table


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def leases_of_item(*, item_id: int, reviewer_id: int) -> list[tuple[int, str]]:
    """Return ``(id, status)`` of the reviewer's assignments on an item, newest first.

    On PostgreSQL the rows are locked, so two submissions of one item by one reviewer queue up
    here and the second sees what the first wrote.
    """
    sql = f"SELECT id, status FROM {A} WHERE item_id = %s AND reviewer_id = %s ORDER BY id DESC"  # noqa: S608
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return [(int(pk), str(status)) for pk, status in _rows(sql, [item_id, reviewer_id])]


def annotations_clashing(
    *, item_id: int, reviewer_id: int, client_token: uuid.UUID
) -> list[tuple[int, int, bool]]:
    """Return ``(id, item_id, same_token)`` of the reviewer's annotations of the item or token.

    Two indexed conjunctions OR-ed at the top, so both databases answer from the unique indexes.
    """
    token = Annotation._meta.get_field("client_token").get_db_prep_value(
        client_token, connection, prepared=False
    )
    rows = _rows(
        f"SELECT id, item_id, CASE WHEN client_token = %s THEN 1 ELSE 0 END FROM {N} "  # noqa: S608
        "WHERE (reviewer_id = %s AND client_token = %s) OR (reviewer_id = %s AND item_id = %s)",
        [token, reviewer_id, token, reviewer_id, item_id],
    )
    return [(int(pk), int(item), bool(same)) for pk, item, same in rows]


def lease_close(*, assignment_id: int, status: str, now: datetime) -> None:
    """Close an assignment with ``status`` (submitted) at ``now``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {A} SET status = %s, closed_at = %s WHERE id = %s",  # noqa: S608
            [status, _dt(now), assignment_id],
        )


def leases_held(*, queue_id: int, reviewer_id: int, now: datetime) -> list[tuple[int, int]]:
    """Return ``(id, item_id)`` of the reviewer's unexpired leases in a queue, oldest first."""
    rows = _rows(
        f"SELECT a.id, a.item_id FROM {A} a INNER JOIN {I} qi ON a.item_id = qi.id "  # noqa: S608
        "WHERE a.reviewer_id = %s AND qi.queue_id = %s AND a.status = %s AND a.expires_at > %s "
        "ORDER BY a.created_at, a.id",
        [reviewer_id, queue_id, AssignmentStatus.ACTIVE.value, _dt(now)],
    )
    return [(int(pk), int(item)) for pk, item in rows]


def lease_insert(*, item: QueueItem, reviewer: User, expires_at: datetime) -> Assignment:
    """Insert an active lease on ``item`` (its slot already counted) and return it."""
    (lease,) = sql.insert(
        Assignment,
        [
            {
                "item_id": item.pk,
                "reviewer_id": reviewer.pk,
                "status": AssignmentStatus.ACTIVE.value,
                "skip_reason": "",
                "created_at": timezone.now(),  # as auto_now_add would (``now`` may be a test's)
                "expires_at": expires_at,
            }
        ],
    )
    lease.item, lease.reviewer = item, reviewer
    return lease
