"""JSON arrays: posted to the API (already parsed) or uploaded as a file, plus format detection."""

from __future__ import annotations

import json

import pytest

from llmops_core.io.imports import (
    FileError,
    detect_format,
    iter_json_array,
    iter_json_file,
    iter_records,
)
from tests.io.helpers import bio, describe

GOOD = {"external_id": "a", "output": "o", "input": "i"}


def test_posted_array_rows_are_one_based_indexes() -> None:
    records = [GOOD, {**GOOD, "external_id": "b", "cost": 0.5}, {"output": 1}, "x"]
    assert describe(iter_json_array(records)) == [
        "ok 1 a",
        "ok 2 b",
        'row 3, field "external_id": required',
        'row 3, field "output": 1 is not a string',
        'row 3, field "input": required',
        'row 4: expected a JSON object, got "x"',
    ]


def test_posted_array_values_are_checked_like_parsed_json() -> None:
    records = [{**GOOD, "metadata": {1: "non-string key"}}, {**GOOD, "input": {"s": {1, 2}}}]
    assert describe(iter_json_array(records)) == [
        'row 1, field "metadata": has a key that is not a string (1)',
        'row 2, field "input": contains a set, which is not a JSON value',
    ]


def test_empty_posted_array_is_a_file_error() -> None:
    with pytest.raises(FileError, match="the array is empty"):
        list(iter_json_array([]))


def test_array_file_streams_elements() -> None:
    records = [{**GOOD, "external_id": f"r{i}", "output": "x" * 1000} for i in range(300)]
    data = "\ufeff" + json.dumps(records, indent=2)  # spans many 64 KiB reads
    assert describe(iter_json_file(bio(data))) == [f"ok {i + 1} r{i}" for i in range(300)]


def test_array_file_row_errors_and_an_overlong_element() -> None:
    records = [GOOD, {**GOOD, "external_id": "b", "output": "x" * 2000}, {"tokens_in": -1}, 7]
    assert describe(iter_json_file(bio(json.dumps(records)), max_record_bytes=1000)) == [
        "ok 1 a",
        "row 2: record is longer than 1000 characters",
        'row 3, field "external_id": required',
        'row 3, field "output": required',
        'row 3, field "input": required',
        'row 3, field "tokens_in": -1 is negative',
        "row 4: expected a JSON object, got 7",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"  \n", "file is empty"),
        (b"[]", "the array is empty"),
        (b'{"a": 1}', 'expected a JSON array starting with "["'),
        (
            b'[{"external_id": "a", "output": "o", "input": "i"}',
            'the JSON array is not closed with "]"',
        ),
        (
            b'[{"external_id": "a", "output": "o", "input": "i"} 5]',
            'row 1: expected "," or "]" after the element',
        ),
        (b'[{}, {"a": }]', "row 2: invalid JSON: Expecting value at character 7 of the element"),
        (b'[{"a": 1, "a": 2}]', 'row 1: invalid JSON: duplicate key "a"'),
        (b"[{}] trailing", "unexpected data after the JSON array"),
        (b"[" + b"[" * 5000 + b"]" * 5001, "row 1: nested deeper than 20 levels"),
        (b'[{"a": "\xff"}]', "not valid UTF-8 (byte 9 of the file)"),
    ],
)
def test_array_file_problems_raise_file_error(data: bytes, message: str) -> None:
    with pytest.raises(FileError) as caught:
        list(iter_json_file(bio(data)))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("filename", "head", "fmt"),
    [
        ("outputs.jsonl", b'{"a"', "jsonl"),
        ("outputs.NDJSON", b'{"a"', "jsonl"),
        ("outputs.csv", b"external_id,output", "csv"),
        ("outputs.json", b"\xef\xbb\xbf [\n{", "json"),
        ("outputs.json", b'{"external_id"', "jsonl"),
        ("upload", b"  [{", "json"),
        ("upload", b'{"a": 1}', "jsonl"),
        ("upload.txt", b"output,external_id,input\n", "csv"),
    ],
)
def test_detect_format(filename: str, head: bytes, fmt: str) -> None:
    assert detect_format(filename, head) == fmt


@pytest.mark.parametrize(
    ("filename", "head", "message"),
    [
        ("outputs.csv", b"", "file is empty"),
        ("outputs.jsonl.gz", b"\x1f\x8b\x08", "compressed files are not supported"),
        ("outputs.zip", b"PK\x03\x04", "compressed files are not supported"),
        ("notes.txt", b"hello", "cannot tell the format of 'notes.txt'"),
    ],
)
def test_detect_format_refuses(filename: str, head: bytes, message: str) -> None:
    with pytest.raises(FileError, match=message):
        detect_format(filename, head)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("jsonl", json.dumps(GOOD) + "\n"),
        ("csv", "external_id,output,input\na,o,i\n"),
        ("json", json.dumps([GOOD])),
    ],
)
def test_iter_records_dispatches_on_format(fmt: str, data: str) -> None:
    assert describe(iter_records(bio(data), fmt)) == ["ok 1 a"]


def test_iter_records_refuses_an_unknown_format() -> None:
    with pytest.raises(FileError, match="unknown format 'xml'; use one of jsonl, csv, json"):
        iter_records(bio(b"<a/>"), "xml")
