"""CSV export writer: a header, RFC 4180 quoting, JSON text for nested cells, formula-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from llmops_core.io.writers.base import ExportWriter
from llmops_core.io.writers.columns import ColumnType, isoformat, json_text

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Return text that a spreadsheet shows as text: a leading quote before a formula prefix."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _number(value: int | float) -> str:
    return repr(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _stamp(value: datetime) -> str:
    return isoformat(value)


_FORMATTERS: Final[dict[ColumnType, Callable[[Any], str]]] = {
    ColumnType.STRING: neutralise,
    ColumnType.INT: _number,
    ColumnType.FLOAT: _number,
    ColumnType.BOOL: _bool,
    ColumnType.TIMESTAMP: _stamp,
    ColumnType.JSON: json_text,
    ColumnType.MESSAGES: json_text,
}


class CsvWriter(ExportWriter):
    """Write UTF-8 CSV without a BOM, CRLF line ends, and an empty cell for None.

    Numbers are plain numbers and never neutralised; string cells that a spreadsheet would
    treat as a formula get a leading single quote. An empty string and None both become an
    empty cell, as in every CSV.
    """

    format = "csv"
    extension = ".csv"
    media_type = "text/csv"

    def _start(self) -> None:
        self._formatters = [_FORMATTERS[column.type] for column in self.columns]
        self._write_text_rows([[neutralise(column.name) for column in self.columns]])

    def _write_cells(self, rows: list[list[Any]]) -> None:
        formatters = self._formatters
        self._write_text_rows(
            [
                [
                    "" if value is None else fmt(value)
                    for fmt, value in zip(formatters, cells, strict=True)
                ]
                for cells in rows
            ]
        )

    def _write_text_rows(self, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        self.sink.write(buffer.getvalue().encode("utf-8"))
