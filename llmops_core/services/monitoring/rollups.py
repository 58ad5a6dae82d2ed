"""Add outputs to their roll-ups with additive upserts, and rebuild them from outputs.

``rollups_add`` reads the batch's outputs once, sums them per hour, prompt version and model in
memory, adds those hours up into their days and weeks, then writes one multi-row ``INSERT …
ON CONFLICT DO UPDATE SET c = c + excluded.c`` per table (the same SQL on PostgreSQL and
SQLite). The database adds under the row's lock, so two workers adding to the same hour never
lose a count; rows go in key order,
so two batches lock shared keys in the same order and cannot deadlock. Only outputs a call
created are passed in (stored rows are skipped by the insert), so a span delivered twice is
counted once. Table and column names come from the models; every value is a parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from llmops_core.metrics.hours import hour_index, periods_of
from llmops_core.metrics.latency import latency_bin
from llmops_core.models import (
    ModelOutput,
    OutputRollup,
    OutputRollupError,
    OutputRollupLatency,
    OutputStatus,
)

KEY = ("project_id", "grain", "period", "version", "model_name")
SUMS = (
    *("requests", "errors", "with_tokens", "tokens_in", "tokens_out"),
    *("with_cost", "cost", "with_latency", "latency_ms"),
)
FIELDS = (
    *("started_at", "created_at", "prompt_version_id", "model_name", "status"),
    *("error_type", "latency_ms", "tokens_in", "tokens_out", "cost"),
)
IDS_PER_QUERY = 900
ROWS_PER_STATEMENT = 500
REBUILD_CHUNK = 5000

Key = tuple[int, int, str]  # (hour, version, model)


class Sums:
    """The roll-up rows of a set of outputs, before they are written."""

    def __init__(self) -> None:
        self.rollups: dict[Key, list[Any]] = {}
        self.errors: dict[tuple[Key, str], int] = defaultdict(int)
        self.latency: dict[tuple[Key, int], int] = defaultdict(int)

    def add(self, record: Sequence[Any]) -> None:
        """Add one output, given as its ``FIELDS`` values."""
        started, created, version, model, status, error_type, latency, t_in, t_out, cost = record
        key = (hour_index(started or created), version or 0, model)
        sums = self.rollups.get(key)
        if sums is None:
            sums = self.rollups[key] = [0, 0, 0, 0, 0, 0, Decimal(0), 0, 0]
        sums[0] += 1
        if status == OutputStatus.ERROR:
            sums[1] += 1
            self.errors[(key, error_type)] += 1
        if t_in is not None or t_out is not None:
            sums[2] += 1
            sums[3] += t_in or 0
            sums[4] += t_out or 0
        if cost is not None:
            sums[5] += 1
            sums[6] += Decimal(cost)
        if latency is not None:
            sums[7] += 1
            sums[8] += latency
            self.latency[(key, latency_bin(latency))] += 1

    def write(self, project_id: int, *, subtract: bool = False) -> None:
        """Add these sums to the stored roll-ups (hour, day and week) of project ``project_id``.

        With ``subtract``, take them away instead (the rows must be stored: they were added
        when the outputs were), and delete the rows left counting nothing.
        """
        rollups: dict[tuple[Any, ...], list[Any]] = {}
        errors: dict[tuple[Any, ...], int] = defaultdict(int)
        latency: dict[tuple[Any, ...], int] = defaultdict(int)
        for (hour, version, model), sums in self.rollups.items():
            for grain, period in periods_of(hour):
                stored = rollups.get((grain, period, version, model))
                if stored is None:
                    rollups[(grain, period, version, model)] = list(sums)
                else:
                    for i, value in enumerate(sums):
                        stored[i] += value
        for ((hour, version, model), name), count in self.errors.items():
            for grain, period in periods_of(hour):
                errors[(grain, period, version, model, name)] += count
        for ((hour, version, model), index), count in self.latency.items():
            for grain, period in periods_of(hour):
                latency[(grain, period, version, model, index)] += count
        adapt = connection.ops.adapt_decimalfield_value
        rows = [
            [project_id, *key, *sums[:6], adapt(sums[6], 20, 8), *sums[7:]]
            for key, sums in sorted(rollups.items())
        ]
        named = [[project_id, *key, count] for key, count in sorted(errors.items())]
        binned = [[project_id, *key, count] for key, count in sorted(latency.items())]
        write = _subtract if subtract else _upsert
        write(OutputRollup, KEY, SUMS, rows)
        write(OutputRollupError, (*KEY, "error_type"), ("count",), named)
        write(OutputRollupLatency, (*KEY, "bin"), ("count",), binned)
        if subtract:
            OutputRollup.objects.filter(project_id=project_id, requests=0).delete()
            OutputRollupError.objects.filter(project_id=project_id, count=0).delete()
            OutputRollupLatency.objects.filter(project_id=project_id, count=0).delete()


def _subtract(
    model: type[Model], key: Sequence[str], sums: Sequence[str], rows: list[list[Any]]
) -> None:
    """Take the sums of ``rows`` (key then sums) away from the stored rows of their keys."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    takes = ", ".join(f"{quote(c)} = {quote(c)} - %s" for c in sums)
    where = " AND ".join(f"{quote(c)} = %s" for c in key)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {takes} WHERE {where}",  # noqa: S608
            [[*row[len(key) :], *row[: len(key)]] for row in rows],
        )


