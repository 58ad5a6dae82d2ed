"""JSON Lines export writer: one JSON object per line, keys in column order, UTF-8."""

from __future__ import annotations

from typing import Any

import orjson

from llmops_core.io.writers.base import ExportWriter
from llmops_core.io.writers.columns import ColumnType, isoformat_column


class JsonlWriter(ExportWriter):
    """Write native JSON: numbers as numbers, json and messages columns nested, null for None.

    Timestamps become ISO 8601 strings in UTC ("2024-05-01T12:00:00.000000Z"). Lines are
    encoded by orjson; json cells are spliced in as the canonical text the normaliser made.
    """

    format = "jsonl"
    extension = ".jsonl"
    media_type = "application/jsonl"

    def _write_columns(self, values: list[list[Any]], count: int) -> None:
        prepared = []
        for column, column_values in zip(self.columns, values, strict=True):
            if column.type is ColumnType.TIMESTAMP:
                column_values = isoformat_column(column_values)
            elif column.type is ColumnType.JSON:
                column_values = [None if v is None else orjson.Fragment(v) for v in column_values]
            prepared.append(column_values)
        names = [column.name for column in self.columns]
        dumps = orjson.dumps
        lines = [dumps(dict(zip(names, row, strict=True))) for row in zip(*prepared, strict=True)]
        lines.append(b"")
        self.sink.write(b"\n".join(lines))
