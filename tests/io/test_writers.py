"""One contract for every export writer: same body, run against JSONL, CSV and Parquet."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from llmops_core.io.writers import (
    ColumnType,
    CsvWriter,
    ExportWriter,
    WriteResult,
    neutralise,
    write_export,
    writer_for,
)

COLUMNS: list[tuple[str, str]] = [
    ("external_id", "string"),
    ("score", "int"),
    ("mean", "float"),
    ("agreed", "bool"),
    ("rated_at", "timestamp"),
    ("metadata", "json"),
    ("messages", "messages"),
]
TYPES = {name: ColumnType(kind) for name, kind in COLUMNS}
PARIS = timezone(timedelta(hours=2))
ROWS: list[dict[str, Any]] = [
    {
        "external_id": "out-1",
        "score": 5,
        "mean": 4.25,
        "agreed": True,
        "rated_at": datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
        "metadata": {"tags": ["a", "b"], "lang": "en"},
        "messages": [{"role": "user", "content": "Capital of France?"}],
    },
    {
        "external_id": "ünï-çødé 日本語 🙂 עברית",
        "score": -3,
        "mean": 1e-7,
        "agreed": False,
        "rated_at": datetime(2024, 5, 1, 14, 0, tzinfo=PARIS),
        "metadata": {"lang": "日本語 🙂", "tags": ["\u2028", 'quote " and, comma']},
        "messages": [
            {"role": "system", "content": "Réponds\nen français."},
            {"role": "assistant", "content": 'Multi-line,\r\n"quoted" text'},
        ],
    },
    {"external_id": "only-id"},
    {
        "external_id": "out-4",
        "score": 0,
        "mean": 2,
        "agreed": None,
        "rated_at": None,
        "metadata": None,
        "messages": [],
    },
]


def export(
    writer_class: type[ExportWriter], path: Path, rows: list[dict[str, Any]], batch: int = 2
) -> WriteResult:
    with path.open("wb") as handle:
        batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
        return write_export(writer_class, handle, COLUMNS, batches)


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def canonical(value: Any, kind: ColumnType) -> Any:
    """Reduce a value read back by pandas or datasets to plain Python for comparison."""
    if is_missing(value):
        return None
    if kind is ColumnType.TIMESTAMP:
        stamp = pd.Timestamp(value)
        return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp).to_pydatetime()
    if kind in (ColumnType.JSON, ColumnType.MESSAGES) and isinstance(value, str):
        value = json.loads(value)
    if kind is ColumnType.MESSAGES:
        return [dict(message) for message in value]
    if kind is ColumnType.INT:
        return int(value)
    if kind is ColumnType.FLOAT:
        return float(value)
    if kind is ColumnType.BOOL:
        return bool(value)
    return value


def expected_rows() -> list[dict[str, Any]]:
    return [{name: canonical(row.get(name), TYPES[name]) for name in TYPES} for row in ROWS]


def canonical_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: canonical(record[name], TYPES[name]) for name in TYPES} for record in records]


def read_pandas(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "jsonl":
        return pd.read_json(path, lines=True)
    if fmt == "csv":
        return pd.read_csv(path)
    return pd.read_parquet(path)


def read_hf(path: Path, fmt: str, cache: Path) -> list[dict[str, Any]]:
    datasets = pytest.importorskip("datasets")
    builder = {"jsonl": "json"}.get(fmt, fmt)
    dataset = datasets.load_dataset(
        builder, data_files=str(path), cache_dir=str(cache), split="train"
    )
    return dataset.to_list()


def test_round_trip_with_pandas(writer_class: type[ExportWriter], tmp_path: Path) -> None:
    path = tmp_path / f"export{writer_class.extension}"
    export(writer_class, path, ROWS)
    frame = read_pandas(path, writer_class.format)
    assert list(frame.columns) == [name for name, _ in COLUMNS]
    assert canonical_rows(frame.to_dict("records")) == expected_rows()


def test_round_trip_with_hugging_face_datasets(
    writer_class: type[ExportWriter], tmp_path: Path
) -> None:
    path = tmp_path / f"export{writer_class.extension}"
    export(writer_class, path, ROWS)
    records = read_hf(path, writer_class.format, tmp_path / "hf-cache")
    assert canonical_rows(records) == expected_rows()


def test_result_reports_rows_bytes_and_the_sha256_of_the_file(
    writer_class: type[ExportWriter], tmp_path: Path
) -> None:
    path = tmp_path / f"export{writer_class.extension}"
    result = export(writer_class, path, ROWS)
    data = path.read_bytes()
    assert result == WriteResult(
        rows=len(ROWS), sha256=hashlib.sha256(data).hexdigest(), bytes=len(data)
    )


def test_re_runs_are_byte_identical_whatever_the_batching(
    writer_class: type[ExportWriter], tmp_path: Path
) -> None:
    many = [
        {**row, "external_id": f"{row['external_id']}-{i}"} for i in range(3000) for row in ROWS
    ]
    first = export(writer_class, tmp_path / "a", many, batch=1000)
    second = export(writer_class, tmp_path / "b", many, batch=1000)
    rebatched = export(writer_class, tmp_path / "c", many, batch=7)
    shuffled_keys = [dict(reversed(list(row.items()))) for row in many]
    reordered = export(writer_class, tmp_path / "d", shuffled_keys, batch=1000)
    assert first == second == rebatched == reordered
    assert (tmp_path / "a").read_bytes() == (tmp_path / "c").read_bytes()


def test_empty_export_still_describes_the_columns(
    writer_class: type[ExportWriter], tmp_path: Path
) -> None:
    path = tmp_path / f"empty{writer_class.extension}"
    result = export(writer_class, path, [])
    assert result.rows == 0 and result.bytes == path.stat().st_size
    if writer_class.format == "jsonl":
        assert path.read_bytes() == b""  # JSON Lines has no header: an empty file is zero rows
        return
    frame = read_pandas(path, writer_class.format)
    assert list(frame.columns) == [name for name, _ in COLUMNS] and len(frame) == 0
    if writer_class.format == "parquet":
        schema = pq.read_schema(path)
        assert [str(schema.field(name).type) for name, _ in COLUMNS] == [
            "string",
            "int64",
            "double",
            "bool",
            "timestamp[us, tz=UTC]",
            "string",
            "list<element: struct<role: string, content: string>>",
        ]


def test_none_and_missing_keys_are_null(writer_class: type[ExportWriter], tmp_path: Path) -> None:
    path = tmp_path / f"nulls{writer_class.extension}"
    export(writer_class, path, [{"external_id": "a", "score": None}, {"external_id": "b"}])
    frame = read_pandas(path, writer_class.format)
    for record in frame.to_dict("records"):
        assert all(is_missing(record[name]) for name in TYPES if name != "external_id")


def test_non_finite_floats_are_null(writer_class: type[ExportWriter], tmp_path: Path) -> None:
    path = tmp_path / f"nan{writer_class.extension}"
    export(
        writer_class,
        path,
        [{"external_id": "a", "mean": math.nan}, {"external_id": "b", "mean": math.inf}],
    )
    assert read_pandas(path, writer_class.format)["mean"].isna().all()


FORMULAS = ["=SUM(A1:A9)", "+1", "-1", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")']
# Spreadsheets skip leading whitespace and line breaks before deciding a cell is a formula.
HIDDEN_FORMULAS = ["\n=1+1", "\r\n=cmd|' /C calc'!A0", " =1", "  +1", "\n\n@SUM(1)", "\u3000-1"]


def test_formula_injection_is_neutralised_in_csv_only(
    writer_class: type[ExportWriter], tmp_path: Path
) -> None:
    path = tmp_path / f"formula{writer_class.extension}"
    export(
        writer_class, path, [{"external_id": text, "score": -3, "mean": -0.5} for text in FORMULAS]
    )
    if writer_class is CsvWriter:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        assert [row[0] for row in rows] == ["'" + text for text in FORMULAS]
        assert {(row[1], row[2]) for row in rows} == {("-3", "-0.5")}  # numbers stay numbers
    else:
        frame = read_pandas(path, writer_class.format)
        assert list(frame["external_id"]) == FORMULAS


@pytest.mark.parametrize("text", HIDDEN_FORMULAS)
def test_a_formula_behind_whitespace_or_a_line_break_is_neutralised(
    text: str, tmp_path: Path
) -> None:
    assert neutralise(text) == "'" + text
    path = tmp_path / "hidden.csv"
    export(CsvWriter, path, [{"external_id": text, "score": 1, "mean": 1.0}])
    with path.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle))[1][0] == "'" + text


@pytest.mark.parametrize("text", ["plain", " leading space", "\u00a0x", "a=b", "", "1-2"])
def test_text_that_is_no_formula_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_csv_header_names_are_neutralised_too(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    write_export(CsvWriter, buffer, [("=x", "string"), ("ok", "int")], [[{"=x": "a", "ok": 1}]])
    assert buffer.getvalue() == b"'=x,ok\r\na,1\r\n"


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        (
            {"external_id": 1},
            TypeError,
            'export row 1, column "external_id": expected a str, got int',
        ),
        ({"score": True}, TypeError, 'export row 1, column "score": expected an int, got bool'),
        ({"score": 1.5}, TypeError, 'export row 1, column "score": expected an int, got float'),
        ({"rated_at": datetime(2024, 1, 1)}, TypeError, "expected an aware datetime, got datetime"),
        (
            {"metadata": {1: "x"}},
            TypeError,
            "expected a JSON value (dict keys must be str), got dict",
        ),
        ({"metadata": {"x": {1, 2}}}, TypeError, "expected a JSON value"),
        (
            {"messages": [{"role": "user"}]},
            TypeError,
            'expected a list of {"role": str, "content": str}',
        ),
        ({"colour": "red"}, ValueError, "export row 1: unknown column(s) colour"),
    ],
)
def test_rows_that_do_not_fit_the_columns_are_refused(
    writer_class: type[ExportWriter], row: dict[str, Any], error: type[Exception], message: str
) -> None:
    writer = writer_class(io.BytesIO(), COLUMNS)
    with pytest.raises(error) as caught:
        writer.write_batch([row])
    assert message in str(caught.value)


def test_a_closed_writer_refuses_rows_and_close_is_idempotent(
    writer_class: type[ExportWriter],
) -> None:
    writer = writer_class(io.BytesIO(), COLUMNS)
    with writer:
        writer.write_batch(ROWS[:1])
    assert writer.close() == writer.result
    with pytest.raises(ValueError, match="closed"):
        writer.write_batch(ROWS[:1])


def test_the_writer_leaves_the_caller_s_file_open(writer_class: type[ExportWriter]) -> None:
    handle = io.BytesIO()
    write_export(writer_class, handle, COLUMNS, [ROWS])
    assert not handle.closed


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([], "at least one column"),
        ([("a", "string"), ("a", "int")], "duplicate column 'a'"),
        ([("a", "decimal")], "column 'a': unknown type 'decimal'"),
        ([("", "string")], "must be a non-empty string"),
    ],
)
def test_bad_column_specs_are_refused(
    writer_class: type[ExportWriter], columns: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        writer_class(io.BytesIO(), columns)


def test_writer_for_refuses_unknown_formats() -> None:
    with pytest.raises(
        ValueError, match="unknown export format 'xlsx'; use one of jsonl, csv, parquet"
    ):
        writer_for("xlsx")
