"""Parquet export writer: a typed pyarrow schema, fixed-size row groups, pinned writer options."""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from llmops_core.io.writers.base import ExportWriter
from llmops_core.io.writers.columns import Column, ColumnType, json_text

ROW_GROUP_ROWS: Final = 10_000
_MESSAGE: Final = pa.struct([("role", pa.string()), ("content", pa.string())])
_ARROW_TYPES: Final[dict[ColumnType, pa.DataType]] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INT: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.BOOL: pa.bool_(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    # Arbitrary JSON has no fixed Arrow type, so it is stored as canonical JSON text.
    ColumnType.JSON: pa.string(),
    ColumnType.MESSAGES: pa.list_(_MESSAGE),
}
# Every option that shapes the bytes is pinned, so a pyarrow upgrade of defaults cannot
# silently change them; created_by still names the pyarrow version, which is intended.
_WRITER_OPTIONS: Final[dict[str, Any]] = {
    "version": "2.6",
    "data_page_version": "1.0",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "store_schema": True,
    "use_compliant_nested_type": True,
    "write_page_index": False,
    "write_page_checksum": False,
    "data_page_size": 1 << 20,
    "dictionary_pagesize_limit": 1 << 20,
    "write_batch_size": 1024,
}


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """Return the Arrow schema for the columns; json columns are marked in field metadata."""
    fields = []
    for column in columns:
        metadata = {b"llmops.type": column.type.value.encode()}
        fields.append(pa.field(column.name, _ARROW_TYPES[column.type], True, metadata))
    return pa.schema(fields)


class ParquetWriter(ExportWriter):
    """Write Parquet with one row group per ROW_GROUP_ROWS rows, whatever the batch sizes.

    ints are int64, floats float64, timestamps microseconds in UTC, and every column is
    nullable. json columns hold canonical JSON text (pandas and Hugging Face datasets read
    them as strings; json.loads each value), because free-form JSON has no fixed Arrow type.
    messages columns are typed list<struct<role, content>>, which both read as lists of dicts.
    """

    format = "parquet"
    extension = ".parquet"
    media_type = "application/vnd.apache.parquet"
    row_group_rows = ROW_GROUP_ROWS

    def _start(self) -> None:
        self._schema = arrow_schema(self.columns)
        self._pending: list[list[Any]] = [[] for _ in self.columns]
        self._json_columns = [c.type is ColumnType.JSON for c in self.columns]
        self._writer = pq.ParquetWriter(
            pa.PythonFile(self.sink, mode="w"), self._schema, **_WRITER_OPTIONS
        )

    def _write_cells(self, rows: list[list[Any]]) -> None:
        for index, is_json in enumerate(self._json_columns):
            values = [cells[index] for cells in rows]
            if is_json:
                values = [None if v is None else json_text(v) for v in values]
            self._pending[index].extend(values)
        while len(self._pending[0]) >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _finish(self) -> None:
        if self._pending[0]:
            self._flush(len(self._pending[0]))
        self._writer.close()

    def _flush(self, count: int) -> None:
        arrays = [
            pa.array(values[:count], type=field.type)
            for values, field in zip(self._pending, self._schema, strict=True)
        ]
        self._writer.write_table(
            pa.Table.from_arrays(arrays, schema=self._schema), row_group_size=count
        )
        for values in self._pending:
            del values[:count]
