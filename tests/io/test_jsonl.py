"""iter_jsonl: one object per line, row N = line N, bad lines become row errors."""

from __future__ import annotations

import io
import json

import pytest

from llmops_core.io.imports import FieldLimits, FileError, ImportRow, iter_jsonl
from tests.io.helpers import bio, describe


def line(external_id: str, **extra: object) -> str:
    return json.dumps({"external_id": external_id, "output": "o", "input": "i", **extra}) + "\n"


def test_good_file_yields_rows_with_line_numbers() -> None:
    data = line("a") + line("b", input={"q": 1}, tokens_in=3) + line("c")
    results = list(iter_jsonl(bio(data)))
    assert describe(results) == ["ok 1 a", "ok 2 b", "ok 3 c"]
    assert isinstance(results[1], ImportRow) and results[1].tokens_in == 3


def test_blank_lines_are_skipped_but_counted() -> None:
    data = "\n" + line("a") + "   \n\r\n" + line("b")
    assert describe(iter_jsonl(bio(data))) == ["ok 2 a", "ok 5 b"]


def test_crlf_line_ends_and_no_final_newline() -> None:
    data = line("a").replace("\n", "\r\n") + line("b").rstrip("\n")
    assert describe(iter_jsonl(bio(data))) == ["ok 1 a", "ok 2 b"]


def test_byte_order_mark_is_ignored() -> None:
    assert describe(iter_jsonl(bio(b"\xef\xbb\xbf" + line("a").encode()))) == ["ok 1 a"]


def test_non_utf8_line_is_a_row_error_and_reading_goes_on() -> None:
    data = line("a").encode() + b'{"external_id": "\xff"}\n' + line("c").encode()
    assert describe(iter_jsonl(bio(data))) == [
        "ok 1 a",
        "row 2: not valid UTF-8 (byte 0xff at position 18)",
        "ok 3 c",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"external_id": "a",',
            "row 1: invalid JSON: Expecting property name enclosed in double quotes at column 21",
        ),
        ("[1, 2]", "row 1: expected a JSON object, got a list"),
        ('"just a string"', 'row 1: expected a JSON object, got "just a string"'),
        ('{"a": NaN}', "row 1: invalid JSON: NaN is not allowed"),
        ('{"a": 1, "a": 2}', 'row 1: invalid JSON: duplicate key "a"'),
        ('{"a": 1} {"b": 2}', "row 1: invalid JSON: Extra data at column 10"),
    ],
)
def test_unreadable_lines(text: str, message: str) -> None:
    assert describe(iter_jsonl(bio(text + "\n"))) == [message]


def test_validation_errors_carry_the_line_number() -> None:
    data = line("a") + "\n" + line("b", tokens_in="abc", colour="red")
    assert describe(iter_jsonl(bio(data))) == [
        "ok 1 a",
        'row 3, field "colour": unknown field',
        'row 3, field "tokens_in": "abc" is not an integer',
    ]


def test_overlong_line_is_skipped_without_losing_the_next_line() -> None:
    long = line("big", output="x" * 5000)
    data = line("a") + long + line("c")
    assert describe(iter_jsonl(bio(data), max_record_bytes=1000)) == [
        "ok 1 a",
        "row 2: line is longer than 1000 bytes",
        "ok 3 c",
    ]


def test_line_exactly_at_the_limit_is_accepted() -> None:
    text = line("a", output="x" * 100).rstrip("\n")
    assert describe(iter_jsonl(bio(text + "\n"), max_record_bytes=len(text))) == ["ok 1 a"]
    assert describe(iter_jsonl(bio(text + "\n"), max_record_bytes=len(text) - 1)) == [
        f"row 1: line is longer than {len(text) - 1} bytes"
    ]


def test_deeply_nested_json_is_a_row_error_not_a_crash() -> None:
    bomb = "[" * 100_000 + "]" * 100_000
    nested = json.dumps(
        {"external_id": "n", "output": "o", "input": "i", "metadata": {"a": [[[[[]]]]]}}
    )
    data = bomb + "\n" + '{"metadata": ' + bomb + "}\n" + nested + "\n"
    results = describe(iter_jsonl(bio(data), max_record_bytes=1 << 20))
    assert results[0] == "row 1: invalid JSON: nested deeper than 20 levels"
    assert results[1] == "row 2: invalid JSON: nested deeper than 20 levels"
    assert results[2] == "ok 3 n"


def test_moderate_nesting_over_the_limit_names_the_field() -> None:
    value = json.dumps(
        {"external_id": "a", "output": "o", "input": "i", "metadata": {"a": [[[1]]]}}
    )
    assert describe(iter_jsonl(bio(value), limits=FieldLimits(max_depth=3))) == [
        'row 1, field "metadata": nested deeper than 3 levels'
    ]


def test_escaped_nul_is_caught_in_json_text() -> None:
    data = '{"external_id": "a", "output": "x\\u0000y", "input": {"k\\u0000": "v"}}\n'
    assert describe(iter_jsonl(bio(data))) == [
        'row 1, field "output": contains a NUL character',
        'row 1, field "input": contains a NUL character',
    ]


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file_is_a_file_error(data: bytes) -> None:
    with pytest.raises(FileError, match="file is empty"):
        list(iter_jsonl(bio(data)))


def test_text_mode_file_is_a_file_error() -> None:
    with pytest.raises(FileError, match="binary mode"):
        list(iter_jsonl(io.StringIO(line("a"))))  # type: ignore[arg-type]
