"""Streaming reader for a file holding one JSON array of records, decoded element by element."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import IO, Any, Final

from llmops_core.io import jsontext
from llmops_core.io.errors import FileError, RowError
from llmops_core.io.lines import DEFAULT_MAX_RECORD_BYTES
from llmops_core.io.records import DEFAULT_LIMITS, FieldLimits, ImportRow, RecordValidator

_CHUNK: Final = 1 << 16
_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")


class _Buffer:
    """A sliding window of decoded text over the file; only the unread part is kept."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.fileobj = fileobj
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.pos = 0
        self.eof = False
        self.bytes_read = 0

    def fill(self) -> bool:
        """Append the next chunk of the file; return False at the end."""
        if self.eof:
            return False
        chunk = self.fileobj.read(_CHUNK)
        if not isinstance(chunk, bytes):
            raise FileError("the file must be opened in binary mode")
        try:
            decoded = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            offset = self.bytes_read + exc.start + 1
            raise FileError(f"not valid UTF-8 (byte {offset} of the file)") from None
        self.bytes_read += len(chunk)
        self.eof = not chunk
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        return True

    def peek(self) -> str | None:
        """Skip whitespace; return the next character, unconsumed, or None at the end."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return None

    def decode_value(self, row: int, max_chars: int, max_depth: int) -> tuple[Any, int]:
        """Decode the next JSON value; return it and its length in characters."""
        while True:
            start = self.pos
            try:
                value, end = jsontext.raw_decode(self.text, start)
            except jsontext.JsonError as exc:
                raise FileError(f"row {row}: invalid JSON: {exc}") from None
            except RecursionError:
                raise FileError(f"row {row}: nested deeper than {max_depth} levels") from None
            except json.JSONDecodeError as exc:
                # Possibly just cut off at the end of the window: read more, up to the limit.
                cut_off = exc.pos >= len(self.text) - 1 or exc.msg.startswith("Unterminated")
                if cut_off and not self.eof and len(self.text) - start > max_chars:
                    # Past the limit and still open: the element is too long to read, and
                    # with no end in sight there is no safe place to resume.
                    raise FileError(
                        f"row {row}: record is longer than {max_chars} characters"
                    ) from None
                if self.eof or not self.fill():
                    reason = f"{exc.msg} at character {exc.pos - start + 1} of the element"
                    raise FileError(f"row {row}: invalid JSON: {reason}") from None
                continue
            self.pos = end
            return value, end - start


def iter_json_file(
    fileobj: IO[bytes],
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    limits: FieldLimits = DEFAULT_LIMITS,
) -> Iterator[ImportRow | list[RowError]]:
    """Yield one result per element of a JSON array file (1-based rows), reading it in chunks.

    A syntax error inside the array leaves no safe place to resume, so it raises FileError
    naming the row; elements that parse but fail validation are row errors as usual.
    """
    buffer = _Buffer(fileobj)
    validator = RecordValidator(limits)
    first = buffer.peek()
    if first is None:
        raise FileError("file is empty")
    if first != "[":
        raise FileError('expected a JSON array starting with "["')
    buffer.pos += 1
    row = 0
    while True:
        char = buffer.peek()
        if char == "]":
            buffer.pos += 1
            break
        if row and char == ",":
            buffer.pos += 1
            char = buffer.peek()
        elif row and char is not None:
            raise FileError(f'row {row}: expected "," or "]" after the element')
        if char is None:
            raise FileError('the JSON array is not closed with "]"')
        row += 1
        raw, size = buffer.decode_value(row, max_record_bytes, limits.max_depth)
        if size > max_record_bytes:
            yield [RowError(row, None, f"record is longer than {max_record_bytes} characters")]
            continue
        yield validator.validate(raw, row)
    if buffer.peek() is not None:
        raise FileError("unexpected data after the JSON array")
    if row == 0:
        raise FileError("the array is empty")
