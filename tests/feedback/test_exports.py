"""End-user feedback in exports: counts and the feedback list, read back with pandas and pyarrow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops_core.services.exports import datasheet_build
from llmops_core.services.feedback import feedback_submit
from tests.exports.builders import RatedProject
from tests.exports.conftest import Export, export, rated, reviewers  # noqa: F401 (fixtures)
from tests.exports.helpers import read_pandas

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example")'


@pytest.fixture
def with_feedback(rated: RatedProject) -> RatedProject:  # noqa: F811
    outputs = rated.outputs
    feedback_submit(
        project=rated.project,
        source="api",
        rows=[
            {"output_id": outputs["v1-q0"].pk, "value": "up", "end_user_id": "u-1"},
            {"output_id": outputs["v1-q0"].pk, "value": "down", "comment": HOSTILE},
            {"output_id": outputs["v2-q1"].pk, "correction": "Refunds take 5 days."},
            {
                "output_id": outputs["v2-q1"].pk,
                "type": "score",
                "value": 2,
                "scale_min": 1,
                "scale_max": 5,
                "timestamp": "2026-03-04T05:06:07Z",
            },
        ],
    )
    return rated


def _by_external(frame: Any) -> dict[str, dict[str, Any]]:
    return {row["external_id"]: row for row in frame.to_dict("records")}


def _listed(value: Any) -> list[dict[str, Any]]:
    """Return the feedback column as plain dicts, whatever the format stored it as."""
    if isinstance(value, str):
        value = json.loads(value)
    items = value.tolist() if hasattr(value, "tolist") else value
    return [{k: v for k, v in dict(item).items() if v is not None} for item in items]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_consensus_rows_carry_feedback_counts_and_the_feedback(
    export: Export,  # noqa: F811
    with_feedback: RatedProject,
    fmt: str,
) -> None:
    path, _ = export("consensus", fmt)
    rows = _by_external(read_pandas(path, fmt))
    q0, q1, quiet = rows["v1-q0"], rows["v2-q1"], rows["v1-q2"]
    assert (q0["feedback_n"], q0["feedback_up"], q0["feedback_down"]) == (2, 1, 1)
    assert (q1["feedback_n"], q1["feedback_up"], q1["feedback_down"]) == (2, 0, 0)
    assert (quiet["feedback_n"], quiet["feedback_down"]) == (0, 0)
    up, down = _listed(q0["feedback"])
    assert (up["kind"], up["thumb"], up["source"]) == ("thumbs", "up", "api")
    assert "end_user_id" not in up  # exports leave the workbench; it names a person
    assert down["thumb"] == "down" and down["comment"] == HOSTILE
    fix, score = _listed(q1["feedback"])
    assert fix["correction"] == "Refunds take 5 days."
    assert (score["score"], score["scale_min"], score["scale_max"]) == (2.0, 1.0, 5.0)
    assert score["given_at"].startswith("2026-03-04T05:06:07")
    assert _listed(quiet["feedback"]) == []


def test_parquet_keeps_the_counts_as_integers(
    export: Export,  # noqa: F811
    with_feedback: RatedProject,
) -> None:
    import pyarrow.parquet as pq

    path, _ = export("consensus", "parquet")
    schema = pq.read_schema(path)
    for name in ("feedback_n", "feedback_up", "feedback_down"):
        assert str(schema.field(name).type) == "int64"


def test_rating_rows_carry_the_counts_of_their_output(
    export: Export,  # noqa: F811
    with_feedback: RatedProject,
) -> None:
    path, _ = export("ratings", "csv")
    frame = read_pandas(path, "csv")
    assert "feedback" not in frame.columns  # one list per rating would repeat it nine times
    q0 = frame[frame["external_id"] == "v1-q0"]
    assert len(q0) == 9 and set(q0["feedback_down"]) == {1} and set(q0["feedback_n"]) == {2}


def test_sft_rows_carry_feedback(
    export: Export,  # noqa: F811
    with_feedback: RatedProject,
) -> None:
    path, _ = export("sft", "jsonl", sft_threshold=4)
    rows = _by_external(read_pandas(path, "jsonl"))
    assert rows["v1-q0"]["feedback_down"] == 1 and len(rows["v1-q0"]["feedback"]) == 2


def test_the_datasheet_defines_the_feedback_columns(
    export: Export,  # noqa: F811
    with_feedback: RatedProject,
) -> None:
    path, outcome = export("consensus", "jsonl")
    sheet = datasheet_build(outcome.run, outcome.result, file_name=path.name)
    meanings = {d["column"]: d["meaning"] for d in sheet["definitions"]}
    assert meanings["feedback_down"] == "Of that feedback, thumbs down."
    assert "oldest first" in meanings["feedback"]
    assert {"name": "feedback", "type": "json"} in sheet["columns"]
