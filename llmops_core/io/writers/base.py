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
        """Write data through, hashing it; return the number of bytes."""
        self._hash.update(data)
        self._fileobj.write(data)
        size = len(data) if isinstance(data, bytes | bytearray) else data.nbytes
        self.bytes += size
        return size

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

    def __init__(self, fileobj: IO[bytes], columns: Iterable[ColumnSpec]) -> None:
        self.columns: tuple[Column, ...] = columns_from(columns)
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
        first = self.rows + 1
        cells = [self._normaliser.cells(row, first + i) for i, row in enumerate(rows)]
        self._write_cells(cells)
        self.rows += len(cells)

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
    def _write_cells(self, rows: list[list[Any]]) -> None:
        """Write rows given as canonical cells in column order."""

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
