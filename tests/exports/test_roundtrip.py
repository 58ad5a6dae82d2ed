"""Every kind in every format loads back with pandas and Hugging Face datasets, and reruns
reproduce the file byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from llmops_core.models import Project
from llmops_core.services.exports import (
    ExportRun,
    datasheet_build,
    export_spec_build,
    export_write,
)
from tests.exports.conftest import Export
from tests.exports.helpers import canonical_rows, read_hf, read_pandas

pytestmark = pytest.mark.django_db
KINDS = ["ratings", "consensus", "preferences", "sft"]
FORMATS = ["jsonl", "csv", "parquet"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_round_trips_through_pandas_and_datasets(
    export: Export, kind: str, fmt: str, tmp_path: Path
) -> None:
    path, outcome = export(kind, fmt)
    columns = outcome.run.columns
    expected = canonical_rows(ExportRun(outcome.run.spec).rows(), columns)
    assert expected, f"the {kind} export of the test project should not be empty"
    assert outcome.result.rows == len(expected)

    frame = read_pandas(path, fmt)
    assert list(frame.columns) == [c.name for c in columns]
    csv = fmt == "csv"
    assert canonical_rows(frame.to_dict("records"), columns, csv=csv) == expected

    records = read_hf(path, fmt, tmp_path / "hf-cache")
    assert canonical_rows(records, columns, csv=csv) == expected


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_rerunning_an_export_on_unchanged_data_is_byte_identical(
    export: Export, kind: str, fmt: str
) -> None:
    first, one = export(kind, fmt)
    second, two = export(kind, fmt, block_ratings=7)  # other block boundaries, same bytes
    assert first.read_bytes() == second.read_bytes()
    assert one.result == two.result
    assert one.result.sha256 == hashlib.sha256(first.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_project_without_ratings_exports_empty_files_that_still_load(
    project: Project, fmt: str, tmp_path: Path
) -> None:
    for kind in KINDS:
        spec = export_spec_build(project=project, kind=kind, fmt=fmt, role=None)
        path = tmp_path / f"{kind}.{fmt}"
        with path.open("wb") as handle:
            outcome = export_write(spec, handle)
        assert outcome.result.rows == 0
        sheet = datasheet_build(outcome.run, outcome.result, file_name=path.name)
        assert "The export is empty: no rating matched the filters." in sheet["caveats"]
        if fmt != "jsonl":  # JSON Lines has no header: an empty file is zero rows
            assert list(read_pandas(path, fmt).columns) == [c.name for c in outcome.run.columns]
