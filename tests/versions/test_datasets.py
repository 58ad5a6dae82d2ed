"""Datasets of inputs: reading JSONL/CSV with row errors, versions by content, the demo seed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops_core.errors import DomainError
from llmops_core.hashing import content_hash
from llmops_core.models import Dataset, Project, Report, ReportKind
from llmops_core.services.datasets import (
    DEMO_DATASET,
    dataset_create,
    dataset_parse,
    versions_demo_seed,
)

pytestmark = pytest.mark.django_db


def jsonl(*rows: Any) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_jsonl_rows_are_variables_messages_or_text() -> None:
    rows = dataset_parse(
        filename="d.jsonl",
        content=jsonl(
            {"question": "Why?", "product": "Notes"},
            {"messages": [{"role": "user", "content": "Hi"}]},
            {"input": "plain text"},
            "also text",
        )
        + b"\n\n",
    )
    assert rows == [
        {"question": "Why?", "product": "Notes"},
        [{"role": "user", "content": "Hi"}],
        "plain text",
        "also text",
    ]


def test_csv_header_names_the_variables() -> None:
    rows = dataset_parse(filename="d.csv", content=b"\xef\xbb\xbfquestion,product\nWhy?,Notes\n")
    assert rows == [{"question": "Why?", "product": "Notes"}]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.jsonl", b'{"q": 1}\n{bad\n', "row 2: not JSON"),
        ("d.jsonl", jsonl({"messages": [{"role": "robot", "content": "x"}]}), "row 1: message 0"),
        ("d.jsonl", jsonl(3), "row 1: an input is text"),
        ("d.jsonl", b"\n\n", "holds no inputs"),
        ("d.csv", b"q,p\n1\n", "row 2: 1 cells, the header has 2"),
        ("d.csv", b"q,\n1,2\n", "must name every column"),
        ("d.jsonl", b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_files_are_refused_naming_the_row(name: str, content: bytes, message: str) -> None:
    with pytest.raises(DomainError) as exc:
        dataset_parse(filename=name, content=content)
    assert message in str(exc.value)


def test_versions_follow_content(project: Project, lead: Any) -> None:
    first, created = dataset_create(
        project=project, name="qs", inputs=[{"q": "a"}], created_by=lead
    )
    again, created_again = dataset_create(project=project, name="qs", inputs=[{"q": "a"}])
    second, _ = dataset_create(project=project, name="qs", inputs=[{"q": "a"}, {"q": "b"}])
    assert created and not created_again and again.pk == first.pk
    assert (first.version, second.version, second.row_count) == (1, 2, 2)
    row = second.rows.get(index=1)
    assert row.content_hash == content_hash({"q": "b"})
    with pytest.raises(DomainError, match='field "name"'):
        dataset_create(project=project, name="no spaces", inputs=[{"q": "a"}])


def test_demo_seed_is_idempotent(project: Project) -> None:
    first = versions_demo_seed(project=project)
    second = versions_demo_seed(project=project)
    assert first["gate_created"] and not second["gate_created"]
    assert Dataset.objects.get(project=project, name=DEMO_DATASET).row_count == 60
    assert first["reports_requested"] == 0  # no outputs in this project


def test_demo_seed_queues_scorecards_and_comparisons_once(
    project: Project, pair: dict[str, Any]
) -> None:
    assert versions_demo_seed(project=project)["reports_requested"] == 3
    assert versions_demo_seed(project=project)["reports_requested"] == 0
    kinds = sorted(Report.objects.values_list("kind", flat=True))
    assert kinds == [ReportKind.SCORECARD, ReportKind.SCORECARD, ReportKind.VERSION_COMPARISON]