def _upsert(
    model: type[Model], key: Sequence[str], sums: Sequence[str], rows: list[list[Any]]
) -> None:
    """Insert ``rows`` (key then sums); where a key is stored, add the sums to it."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in (*key, *sums))
    group = "(" + ", ".join(["%s"] * (len(key) + len(sums))) + ")"
    adds = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in sums)
    target = ", ".join(quote(c) for c in key)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([group] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT ({target}) DO UPDATE SET {adds}",
                [value for row in chunk for value in row],
            )


def rollups_add(*, project_id: int, output_ids: Sequence[int]) -> int:
    """Add the outputs ``output_ids`` (just created) to their roll-ups; return how many.

    Call it inside the transaction that created them, so they are counted if and only if they
    are stored.
    """
    ids = list(output_ids)
    sums = Sums()
    for start in range(0, len(ids), IDS_PER_QUERY):
        rows = ModelOutput.objects.filter(
            project_id=project_id, pk__in=ids[start : start + IDS_PER_QUERY]
        ).values_list(*FIELDS)
        for record in rows:
            sums.add(record)
    sums.write(project_id)
    return sum(s[0] for s in sums.rollups.values())


def rollups_relink(*, project_id: int, output_ids: Sequence[int]) -> int:
    """Move outputs just linked to a prompt version from "no version" to it; return how many.

    Call it in the transaction that linked them (``traces.prompt_refs_link``): their counts
    leave the roll-ups of no version and join those of their version.
    """
    ids = list(output_ids)
    before, after = Sums(), Sums()
    for start in range(0, len(ids), IDS_PER_QUERY):
        rows = ModelOutput.objects.filter(
            project_id=project_id, pk__in=ids[start : start + IDS_PER_QUERY]
        ).values_list(*FIELDS)
        for record in rows:
            after.add(record)
            before.add((*record[:2], None, *record[3:]))  # as added: with no version
    before.write(project_id, subtract=True)
    after.write(project_id)
    return sum(s[0] for s in after.rollups.values())


def _project_outputs(project_id: int) -> Iterable[Sequence[Any]]:
    """Yield every output of the project as ``FIELDS`` values, in id order, a chunk at a time."""
    last = 0
    while True:
        chunk = list(
            ModelOutput.objects.filter(project_id=project_id, pk__gt=last)
            .order_by("pk")
            .values_list("pk", *FIELDS)[:REBUILD_CHUNK]
        )
        if not chunk:
            return
        last = chunk[-1][0]
        for row in chunk:
            yield row[1:]


@transaction.atomic
def rollups_rebuild(*, project_id: int) -> int:
    """Recompute the roll-ups of project ``project_id`` from its outputs; return the outputs.

    Idempotent: the project's roll-ups are replaced, in one transaction. On PostgreSQL the
    roll-up table is locked against concurrent adds first, so an output stored meanwhile is
    counted once: either it was committed before (and is read here) or its add waits for this
    to commit (SQLite has one writer at a time anyway).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (OutputRollup, OutputRollupError, OutputRollupLatency):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    for model in (OutputRollup, OutputRollupError, OutputRollupLatency):
        model.objects.filter(project_id=project_id).delete()
    sums = Sums()
    for record in _project_outputs(project_id):
        sums.add(record)
    sums.write(project_id)
    return sum(s[0] for s in sums.rollups.values())
