"""JSON Lines export writer: one JSON object per line, keys in column order, UTF-8."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from llmops_core.io.writers.base import ExportWriter
from llmops_core.io.writers.columns import ColumnType, isoformat, json_text


class JsonlWriter(ExportWriter):
    """Write native JSON: numbers as numbers, json and messages columns nested, null for None.

    Timestamps become ISO 8601 strings in UTC ("2024-05-01T12:00:00.000000Z").
    """

    format = "jsonl"
    extension = ".jsonl"
    media_type = "application/jsonl"

    def _write_cells(self, rows: list[list[Any]]) -> None:
        names = [column.name for column in self.columns]
        stamps = [i for i, c in enumerate(self.columns) if c.type is ColumnType.TIMESTAMP]
        lines = []
        for cells in rows:
            for i in stamps:
                if isinstance(cells[i], datetime):
                    cells[i] = isoformat(cells[i])
            lines.append(json_text(dict(zip(names, cells, strict=True))))
        if lines:
            lines.append("")
            self.sink.write("\n".join(lines).encode("utf-8"))
