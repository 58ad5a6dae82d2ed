"""CSV export writer: a header, RFC 4180 quoting, JSON text for nested cells, formula-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, Final

from llmops_core.io.writers.base import ExportWriter
from llmops_core.io.writers.columns import ColumnType, isoformat_column, json_text

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_TRIGGERS: Final = frozenset("=+-@")
# Cells starting with these (or a tab or a line break) are quoted outright; other leading
# whitespace only when a formula prefix follows it, as spreadsheets skip it before reading "=".
_ALWAYS: Final = frozenset("=+-@\t\r\n")


def is_formula_like(text: str) -> bool:
    """Return whether a spreadsheet could run ``text`` as a formula (after leading whitespace)."""
    if not text:
        return False
    first = text[0]
    if first in _ALWAYS:
        return True
    return first.isspace() and text.lstrip()[:1] in _TRIGGERS


def neutralise(text: str) -> str:
    """Return text that a spreadsheet shows as text: a leading quote before a formula."""
    return "'" + text if is_formula_like(text) else text


def _strings(values: list[Any]) -> list[Any]:
    # The common cell starts with a letter or digit: one set lookup and one isspace call.
    always = _ALWAYS
    return [
        ("'" + v) if v and (v[0] in always or (v[0].isspace() and is_formula_like(v))) else v
        for v in values
    ]


def _bools(values: list[Any]) -> list[Any]:
    return [None if v is None else ("true" if v else "false") for v in values]


def _as_is(values: list[Any]) -> list[Any]:
    # The csv module writes None as an empty cell and numbers with str(), which is repr().
    return values


def _messages(values: list[Any]) -> list[Any]:
    return [None if v is None else json_text(v) for v in values]


_FORMATTERS: Final[dict[ColumnType, Callable[[list[Any]], list[Any]]]] = {
    ColumnType.STRING: _strings,
    ColumnType.INT: _as_is,
    ColumnType.FLOAT: _as_is,
    ColumnType.BOOL: _bools,
    ColumnType.TIMESTAMP: isoformat_column,
    ColumnType.JSON: _as_is,  # canonical JSON text already
    ColumnType.MESSAGES: _messages,
}


class CsvWriter(ExportWriter):
    """Write UTF-8 CSV without a BOM, CRLF line ends, and an empty cell for None.

    Numbers are plain numbers and never neutralised; string cells that a spreadsheet would
    treat as a formula, even behind leading whitespace or a line break, get a leading quote.
    An empty string and None both become an empty cell, as in every CSV.
    """

    format = "csv"
    extension = ".csv"
    media_type = "text/csv"

    def _start(self) -> None:
        self._formatters = [_FORMATTERS[column.type] for column in self.columns]
        if not self.part:
            self._write_text_rows([[neutralise(column.name) for column in self.columns]])

    def _write_columns(self, values: list[list[Any]], count: int) -> None:
        formatted = [fmt(column) for fmt, column in zip(self._formatters, values, strict=True)]
        self._write_text_rows(zip(*formatted, strict=True))

    def _write_text_rows(self, rows: Any) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        self.sink.write(buffer.getvalue().encode("utf-8"))
