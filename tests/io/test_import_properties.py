"""Property tests: whatever the bytes, readers only yield rows or row errors, or raise FileError."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmops_core.io.imports import (
    FIELDS,
    FileError,
    ImportRow,
    Result,
    RowError,
    iter_csv,
    iter_json_file,
    iter_jsonl,
    validate_record,
)
from llmops_core.text import normalize_newlines

Reader = Callable[..., Iterator[Result]]
READERS: list[Reader] = [iter_jsonl, iter_csv, iter_json_file]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=6,
)
field_names = st.sampled_from([*FIELDS, "colour", ""])
records = st.dictionaries(field_names, json_values, max_size=5)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["system", "user", "assistant", "tool", "bot"]),
            "content": json_values,
        }
    ),
    max_size=3,
)


def drain(reader: Reader, data: bytes, **kwargs: Any) -> list[Result]:
    """Read everything, checking the shape of each result; FileError ends the file cleanly."""
    results: list[Result] = []
    try:
        for result in reader(io.BytesIO(data), **kwargs):
            if isinstance(result, ImportRow):
                assert result.external_id.strip()
            else:
                assert result and all(isinstance(error, RowError) for error in result)
                assert len({error.row for error in result}) == 1
            results.append(result)
    except FileError as exc:
        assert str(exc)
    return results


def row_of(result: Result) -> int:
    return result.row if isinstance(result, ImportRow) else result[0].row


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400), limit=st.sampled_from([8, 64, 1 << 20]))
def test_arbitrary_bytes_never_crash_any_reader(data: bytes, limit: int) -> None:
    for reader in READERS:
        drain(reader, data, max_record_bytes=limit)


line_parts = st.one_of(
    records.map(lambda r: json.dumps(r).encode()),
    st.binary(max_size=40),
    st.sampled_from([b"", b"  ", b"\xef\xbb\xbf", b"{", b"[]", b'"x"', b"\xff\xfe", b"\r"]),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line_parts, max_size=8), limit=st.sampled_from([16, 200, 1 << 20]))
def test_jsonl_rows_are_increasing_line_numbers(lines: list[bytes], limit: int) -> None:
    data = b"\n".join(lines)
    results = drain(iter_jsonl, data, max_record_bytes=limit)
    rows = [row_of(result) for result in results]
    assert rows == sorted(set(rows))
    assert all(1 <= row <= data.count(b"\n") + 1 for row in rows)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(raw=records, row=st.integers(min_value=1, max_value=10**6), text=st.booleans())
def test_validate_record_never_raises(raw: dict[str, Any], row: int, text: bool) -> None:
    result = validate_record(raw, row, text=text)
    if isinstance(result, list):
        assert result and all(str(error).startswith(f"row {row}") for error in result)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(chat=messages)
def test_any_chat_is_accepted_or_rejected_cleanly(chat: list[dict[str, Any]]) -> None:
    result = validate_record({"external_id": "a", "output": "o", "input": chat}, 1)
    valid = bool(chat) and all(
        m["role"] != "bot" and isinstance(m["content"], str) and "\x00" not in m["content"]
        for m in chat
    )
    assert isinstance(result, ImportRow) == valid


cell_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(cell_text, cell_text), min_size=1, max_size=8))
def test_csv_cells_round_trip_through_the_reader(rows: list[tuple[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_id", "output", "model", "input"])
    writer.writerows((f"id-{i}", output, model, "i") for i, (output, model) in enumerate(rows))
    results = drain(iter_csv, buffer.getvalue().encode())
    # Outputs are stored with "\n" line breaks; other cells come back as written.
    expected = [(normalize_newlines(output), model) for output, model in rows]
    assert [(r.output, r.model or "") for r in results if isinstance(r, ImportRow)] == expected
