"""Reads and writes of the rating flow's hot path in SQL, with model instances as the ORM makes.

Submit-and-next runs on every rating, and building its statements through the ORM cost
several times more than running them (``bench.rating`` measures it). ``select`` reads a chain
of models joined in SQL (what ``select_related`` would join) and returns instances with the
backend's converters applied, so a datetime read from SQLite is a datetime as usual; ``insert``
writes rows with each field's own conversion. Table and column names come from the models;
every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]
# A model and the names of the fields to read (None: every concrete field).
Part = tuple[type[Model], tuple[str, ...] | None]


@cache
def _fields(model: type[Model], names: tuple[str, ...] | None) -> tuple[Field[Any, Any], ...]:
    fields = model._meta.concrete_fields
    if names is None:
        return tuple(fields)
    wanted = set(names) | {model._meta.pk.name}  # type: ignore[union-attr]
    return tuple(f for f in fields if f.name in wanted or f.attname in wanted)


def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> str:
    """Return the SQL column list of ``model``'s fields (all, or ``names``) under ``alias``."""
    return ", ".join(f'{alias}."{f.column}"' for f in _fields(model, names))


@cache
def _converters(
    model: type[Model], names: tuple[str, ...] | None, vendor: str
) -> tuple[tuple[int, tuple[tuple[Converter, Any], ...]], ...]:
    found = []
    for i, field in enumerate(_fields(model, names)):
        col = field.get_col(model._meta.db_table)
        funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if funcs:
            found.append((i, tuple((f, col) for f in funcs)))
    return tuple(found)


def instance(model: type[M], values: Sequence[Any], names: tuple[str, ...] | None = None) -> M:
    """Return a ``model`` instance from a row of its fields, as the ORM would build it.

    Fields left out of ``names`` are deferred: reading one costs a query, as with ``only()``.
    """
    row = list(values)
    for i, funcs in _converters(model, names, connection.vendor):
        for func, col in funcs:
            row[i] = func(row[i], col, connection)
    attnames = [f.attname for f in _fields(model, names)]
    return model.from_db(connection.alias, attnames, row)


def select(parts: Sequence[Part], sql: str, params: Sequence[Any]) -> list[list[Model | None]]:
    """Run ``sql`` (selecting ``columns()`` of each part in turn) and return instances per row.

    A part whose primary key is NULL (an outer join that found nothing) comes back as None.
    """
    sizes = [len(_fields(model, names)) for model, names in parts]
    keys = [[f.primary_key for f in _fields(model, names)].index(True) for model, names in parts]
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    result = []
    for row in rows:
        start, built = 0, []
        for (model, names), size, key in zip(parts, sizes, keys, strict=True):
            values = row[start : start + size]
            built.append(None if values[key] is None else instance(model, values, names))
            start += size
        result.append(built)
    return result


def insert(model: type[M], rows: Iterable[Mapping[str, Any]]) -> list[M]:
    """Insert ``rows`` (attribute name to value, every one given) and return the new instances."""
    rows = list(rows)
    if not rows:
        return []
    names = list(rows[0])
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in names]
    params: list[Any] = []
    for row in rows:
        params.extend(
            f.get_db_prep_save(row[n], connection) for f, n in zip(fields, names, strict=True)
        )
    marks = "(" + ", ".join(["%s"] * len(names)) + ")"
    cols = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({cols}) "  # noqa: S608
            f"VALUES {', '.join([marks] * len(rows))} RETURNING id",
            params,
        )
        ids = [int(r[0]) for r in cursor.fetchall()]
    made = []
    for pk, row in zip(ids, rows, strict=True):
        obj = model(pk=pk, **row)
        obj._state.adding = False
        obj._state.db = connection.alias
        made.append(obj)
    return made
