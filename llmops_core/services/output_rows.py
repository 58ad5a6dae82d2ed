"""The plain-SQL insert of model outputs that imports and span batches share (their hot path).

The ORM's ``bulk_create`` spends most of its time building model instances and compiling each
value; these writers send ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` statements instead.
A row that clashes with a stored one (same ``external_id``, or the same trace and span) is
skipped, so writing a batch twice stores it once, and the ids returned are those of the rows
this call created. Table and column names come from the model; every value is a parameter.

On PostgreSQL one statement takes every row: each column travels as one array parameter in
binary (``INSERT … SELECT … FROM unnest(%b, %b, …)``), so the client neither quotes nor
formats a value; a multi-row ``VALUES`` list of 500 rows cost ten times its CPU, almost all in
psycopg's client-side quoting. SQLite gets multi-row ``VALUES`` statements, as many rows each as
its parameter limit allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field

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
# SQLite: at most this many rows a statement, fewer when its parameter limit (32,766 since
# SQLite 3.32, 999 before) cannot take 28 parameters for each.
ROWS_PER_STATEMENT = 600


def _insert_sql(rows: int) -> str:
    table = connection.ops.quote_name(ModelOutput._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    group = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    pk = connection.ops.quote_name("id")
    return (
        f"INSERT INTO {table} ({cols}) VALUES {', '.join([group] * rows)} "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {pk}"
    )


def _array_type(field: Field[Any, Any]) -> str:
    """Return the PostgreSQL type of an array of the column's values (JSON arrives as text)."""
    if field.get_internal_type() == "JSONField":
        return "text"
    # "varchar(255)" -> "varchar": the column's own type checks the length on assignment.
    return str(field.db_type(connection)).split("(", 1)[0].strip()


def _unnest_sql() -> str:
    fields = {field.column: field for field in ModelOutput._meta.concrete_fields}
    q = connection.ops.quote_name
    names = [f"c{i}" for i in range(len(COLUMNS))]
    arrays = ", ".join(f"%b::{_array_type(fields[c])}[]" for c in COLUMNS)
    values = ", ".join(
        f"CAST({n} AS jsonb)" if c in JSON_COLUMNS else n
        for n, c in zip(names, COLUMNS, strict=True)
    )
    return (
        f"INSERT INTO {q(ModelOutput._meta.db_table)} ({', '.join(q(c) for c in COLUMNS)}) "  # noqa: S608
        f"SELECT {values} FROM unnest({arrays}) AS v({', '.join(names)}) "
        f"ON CONFLICT DO NOTHING RETURNING {q('id')}"
    )


def _insert_postgresql(rows: Sequence[Sequence[Any]]) -> list[int]:
    import psycopg

    connection.ensure_connection()
    # A server-binding cursor (Django's own binds on the client), wrapped as Django wraps its
    # cursors, so the statement is logged and counted like any other.
    raw: Any = psycopg.Cursor(connection.connection)  # the stubs want a CursorWrapper here
    cursor = (
        connection.make_debug_cursor(raw)
        if connection.queries_logged
        else connection.make_cursor(raw)
    )
    with cursor:
        cursor.execute(_unnest_sql(), [list(column) for column in zip(*rows, strict=True)])
        return [row[0] for row in cursor.fetchall()]


def sqlite_rows_per_statement() -> int:
    """Return how many rows one SQLite statement takes under the connection's parameter limit."""
    import sqlite3

    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(ROWS_PER_STATEMENT, limit // len(COLUMNS)))


def output_rows_insert(rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert rows (values in ``COLUMNS`` order, JSON as text); return the ids of new rows.

    Call it inside the caller's transaction: the rows and whatever follows them commit together.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows)
    created: list[int] = []
    per_statement = sqlite_rows_per_statement()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(_insert_sql(len(chunk)), [value for row in chunk for value in row])
            created += [row[0] for row in cursor.fetchall()]
    return created
