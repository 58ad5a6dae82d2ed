"""The shared insert of model outputs: every row once, ids of new rows only, in few statements."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmops_core.models import ModelOutput, Project
from llmops_core.services import output_rows
from llmops_core.services.output_rows import COLUMNS, output_rows_insert

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _rows(project: Project, count: int) -> list[tuple[Any, ...]]:
    adapt_time = connection.ops.adapt_datetimefield_value
    rows = []
    for i in range(count):
        values: dict[str, Any] = {
            **dict.fromkeys(COLUMNS, ""),
            "project_id": project.pk,
            "external_id": f"otlp:{i:032x}:{i + 1:016x}",
            "prompt_version_id": None,
            "input": '[{"content": "Hi?", "role": "user"}]',
            "input_hash": f"{i:064x}",
            "output_text": f"answer {i} \u00e9\u2014'\"",
            "latency_ms": i,
            "tokens_in": 10 if i % 2 else None,
            "tokens_out": 3,
            "cost": connection.ops.adapt_decimalfield_value(Decimal("0.00135"), 14, 8),
            "metadata": '{"span_name": "chat"}',
            "created_at": adapt_time(STARTED),
            "source": "otlp",
            "trace_id": f"{i:032x}",
            "span_id": f"{i + 1:016x}",
            "started_at": adapt_time(STARTED) if i % 3 else None,
            "ended_at": None,
            "status": "ok",
            "tags": '["beta"]',
            "prompt_ref_version": None,
        }
        rows.append(tuple(values[column] for column in COLUMNS))
    return rows


@pytest.fixture
def low_sqlite_parameter_limit() -> Iterator[int]:
    """Lower SQLite's parameter limit to 100 (3 rows of 28 parameters) for the test."""
    if connection.vendor != "sqlite":
        yield 0
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
    yield 100 // len(COLUMNS)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def test_rows_are_stored_once_and_only_new_ids_come_back(
    project: Project, low_sqlite_parameter_limit: int
) -> None:
    """SQLite: statements of as many rows as its parameter limit allows; PostgreSQL: one."""
    rows = _rows(project, 7)
    with CaptureQueriesContext(connection) as queries:
        created = output_rows_insert(rows)
    expected = 1 if connection.vendor == "postgresql" else math.ceil(7 / 3)
    assert len(queries) == expected and low_sqlite_parameter_limit in (0, 3)
    assert sorted(created) == sorted(ModelOutput.objects.values_list("pk", flat=True))
    assert len(created) == 7

    again = output_rows_insert([*rows[:2], *_rows(project, 9)[7:]])
    assert len(again) == 2 and ModelOutput.objects.count() == 9


def test_values_round_trip(project: Project) -> None:
    output_rows_insert(_rows(project, 3))
    first, second, third = ModelOutput.objects.order_by("external_id")
    assert first.input == [{"content": "Hi?", "role": "user"}] and first.tags == ["beta"]
    assert second.output_text == "answer 1 \u00e9\u2014'\"" and second.tokens_in == 10
    assert first.tokens_in is None and first.started_at is None and second.started_at == STARTED
    assert third.cost == Decimal("0.00135") and third.metadata == {"span_name": "chat"}
    assert third.created_at == STARTED and third.ended_at is None


def test_an_empty_call_sends_nothing(project: Project) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert output_rows_insert([]) == []
    assert not queries


@pytest.mark.postgres
def test_postgresql_takes_thousands_of_rows_in_one_statement(project: Project) -> None:
    rows = _rows(project, 3 * output_rows.ROWS_PER_STATEMENT)
    with CaptureQueriesContext(connection) as queries:
        created = output_rows_insert(rows)
    assert len(queries) == 1 and len(created) == len(rows)


def test_sqlite_splits_rows_under_its_parameter_limit(project: Project) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's parameter limit")
    rows = _rows(project, output_rows.ROWS_PER_STATEMENT + 1)
    with CaptureQueriesContext(connection) as queries:
        created = output_rows_insert(rows)
    assert len(queries) == 2 and len(created) == len(rows)
