"""Column schemas for exports, and the checks that turn a row dict into canonical cell values."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, NamedTuple

JSON_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class ColumnType(StrEnum):
    """The value types an export column can hold; every column is nullable."""

    STRING = "string"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    TIMESTAMP = "timestamp"  # an aware datetime, written in UTC
    JSON = "json"  # any JSON value: object, list, or scalar
    MESSAGES = "messages"  # a chat: a list of {"role": str, "content": str}


class Column(NamedTuple):
    """One export column: a name and a type."""

    name: str
    type: ColumnType


ColumnSpec = Column | tuple[str, str]


def columns_from(spec: Iterable[ColumnSpec]) -> tuple[Column, ...]:
    """Return the columns of a spec such as [("external_id", "string"), ("score", "int")]."""
    columns: list[Column] = []
    seen: set[str] = set()
    for name, type_name in spec:
        if not isinstance(name, str) or not name:
            raise ValueError(f"column name {name!r} must be a non-empty string")
        if name in seen:
            raise ValueError(f"duplicate column {name!r}")
        try:
            column_type = ColumnType(type_name)
        except ValueError:
            choices = ", ".join(t.value for t in ColumnType)
            raise ValueError(
                f"column {name!r}: unknown type {type_name!r}; use {choices}"
            ) from None
        seen.add(name)
        columns.append(Column(name, column_type))
    if not columns:
        raise ValueError("an export needs at least one column")
    return tuple(columns)


class _Wrong(Exception):
    pass


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Wrong


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _Wrong


def _float(value: Any) -> float | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
        # NaN and infinities have no JSON form; all three formats write them as null.
        return number if math.isfinite(number) else None
    raise _Wrong


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _Wrong


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC)
    raise _Wrong


def _json(value: Any) -> Any:
    """Return the value with object keys sorted, so equal data always serialises the same."""
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise _Wrong
        return {key: _json(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Wrong
    if value is None or isinstance(value, str | int | float):
        return value
    raise _Wrong


def _messages(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        raise _Wrong
    messages = []
    for message in value:
        if not isinstance(message, Mapping) or set(message) != {"role", "content"}:
            raise _Wrong
        role, content = message["role"], message["content"]
        if not isinstance(role, str) or not isinstance(content, str):
            raise _Wrong
        messages.append({"role": role, "content": content})
    return messages


_NORMALISERS: Final[dict[ColumnType, Callable[[Any], Any]]] = {
    ColumnType.STRING: _string,
    ColumnType.INT: _int,
    ColumnType.FLOAT: _float,
    ColumnType.BOOL: _bool,
    ColumnType.TIMESTAMP: _timestamp,
    ColumnType.JSON: _json,
    ColumnType.MESSAGES: _messages,
}

_EXPECTED: Final[dict[ColumnType, str]] = {
    ColumnType.STRING: "a str",
    ColumnType.INT: "an int",
    ColumnType.FLOAT: "a number",
    ColumnType.BOOL: "a bool",
    ColumnType.TIMESTAMP: "an aware datetime",
    ColumnType.JSON: "a JSON value (dict keys must be str)",
    ColumnType.MESSAGES: 'a list of {"role": str, "content": str}',
}


class RowNormaliser:
    """Check rows against the columns and return their cells in column order, canonicalised."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.names = frozenset(column.name for column in columns)
        self._steps = [(c.name, c.type, _NORMALISERS[c.type]) for c in columns]

    def cells(self, row: Mapping[str, Any], number: int) -> list[Any]:
        """Return one row's cells; a missing key is None, an unknown key is an error."""
        if not self.names.issuperset(row):
            unknown = sorted(str(key) for key in row if key not in self.names)
            raise ValueError(f"export row {number}: unknown column(s) {', '.join(unknown)}")
        cells: list[Any] = []
        for name, column_type, normalise in self._steps:
            value = row.get(name)
            if value is None:
                cells.append(None)
                continue
            try:
                cells.append(normalise(value))
            except _Wrong:
                raise TypeError(
                    f'export row {number}, column "{name}": expected {_EXPECTED[column_type]}, '
                    f"got {type(value).__name__}"
                ) from None
        return cells


def isoformat(value: datetime) -> str:
    """Return a UTC timestamp as fixed-width ISO 8601 text ending in Z."""
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def json_text(value: Any) -> str:
    """Return compact JSON text, non-ASCII kept as is (cells are canonicalised already)."""
    return JSON_ENCODER.encode(value)
