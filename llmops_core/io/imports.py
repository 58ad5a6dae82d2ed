"""Streaming readers that turn JSONL, CSV and JSON-array imports into rows or row errors."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Final

from llmops_core.io import jsontext
from llmops_core.io.errors import FileError, RowError
from llmops_core.io.jsonarray import iter_json_file
from llmops_core.io.lines import BOM, DEFAULT_MAX_RECORD_BYTES, LineSource, RecordTooLong
from llmops_core.io.records import (
    DEFAULT_LIMITS,
    FIELDS,
    REQUIRED_FIELDS,
    FieldLimits,
    ImportRow,
    RecordValidator,
    validate_record,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RECORD_BYTES",
    "FORMATS",
    "FieldLimits",
    "FileError",
    "ImportRow",
    "RecordValidator",
    "Result",
    "RowError",
    "detect_format",
    "iter_csv",
    "iter_json_array",
    "iter_json_file",
    "iter_jsonl",
    "iter_records",
    "validate_record",
]

Result = ImportRow | list[RowError]
FORMATS: Final = ("jsonl", "csv", "json")
_EXTENSIONS: Final = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "json"}


def detect_format(filename: str, first_bytes: bytes) -> str:
    """Return "jsonl", "csv" or "json" from the file name, or from the first bytes if it has none.

    A ".json" file whose first value is an object rather than an array is read as JSONL.
    """
    head = first_bytes.removeprefix(BOM).lstrip()
    if not head:
        raise FileError("file is empty")
    if head.startswith(b"\x1f\x8b") or head.startswith(b"PK\x03\x04"):
        raise FileError("compressed files are not supported; upload the uncompressed file")
    name = filename.lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    fmt = _EXTENSIONS.get(extension)
    if fmt == "json":
        return "jsonl" if head.startswith(b"{") else "json"
    if fmt is not None:
        return fmt
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    if b"external_id" in head.split(b"\n", 1)[0]:
        return "csv"
    raise FileError(f"cannot tell the format of {filename!r}; name it .jsonl, .csv or .json")


def iter_records(
    fileobj: IO[bytes],
    fmt: str,
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    limits: FieldLimits = DEFAULT_LIMITS,
) -> Iterator[Result]:
    """Yield the rows of a binary file in the given format ("jsonl", "csv" or "json")."""
    readers = {"jsonl": iter_jsonl, "csv": iter_csv, "json": iter_json_file}
    if fmt not in readers:
        raise FileError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return readers[fmt](fileobj, max_record_bytes=max_record_bytes, limits=limits)


def iter_jsonl(
    fileobj: IO[bytes],
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    limits: FieldLimits = DEFAULT_LIMITS,
) -> Iterator[Result]:
    """Yield one result per non-blank line; the row number is the 1-based line number."""
    lines = LineSource(fileobj, max_record_bytes)
    validator = RecordValidator(limits)
    seen_row = False
    while True:
        try:
            line = lines.next_line()
        except RecordTooLong as exc:
            seen_row = True
            yield [RowError(lines.line_number, None, str(exc))]
            continue
        if line is None:
            break
        if line.isspace() or not line:
            continue
        seen_row = True
        yield _jsonl_row(line, lines.line_number, limits, validator)
    if not seen_row:
        raise FileError("file is empty")


def _jsonl_row(line: bytes, row: int, limits: FieldLimits, validator: RecordValidator) -> Result:
    try:
        text = line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return [RowError(row, None, _not_utf8(line, exc))]
    try:
        raw = jsontext.loads(text, max_depth=limits.max_depth)
    except jsontext.JsonError as exc:
        return [RowError(row, None, f"invalid JSON: {exc}")]
    return validator.validate_parsed(raw, row, text)


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    return f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start + 1})"


def iter_json_array(
    records: Iterable[object], *, limits: FieldLimits = DEFAULT_LIMITS
) -> Iterator[Result]:
    """Yield one result per element of an already-parsed JSON array (1-based rows)."""
    validator = RecordValidator(limits)
    row = 0
    for row, raw in enumerate(records, start=1):
        yield validator.validate(raw, row)
    if row == 0:
        raise FileError("the array is empty")


class _CsvLines:
    """Decoded physical lines for csv.reader, counting the bytes of the record being read.

    When a record runs over the limit inside a quoted cell, the rest of that cell is skipped
    by counting quotes, so the next record starts where it should.
    """

    def __init__(self, source: LineSource) -> None:
        self.source = source
        self.record_bytes = 0
        self.record_quotes = 0

    def start_record(self) -> None:
        """Reset the counts before csv.reader reads the next record."""
        self.record_bytes = 0
        self.record_quotes = 0

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        try:
            line = self.source.next_line()
        except RecordTooLong as exc:
            self._skip_open_cell(exc.quotes)
            raise
        if line is None:
            raise StopIteration
        self.record_bytes += len(line)
        if self.record_bytes > self.source.max_bytes:
            self._skip_open_cell(line.count(b'"'))
            raise RecordTooLong(f"record is longer than {self.source.max_bytes} bytes")
        self.record_quotes += line.count(b'"')
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8(_not_utf8(line, exc)) from None

    def _skip_open_cell(self, quotes: int) -> None:
        self.record_quotes += quotes
        at_end = False
        while self.record_quotes % 2 and not at_end:
            skipped, at_end = self.source.skip_line()
            self.record_quotes += skipped


class _NotUtf8(ValueError):
    pass


def _csv_cells(reader: Iterator[list[str]], lines: _CsvLines) -> Iterator[list[str] | str]:
    """Yield the cells of each non-blank CSV record, or the reason it cannot be read."""
    while True:
        lines.start_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (RecordTooLong, _NotUtf8, csv.Error) as exc:
            yield str(exc)
            continue
        if cells and cells != [""]:
            yield cells


def _check_header(cells: list[str] | str | None) -> list[str]:
    if cells is None:
        raise FileError("file is empty")
    if isinstance(cells, str):
        raise FileError(f"CSV header: {cells}")
    names = [cell.strip() for cell in cells]
    problems = [f"column {i} has no name" for i, name in enumerate(names, start=1) if not name]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f"duplicate column {jsontext.show(name)}")
        seen.add(name)
    unknown = [jsontext.show(name) for name in names if name and name not in FIELDS]
    if unknown:
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    missing = [f'"{name}"' for name in REQUIRED_FIELDS if name not in seen]
    if missing:
        problems.append(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )
    if problems:
        raise FileError(f"CSV header: {'; '.join(problems)}")
    return names


def iter_csv(
    fileobj: IO[bytes],
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    limits: FieldLimits = DEFAULT_LIMITS,
) -> Iterator[Result]:
    """Yield one result per CSV data record; the header is not a row, data rows count from 1.

    Blank records are skipped and not counted. Whole-file problems, including a header with
    unknown, duplicate or missing columns, raise FileError before any row is yielded.
    """
    # csv's field limit is process-wide; raising it is safe because LineSource bounds every record.
    if csv.field_size_limit() < max_record_bytes:
        csv.field_size_limit(max_record_bytes)
    lines = _CsvLines(LineSource(fileobj, max_record_bytes))
    records = _csv_cells(csv.reader(lines, strict=True), lines)
    header = _check_header(next(records, None))
    validator = RecordValidator(limits, text=True)
    row = 0
    for row, cells in enumerate(records, start=1):
        if isinstance(cells, str):
            yield [RowError(row, None, cells)]
        elif len(cells) != len(header):
            reason = f"has {len(cells)} cells, but the header has {len(header)} columns"
            yield [RowError(row, None, reason)]
        else:
            yield validator.validate(dict(zip(header, cells, strict=True)), row)
    if row == 0:
        raise FileError("file has a header but no rows")
