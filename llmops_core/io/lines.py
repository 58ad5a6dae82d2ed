"""Bounded reading of lines from a binary file, so an overlong line is never held whole."""

from __future__ import annotations

from typing import IO, Final

from llmops_core.io.errors import FileError

BOM: Final = b"\xef\xbb\xbf"
DEFAULT_MAX_RECORD_BYTES: Final = 1 << 20
_SKIP_CHUNK: Final = 1 << 16


class RecordTooLong(ValueError):
    """A line or record exceeded the byte limit; its bytes were skipped, not kept."""

    def __init__(self, message: str, quotes: int = 0) -> None:
        super().__init__(message)
        self.quotes = quotes  # double quotes in the skipped bytes, for CSV to stay in step


class LineSource:
    """Read a binary file one line at a time, with the line terminator kept.

    Reads go through readline(limit), so memory stays bounded by max_bytes whatever the input.
    A UTF-8 byte-order mark at the very start is dropped.
    """

    def __init__(self, fileobj: IO[bytes], max_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.fileobj = fileobj
        self.max_bytes = max_bytes
        self.line_number = 0
        self._at_start = True

    def next_line(self) -> bytes | None:
        """Return the next line, None at the end, or raise RecordTooLong after skipping it."""
        limit = self.max_bytes + 1 + (len(BOM) if self._at_start else 0)
        line = self.fileobj.readline(limit)
        if not isinstance(line, bytes):
            raise FileError("the file must be opened in binary mode")
        if self._at_start:
            self._at_start = False
            line = line.removeprefix(BOM)
        if not line:
            return None
        self.line_number += 1
        ended = line.endswith(b"\n")
        if len(line) - ended > self.max_bytes:
            quotes = line.count(b'"') + (0 if ended else self.skip_line()[0])
            raise RecordTooLong(f"line is longer than {self.max_bytes} bytes", quotes)
        return line

    def skip_line(self) -> tuple[int, bool]:
        """Discard the rest of the current line in small reads.

        Return the double quotes it held and whether the end of the file was reached.
        """
        quotes = 0
        while True:
            chunk = self.fileobj.readline(_SKIP_CHUNK)
            quotes += chunk.count(b'"')
            if not chunk:
                return quotes, True
            if chunk.endswith(b"\n"):
                return quotes, False
