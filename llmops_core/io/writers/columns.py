"""Column schemas for exports, and the checks that turn a row dict into canonical cell values."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, NamedTuple

import orjson

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
        return None  # as in float columns: no JSON form, so null
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
    """Check rows against the columns and return their cells column by column, canonicalised.

    Work is done a column at a time: a column whose values all have the expected Python type
    (the usual case: rows come from our own shapes) is checked by one pass over the types and
    kept as is; only a column that fails that check is walked value by value, which finds the
    first bad row for the error message. json columns come back as canonical JSON text.
    """

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self.names = frozenset(column.name for column in columns)
        # A getter that returns a row's values in column order as a tuple, even for one column.
        names = [column.name for column in columns]
        self._getter: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        )

    def column_values(self, rows: Sequence[Mapping[str, Any]], first: int) -> list[list[Any]]:
        """Return one list of canonical values per column; ``first`` numbers the first row.

        A missing key is None, an unknown key an error naming the row.
        """
        names = self.names
        if not all(map(names.issuperset, rows)):
            for offset, row in enumerate(rows):
                if not names.issuperset(row):
                    unknown = sorted(str(key) for key in row if key not in names)
                    raise ValueError(
                        f"export row {first + offset}: unknown column(s) {', '.join(unknown)}"
                    )
        try:
            # Rows that carry every column transpose in C; rows with missing keys take .get.
            table = [list(values) for values in zip(*map(self._getter, rows), strict=True)]
        except KeyError:
            table = [[row.get(column.name) for row in rows] for column in self.columns]
        result = []
        for column, values in zip(self.columns, table, strict=True):
            fast = _FAST[column.type](values)
            result.append(fast if fast is not None else _checked(column, values, first))
        return result


def _checked(column: Column, values: list[Any], first: int) -> list[Any]:
    """Normalise a column value by value; raise TypeError naming the first bad row."""
    normalise = _NORMALISERS[column.type]
    out: list[Any] = []
    for offset, value in enumerate(values):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(normalise(value))
        except _Wrong:
            raise TypeError(
                f'export row {first + offset}, column "{column.name}": expected '
                f"{_EXPECTED[column.type]}, got {type(value).__name__}"
            ) from None
    if column.type is ColumnType.JSON:
        return _json_texts(out)
    return out


_NONE: Final = type(None)


def _types(values: list[Any]) -> set[type]:
    return set(map(type, values)) - {_NONE}


def _fast_exact(expected: type) -> Callable[[list[Any]], list[Any] | None]:
    def check(values: list[Any]) -> list[Any] | None:
        return values if _types(values) <= {expected} else None

    return check


def _fast_float(values: list[Any]) -> list[Any] | None:
    if not _types(values) <= {float}:
        return None
    if all(map(math.isfinite, filter(None, values))):
        return values
    return [v if v is None or math.isfinite(v) else None for v in values]


def _fast_timestamp(values: list[Any]) -> list[Any] | None:
    if not _types(values) <= {datetime}:
        return None
    seen: dict[datetime, datetime] = {}
    out = []
    for value in values:
        if value is None or value.tzinfo is UTC:
            out.append(value)
            continue
        converted = seen.get(value)
        if converted is None:
            if value.utcoffset() is None:
                return None  # naive: the checked path names the row
            converted = seen[value] = value.astimezone(UTC)
        out.append(converted)
    return out


def _fast_json(values: list[Any]) -> list[Any] | None:
    """Return canonical JSON text per value (keys sorted), or None if any value needs checks."""
    texts: dict[int, str] = {}
    out: list[Any] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        text = texts.get(id(value))
        if text is None:
            try:
                text = orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
            except TypeError:
                return None  # not JSON, or an int beyond 64 bits: the checked path decides
            texts[id(value)] = text
        out.append(text)
    return out


def _json_texts(values: list[Any]) -> list[Any]:
    """Return canonical JSON text of already checked values (``json_text`` of each)."""
    return [None if v is None else json_text(v) for v in values]


_ORJSON_OPTIONS: Final = orjson.OPT_SORT_KEYS
_FAST: Final[dict[ColumnType, Callable[[list[Any]], list[Any] | None]]] = {
    ColumnType.STRING: _fast_exact(str),
    ColumnType.INT: _fast_exact(int),
    ColumnType.FLOAT: _fast_float,
    ColumnType.BOOL: _fast_exact(bool),
    ColumnType.TIMESTAMP: _fast_timestamp,
    ColumnType.JSON: _fast_json,
    ColumnType.MESSAGES: lambda values: None,  # small columns (SFT, pairs): always checked
}


def isoformat(value: datetime) -> str:
    """Return a UTC timestamp as fixed-width ISO 8601 text ending in Z."""
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def isoformat_column(values: list[datetime | None]) -> list[str | None]:
    """Return ``isoformat`` of each timestamp; repeated values are formatted once."""
    texts: dict[datetime, str] = {}
    out: list[str | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        text = texts.get(value)
        if text is None:
            text = texts[value] = isoformat(value)
        out.append(text)
    return out


def json_text(value: Any) -> str:
    """Return compact canonical JSON text (object keys sorted, non-ASCII kept as is).

    orjson does the work; the standard library only takes what orjson refuses to encode
    (an int beyond 64 bits), after ``_json`` has checked and sorted the value.
    """
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return JSON_ENCODER.encode(_json(value))
