"""iter_csv: a header then data records counted from 1, JSON in nested cells."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from llmops_core.io.imports import FileError, ImportRow, iter_csv
from tests.io.helpers import bio, describe


def csv_bytes(*rows: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


HEADER = ["external_id", "output", "input", "tokens_in", "cost", "metadata"]


def test_good_file_with_nested_json_cells() -> None:
    data = csv_bytes(
        HEADER,
        ["a", "Paris", "Capital of France?", "12", "0.0012", ""],
        ["b", "multi\nline, with comma", '{"country": "France"}', "", "", '{"run": 1}'],
        ["c", "ok", '[{"role": "user", "content": "hi"}]', "", "", ""],
    )
    results = list(iter_csv(bio(data)))
    assert describe(results) == ["ok 1 a", "ok 2 b", "ok 3 c"]
    a, b, c = results
    assert isinstance(a, ImportRow) and a.tokens_in == 12 and a.cost == Decimal("0.0012")
    assert isinstance(b, ImportRow) and b.input == {"country": "France"}
    assert b.output == "multi\nline, with comma" and b.metadata == {"run": 1}
    assert isinstance(c, ImportRow) and c.input_kind == "messages"


def test_header_is_not_a_row_and_blank_records_are_not_counted() -> None:
    data = b"external_id,output,input\r\n\r\na,o,i\r\n\r\nb,o,i\r\n"
    assert describe(iter_csv(bio(data))) == ["ok 1 a", "ok 2 b"]


def test_bom_and_padded_header_names() -> None:
    data = b"\xef\xbb\xbf external_id , output,input\na,o,i\n"
    assert describe(iter_csv(bio(data))) == ["ok 1 a"]


def test_bad_cells_report_every_field() -> None:
    data = csv_bytes(HEADER, ["", "o", "[oops", "12.5", "abc", "[1]"])
    assert describe(iter_csv(bio(data))) == [
        'row 1, field "external_id": must not be blank',
        'row 1, field "input": invalid JSON: Expecting value at column 2 '
        '(a cell starting with "{" or "[" is JSON)',
        'row 1, field "tokens_in": "12.5" is not an integer',
        'row 1, field "cost": "abc" is not a number',
        'row 1, field "metadata": a list is not an object',
    ]


def test_wrong_number_of_cells_is_a_row_error() -> None:
    data = b"external_id,output,input\na,o\nb,o,i,extra\nc,o,i\n"
    assert describe(iter_csv(bio(data))) == [
        "row 1: has 2 cells, but the header has 3 columns",
        "row 2: has 4 cells, but the header has 3 columns",
        "ok 3 c",
    ]


def test_non_utf8_record_is_a_row_error() -> None:
    data = b"external_id,output,input\na,\xe9t\xe9,i\nb,o,i\n"
    assert describe(iter_csv(bio(data))) == [
        "row 1: not valid UTF-8 (byte 0xe9 at position 3)",
        "ok 2 b",
    ]


def test_malformed_quoting_is_a_row_error() -> None:
    data = b'external_id,output,input\na,"o"x,i\nb,o,i\n'
    assert describe(iter_csv(bio(data))) == ["row 1: ',' expected after '\"'", "ok 2 b"]


def test_unterminated_quote_at_the_end_is_a_row_error() -> None:
    data = b'external_id,output,input\na,o,i\nb,"never closed\n'
    assert describe(iter_csv(bio(data))) == ["ok 1 a", "row 2: unexpected end of data"]


def test_nul_byte_is_a_row_error() -> None:
    data = b"external_id,output,input\na,o\x00,i\nb,o,i\n"
    assert describe(iter_csv(bio(data))) == [
        'row 1, field "output": contains a NUL character',
        "ok 2 b",
    ]


def test_overlong_line_is_skipped() -> None:
    data = b"external_id,output,input\na,o,i\nb," + b"x" * 5000 + b",i\nc,o,i\n"
    assert describe(iter_csv(bio(data), max_record_bytes=1000)) == [
        "ok 1 a",
        "row 2: line is longer than 1000 bytes",
        "ok 3 c",
    ]


def test_overlong_multiline_record_is_skipped_to_its_end() -> None:
    cell = "\n".join(['y"' * 50] * 30)
    data = csv_bytes(["external_id", "output", "input"], ["a", cell, "i"], ["b", "o", "i"])
    assert describe(iter_csv(bio(data), max_record_bytes=1000)) == [
        "row 1: record is longer than 1000 bytes",
        "ok 2 b",
    ]


def test_overlong_line_that_opens_a_quoted_cell_is_skipped_to_its_end() -> None:
    data = b'external_id,output,input\na,"' + b"x" * 5000 + b'\nmore\n",i\nb,o,i\n'
    assert describe(iter_csv(bio(data), max_record_bytes=1000)) == [
        "row 1: line is longer than 1000 bytes",
        "ok 2 b",
    ]


def test_fields_larger_than_csv_default_limit_are_read() -> None:
    big = "z" * 200_000  # csv's own default field limit is 131072
    data = csv_bytes(["external_id", "output", "input"], ["a", big, "i"])
    (row,) = iter_csv(bio(data))
    assert isinstance(row, ImportRow) and row.output == big


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"\r\n\r\n", "file is empty"),
        (b"external_id,output,input\r\n", "file has a header but no rows"),
        (
            b"external_id,output,input,colour,size\na,o,i,r,s\n",
            'CSV header: unknown columns "colour", "size"',
        ),
        (b"external_id,output,input,output\n", 'CSV header: duplicate column "output"'),
        (b"external_id,output,,input\n", "CSV header: column 3 has no name"),
        (b"external_id,output\n", 'CSV header: missing required column "input"'),
        (
            b"id,text\n",
            'CSV header: unknown columns "id", "text"; missing required columns '
            '"external_id", "output", "input"',
        ),
        (b'"external_id,output\n', "CSV header: unexpected end of data"),
        (
            b"\xffexternal_id,output,input\n",
            "CSV header: not valid UTF-8 (byte 0xff at position 1)",
        ),
    ],
)
def test_whole_file_problems_raise_file_error(data: bytes, message: str) -> None:
    with pytest.raises(FileError) as caught:
        list(iter_csv(bio(data)))
    assert str(caught.value) == message
