"""Parquet export writer: a typed pyarrow schema, fixed-size row groups, pinned writer options.

pyarrow is imported when a Parquet file is written, not when the writer registry is: the web
process lists export formats but never writes one.
"""

from __future__ import annotations

import functools
from typing import IO, TYPE_CHECKING, Any, Final

from llmops_core.io.writers.base import ExportWriter
from llmops_core.io.writers.columns import Column, ColumnType

if TYPE_CHECKING:
    import pyarrow as pa

ROW_GROUP_ROWS: Final = 10_000
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


@functools.cache
def _arrow_types() -> dict[ColumnType, pa.DataType]:
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    return {
        ColumnType.STRING: pa.string(),
        ColumnType.INT: pa.int64(),
        ColumnType.FLOAT: pa.float64(),
        ColumnType.BOOL: pa.bool_(),
        ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
        # Arbitrary JSON has no fixed Arrow type, so it is stored as canonical JSON text.
        ColumnType.JSON: pa.string(),
        ColumnType.MESSAGES: pa.list_(message),
    }


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """Return the Arrow schema for the columns; json columns are marked in field metadata."""
    import pyarrow as pa

    types = _arrow_types()
    fields = []
    for column in columns:
        metadata = {b"llmops.type": column.type.value.encode()}
        fields.append(pa.field(column.name, types[column.type], True, metadata))
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
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._schema = arrow_schema(self.columns)
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer = pq.ParquetWriter(
            pa.PythonFile(self.sink, mode="w"), self._schema, **_WRITER_OPTIONS
        )

    def _write_columns(self, values: list[list[Any]], count: int) -> None:
        # json columns hold canonical JSON text already, which is what the file stores.
        self._add(arrow_table(self._schema, values))

    def _append_part(self, part: IO[bytes]) -> None:
        import pyarrow as pa

        with pa.ipc.open_stream(part) as reader:
            for batch in reader:
                self._add(pa.Table.from_batches([batch], schema=self._schema))

    @classmethod
    def part_writer_class(cls) -> type[ExportWriter]:
        return ArrowPartWriter

    def _add(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _finish(self) -> None:
        if self._pending_rows:
            self._flush(self._pending_rows)
        self._writer.close()

    def _flush(self, count: int) -> None:
        # One contiguous row group whatever the batches were, so the bytes never depend on
        # how the rows arrived (batch sizes, parts).
        import pyarrow as pa

        table = pa.concat_tables(self._pending)
        self._writer.write_table(table.slice(0, count).combine_chunks(), row_group_size=count)
        rest = table.slice(count)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows -= count


def arrow_table(schema: pa.Schema, values: list[list[Any]]) -> pa.Table:
    """Return canonical column values as an Arrow table of the export's schema."""
    import pyarrow as pa

    arrays = [
        pa.array(column, type=field.type) for column, field in zip(values, schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


class ArrowPartWriter(ExportWriter):
    """Write one part of a Parquet export as an Arrow IPC stream, for ``append_part``.

    Parquet files cannot be concatenated, so a part carries typed columns that the Parquet
    writer appends as if its rows had come through ``write_batch``.
    """

    format = "arrow"
    extension = ".arrows"
    media_type = "application/vnd.apache.arrow.stream"

    def _start(self) -> None:
        import pyarrow as pa

        self._schema = arrow_schema(self.columns)
        self._stream = pa.ipc.new_stream(pa.PythonFile(self.sink, mode="w"), self._schema)

    def _write_columns(self, values: list[list[Any]], count: int) -> None:
        self._stream.write_table(arrow_table(self._schema, values))

    def _finish(self) -> None:
        self._stream.close()
