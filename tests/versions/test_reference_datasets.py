"""Dataset rows with reference answers: read from JSONL, stored per row, versioned by content."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops_core.errors import DomainError
from llmops_core.hashing import content_hash
from llmops_core.models import DatasetRow, Project
from llmops_core.services.datasets import dataset_create, dataset_parse

pytestmark = pytest.mark.django_db


def jsonl(*rows: Any) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_jsonl_rows_may_carry_a_reference_answer(project: Project) -> None:
    inputs = dataset_parse(
        filename="d.jsonl",
        content=jsonl(
            {"input": {"question": "Why?"}, "reference": "Because."},
            {"input": "plain", "reference": ""},
            {"question": "How?"},
        ),
    )
    dataset, created = dataset_create(project=project, name="qa", inputs=inputs)
    assert created
    rows = list(DatasetRow.objects.filter(dataset=dataset).order_by("index"))
    assert [(r.input, r.reference) for r in rows] == [
        ({"question": "Why?"}, "Because."),
        ("plain", ""),
        ({"question": "How?"}, ""),
    ]
    assert rows[0].content_hash == content_hash({"question": "Why?"})


def test_a_changed_reference_makes_a_new_version_and_no_reference_keeps_the_old_hash(
    project: Project,
) -> None:
    plain, _ = dataset_create(project=project, name="qa", inputs=["a", "b"])
    assert plain.content_hash == content_hash(["a", "b"])
    first, _ = dataset_create(
        project=project, name="qa", inputs=[{"input": "a", "reference": "A"}, "b"]
    )
    again, created = dataset_create(
        project=project, name="qa", inputs=[{"input": "a", "reference": "A"}, "b"]
    )
    other, _ = dataset_create(
        project=project, name="qa", inputs=[{"input": "a", "reference": "A!"}, "b"]
    )
    assert (plain.version, first.version, other.version) == (1, 2, 3)
    assert again.pk == first.pk and not created


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"input": "q", "reference": 3}, 'row 1, field "reference": a reference answer is text'),
        ({"input": "q", "reference": "a\x00b"}, 'row 1, field "reference"'),
        ({"input": "", "reference": "a"}, "row 1: the input is empty"),
    ],
)
def test_a_bad_reference_is_refused_naming_row_and_field(row: Any, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        dataset_parse(filename="d.jsonl", content=jsonl(row))
