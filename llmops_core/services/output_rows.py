"""The plain-SQL insert of model outputs that imports and span batches share (their hot path).

The ORM's ``bulk_create`` spends most of its time building model instances and compiling each
value; these writers send multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING id``
statements instead. A row that clashes with a stored one (same ``external_id``, or the same
trace and span) is skipped, so writing a batch twice stores it once, and the ids returned are
those of the rows this call created. Table and column names come from the model; every value
is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from llmops_core.models import ModelOutput

COLUMNS = (
    "project_id",
    "external_id",
    "prompt_version_id",
    "input",
    "input_hash",
    "output_text",
    "model_name",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost",
    "metadata",
    "created_at",
    "source",
    "trace_id",
    "span_id",
    "parent_span_id",
    "session_id",
    "end_user_id",
    "started_at",
    "ended_at",
    "status",
    "error_type",
    "error_message",
    "tags",
    "prompt_ref_name",
    "prompt_ref_version",
    "reference",
)
JSON_COLUMNS = frozenset({"input", "metadata", "tags"})
# 28 parameters a row: 600 rows stay under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
ROWS_PER_STATEMENT = 600


def _insert_sql(rows: int) -> str:
    table = connection.ops.quote_name(ModelOutput._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    json_slot = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    group = "(" + ", ".join(json_slot if c in JSON_COLUMNS else "%s" for c in COLUMNS) + ")"
    pk = connection.ops.quote_name("id")
    return (
        f"INSERT INTO {table} ({cols}) VALUES {', '.join([group] * rows)} "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {pk}"
    )


def output_rows_insert(rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert rows (values in ``COLUMNS`` order, JSON as text); return the ids of new rows.

    Call it inside the caller's transaction: the rows and whatever follows them commit together.
    """
    created: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(_insert_sql(len(chunk)), [value for row in chunk for value in row])
            created += [row[0] for row in cursor.fetchall()]
    return created
