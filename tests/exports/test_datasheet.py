"""The datasheet: what was rated, agreement per criterion, rubric, versions and caveats."""

from __future__ import annotations

import numpy as np
import pytest

from llmops_core.metrics.agreement import krippendorff_alpha
from llmops_core.services.exports import datasheet_build, datasheet_json, datasheet_markdown
from tests.exports.builders import CRITERIA, SCORES, RatedProject
from tests.exports.conftest import Export

pytestmark = pytest.mark.django_db


def sheet_of(export: Export, kind: str, fmt: str = "jsonl", **filters: object) -> dict:
    path, outcome = export(kind, fmt, **filters)
    return datasheet_build(outcome.run, outcome.result, file_name=path.name)


@pytest.mark.parametrize("criterion", CRITERIA)
def test_agreement_is_krippendorffs_alpha_of_the_exported_ratings(
    export: Export, criterion: str
) -> None:
    position = CRITERIA.index(criterion)
    matrix = np.array(
        [
            [np.nan if scores[r] is None else scores[r][position] for scores in SCORES.values()]
            for r in range(3)
        ]
    )
    criteria = sheet_of(export, "ratings")["agreement"]["criteria"]
    assert [c["criterion"] for c in criteria] == list(CRITERIA)  # the rubric's order
    figures = criteria[position]
    for level in ("ordinal", "interval"):
        expected = krippendorff_alpha(matrix, level, value_domain=[1, 2, 3, 4, 5])
        assert figures[f"alpha_{level}"] == pytest.approx(expected, abs=1e-6)
    assert figures["ratings"] == 23 and figures["reviewers"] == 3
    assert figures["items_rated_twice_or_more"] == 8


def test_the_datasheet_records_the_snapshot(export: Export, rated: RatedProject) -> None:
    path, outcome = export("consensus", "csv", min_ratings=3)
    sheet = datasheet_build(outcome.run, outcome.result, file_name=path.name)
    assert sheet["file"] == {
        "name": path.name,
        "rows": 7,
        "bytes": path.stat().st_size,
        "sha256": outcome.result.sha256,
    }
    assert sheet["app_version"] == "0.1.0"
    assert sheet["filters"]["min_ratings"] == 3 and "rule" not in sheet["filters"]
    counts = sheet["counts"]
    assert (counts["outputs"], counts["reviewers"], counts["outputs_read"]) == (7, 3, 8)
    assert counts["outputs_excluded"] == {"flagged": 0, "min_ratings": 1, "min_agreement": 0}
    assert counts["outputs_with_judge_scores"] == 1 and counts["outputs_with_adjudication"] == 1
    assert sheet["reviewers_per_output"] == [{"reviewers": 3, "outputs": 7}]
    assert [(v["prompt"], v["version"], v["outputs"]) for v in sheet["prompt_versions"]] == [
        ("answer", 1, 3),
        ("answer", 2, 4),
    ]
    criteria = sheet["rubrics"][0]["criteria"]
    assert [c["name"] for c in criteria] == list(CRITERIA)
    assert criteria[0]["anchors"]["1"] and criteria[0]["scale"] == [1, 5]
    assert [c["name"] for c in sheet["columns"]][:2] == ["output_id", "external_id"]
    assert any("Text cells starting with =" in note for note in sheet["caveats"])


def test_preference_datasheets_say_where_pairs_come_from(export: Export) -> None:
    sheet = sheet_of(export, "preferences")
    assert sheet["counts"]["pairs"] == {"score_gap": 3, "pairwise": 0}
    assert sheet["filters"]["rule"] == "mean" and sheet["filters"]["min_margin"] == 0.5
    assert any(
        "No human pairwise preference (A vs B) matched the filters" in note
        for note in sheet["caveats"]
    )


def test_the_markdown_card_covers_every_section(export: Export) -> None:
    text = datasheet_markdown(sheet_of(export, "sft"))
    for heading in (
        "## Filters",
        "## Queues",
        "## Agreement per criterion",
        "## Rubric",
        "## Prompt versions included",
        "## Known caveats",
        "## Columns",
        "## Definitions",
    ):
        assert heading in text
    assert "answer v1" in text and "Question: {{ question }}" in text
    assert "**fluency** (1-5)" in text


def test_the_datasheet_is_reproducible_too(export: Export) -> None:
    texts = []
    for _ in range(2):
        _, outcome = export("consensus", "parquet")
        texts.append(
            datasheet_json(
                datasheet_build(outcome.run, outcome.result, file_name="consensus.parquet")
            )
        )
    assert texts[0] == texts[1]
