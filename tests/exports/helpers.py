"""Read exports back with pandas and Hugging Face datasets, and compare them by column type."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

import pandas as pd

from llmops_core.io.writers import Column, ColumnType
from llmops_core.io.writers.csvfile import is_formula_like


def read_pandas(path: Path, fmt: str) -> pd.DataFrame:
    """Load an export with pandas (CSV cells are kept as text, not guessed NA markers)."""
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False, precise_float=True)
    if fmt == "csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    return pd.read_parquet(path)


def read_hf(path: Path, fmt: str, cache: Path) -> list[dict[str, Any]]:
    """Load an export with Hugging Face datasets' builder for its format."""
    import datasets

    builder = {"jsonl": "json"}.get(fmt, fmt)
    options: dict[str, Any] = {"keep_default_na": False, "na_values": [""]} if fmt == "csv" else {}
    dataset = datasets.load_dataset(
        builder, data_files=str(path), cache_dir=str(cache), split="train", **options
    )
    return dataset.to_list()


def missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def canonical(value: Any, kind: ColumnType) -> Any:
    """Reduce a value read back by any loader to plain Python, by the column's type."""
    if missing(value) or (isinstance(value, str) and value == ""):
        return None
    if kind is ColumnType.STRING:
        return str(value)  # "" became None above: CSV writes "" and None alike
    if kind is ColumnType.TIMESTAMP:
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp).to_pydatetime()
    if kind in (ColumnType.JSON, ColumnType.MESSAGES) and isinstance(value, str):
        value = json.loads(value)
    if kind is ColumnType.MESSAGES:
        return [dict(message) for message in _plain(value)]
    if kind is ColumnType.JSON:
        return _plain(value)
    if kind is ColumnType.INT:
        return int(value)
    if kind is ColumnType.FLOAT:
        return round(float(value), 9)
    if kind is ColumnType.BOOL:
        return value in (True, "true", "True", 1) if isinstance(value, str) else bool(value)
    return value


def _plain(value: Any) -> Any:
    """Return nested data as plain dicts and lists, without keys a struct loader set to None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else value
        return [_plain(item) for item in items]
    return value


def canonical_rows(
    records: Iterable[dict[str, Any]], columns: Sequence[Column], *, csv: bool = False
) -> list[dict[str, Any]]:
    """Return rows with every column canonicalised by its type.

    With ``csv``, text cells lose the quote the CSV writer puts before formula prefixes.
    """
    rows = []
    for record in records:
        row = {}
        for column in columns:
            value = record.get(column.name)
            if csv and column.type is ColumnType.STRING and isinstance(value, str):
                value = unneutralise(value)
            row[column.name] = canonical(value, column.type)
        rows.append(row)
    return rows


def unneutralise(text: str) -> str:
    """Undo the CSV writer's formula neutralisation of one cell."""
    return text[1:] if text[:1] == "'" and is_formula_like(text[1:]) else text
