"""Export writers (JSONL, CSV, Parquet) behind one contract, and the registry that picks one."""

from __future__ import annotations

from typing import Final

from llmops_core.io.writers.base import ExportWriter, HashingSink, WriteResult, write_export
from llmops_core.io.writers.columns import Column, ColumnSpec, ColumnType, columns_from
from llmops_core.io.writers.csvfile import CsvWriter, neutralise
from llmops_core.io.writers.jsonl import JsonlWriter
from llmops_core.io.writers.parquet import ParquetWriter

__all__ = [
    "WRITERS",
    "Column",
    "ColumnSpec",
    "ColumnType",
    "CsvWriter",
    "ExportWriter",
    "HashingSink",
    "JsonlWriter",
    "ParquetWriter",
    "WriteResult",
    "columns_from",
    "neutralise",
    "write_export",
    "writer_for",
]

WRITERS: Final[dict[str, type[ExportWriter]]] = {
    writer.format: writer for writer in (JsonlWriter, CsvWriter, ParquetWriter)
}


def writer_for(fmt: str) -> type[ExportWriter]:
    """Return the writer class for an export format: "jsonl", "csv" or "parquet"."""
    try:
        return WRITERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown export format {fmt!r}; use one of {', '.join(WRITERS)}"
        ) from None
