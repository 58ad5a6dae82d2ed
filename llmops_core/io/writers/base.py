"""The export writer contract: open, write batches of row dicts, close with the file's sha256."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, ClassVar, Self

from llmops_core.io.writers.columns import Column, ColumnSpec, RowNormaliser, columns_from


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What was written: data rows, the sha256 of the bytes, and their count."""

    rows: int
    sha256: str
    bytes: int


class HashingSink:
    """A write-only file that hashes and counts every byte on its way to the real file."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self._fileobj = fileobj
        self._hash = hashlib.sha256()
        self.bytes = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write data through, hashing it; return the number of bytes (any buffer works)."""
        view = memoryview(data)
        self._hash.update(view)
        self._fileobj.write(view)
        self.bytes += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        """Return the bytes written so far (the export always starts at offset 0)."""
        return self.bytes

    def flush(self) -> None:
        """Flush the real file."""
        self._fileobj.flush()

    def close(self) -> None:
        """Mark the sink closed; the real file stays open, it belongs to the caller."""
        self.closed = True

    def writable(self) -> bool:
        """Report that the sink accepts writes."""
        return True

    def hexdigest(self) -> str:
        """Return the sha256 of everything written."""
        return self._hash.hexdigest()


class ExportWriter(ABC):
    """Stream rows into one export file; subclasses handle one format each.

    Rows are dicts keyed by column name (a missing key is null, an unknown key an error).
    The output depends only on the columns and the rows, never on the time, randomness or
    how rows were split into batches, so re-running an export reproduces its bytes.
    Use as a context manager, or call open(), write_batch() and close().
    """

    format: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str]

    def __init__(
        self, fileobj: IO[bytes], columns: Iterable[ColumnSpec], *, part: bool = False
    ) -> None:
        """``part=True`` writes a part for ``append_part``: no preamble (a CSV header)."""
        self.columns: tuple[Column, ...] = columns_from(columns)
        self.part = part
        self.sink = HashingSink(fileobj)
        self.rows = 0
        self.result: WriteResult | None = None
        self._normaliser = RowNormaliser(self.columns)
        self._opened = False

    def open(self) -> None:
        """Start the file (a CSV header, a Parquet schema); calling it twice is harmless."""
        if not self._opened:
            self._opened = True
            self._start()

    def write_batch(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Check and append a batch of rows."""
        if self.result is not None:
            raise ValueError("the writer is closed")
        self.open()
        if not rows:
            return
        values = self._normaliser.column_values(rows, self.rows + 1)
        self._write_columns(values, len(rows))
        self.rows += len(rows)

    def append_part(self, part: IO[bytes], rows: int) -> None:
        """Append a part written by ``part_writer_class()`` for the same columns.

        Parts of one export, written in parallel over consecutive ranges of its rows and
        appended in order, give the same bytes as writing every row through this writer.
        """
        if self.result is not None:
            raise ValueError("the writer is closed")
        self.open()
        self._append_part(part)
        self.rows += rows

    def _append_part(self, part: IO[bytes]) -> None:
        """Text formats: a part is exactly the bytes of its rows."""
        while chunk := part.read(1 << 20):
            self.sink.write(chunk)

    @classmethod
    def part_writer_class(cls) -> type[ExportWriter]:
        """Return the writer that writes this format's parts (itself, for text formats)."""
        return cls

    def close(self) -> WriteResult:
        """Finish the file and return what was written; calling it again returns the same."""
        if self.result is None:
            self.open()
            self._finish()
            self.sink.flush()
            self.result = WriteResult(self.rows, self.sink.hexdigest(), self.sink.bytes)
        return self.result

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:  # noqa: B027 - optional hook; most formats have no preamble
        """Write whatever precedes the rows."""

    @abstractmethod
    def _write_columns(self, values: list[list[Any]], count: int) -> None:
        """Write ``count`` rows given column by column as canonical values.

        ``values[i]`` holds column i's values; json columns hold canonical JSON text.
        """

    def _finish(self) -> None:  # noqa: B027 - optional hook; most formats have no trailer
        """Write whatever follows the rows."""


def write_export(
    writer_class: type[ExportWriter],
    fileobj: IO[bytes],
    columns: Iterable[ColumnSpec],
    batches: Iterable[Sequence[Mapping[str, Any]]],
) -> WriteResult:
    """Write every batch with a writer of the given class and return the result."""
    writer = writer_class(fileobj, columns)
    with writer:
        for batch in batches:
            writer.write_batch(batch)
    return writer.close()
