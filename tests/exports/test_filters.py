"""Each export filter narrows what is exported, and bad filters are refused by name."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from annotate.models import Annotation
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_create
from annotate.services.submit import annotation_submit
from llmops_core.errors import DomainError, NotAllowed
from llmops_core.models import Project, Role
from llmops_core.services.exports import ExportRun, export_spec_build
from tests.exports.builders import RatedProject
from tests.exports.conftest import Export

pytestmark = pytest.mark.django_db


def outputs(export: Export, kind: str = "consensus", **filters: Any) -> set[str]:
    _, outcome = export(kind, "jsonl", **filters)
    return {row["external_id"] for row in ExportRun(outcome.run.spec).rows()}


def test_queue_filter(export: Export, rated: RatedProject) -> None:
    second = queue_create(
        project=rated.project,
        name="Second look",
        overlap=1,
        reviewers=rated.reviewers[:1],
        rubric_version=rated.queue.rubric_version,
        output_ids=[rated.outputs["v2-q1"].pk],
    )
    claim = assignment_claim_next(queue=second, reviewer=rated.reviewers[0])
    assert claim.assignment is not None
    item = claim.assignment.item
    item.queue = second
    annotation_submit(
        item=item,
        reviewer=rated.reviewers[0],
        client_token=uuid.uuid4(),
        scores={"fluency": 1, "relevance": 1, "factuality": 1},
    )
    _, outcome = export("ratings", "jsonl", queue_ids=[second.pk])
    found = list(ExportRun(outcome.run.spec).rows())
    assert {(r["queue"], r["external_id"]) for r in found} == {("Second look", "v2-q1")}
    assert len(found) == 3
    assert len(outputs(export, queue_ids=[rated.queue.pk])) == 8


def test_prompt_version_filter(export: Export, rated: RatedProject) -> None:
    assert outputs(export, prompt_version_ids=[rated.versions[1].pk]) == {
        f"v2-q{i}" for i in range(4)
    }


def test_date_filters(export: Export, rated: RatedProject) -> None:
    old = dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC)
    Annotation.objects.filter(reviewer=rated.reviewers[0]).update(created_at=old)
    older = list(ExportRun(export("ratings", "jsonl", until="2020-01-01")[1].run.spec).rows())
    newer = list(ExportRun(export("ratings", "jsonl", since="2020-01-02")[1].run.spec).rows())
    assert len(older) == 8 * 3 and {r["created_at"] for r in older} == {old}  # that whole day
    assert len(newer) == 8 * 3 * 3 - 3 - len(older) and min(r["created_at"] for r in newer) > old


def test_min_ratings_min_agreement_and_exclude_flagged(export: Export) -> None:
    assert outputs(export, min_ratings=3) == {f"v{v}-q{i}" for v in (1, 2) for i in range(4)} - {
        "v1-q3"
    }
    assert outputs(export, min_agreement=0.9) == {"v1-q0", "v1-q1", "v2-q3"}
    assert "v2-q2" not in outputs(export, exclude_flagged=True)
    assert "v2-q2" in outputs(export)
    ratings = outputs(export, "ratings", exclude_flagged=True, min_ratings=3)
    assert ratings == outputs(export, min_ratings=3) - {"v2-q2"}


def test_filters_are_recorded_with_why_outputs_were_left_out(export: Export) -> None:
    _, outcome = export("consensus", "jsonl", min_ratings=3, exclude_flagged=True)
    stats = outcome.run.stats
    assert (stats.outputs_read, stats.outputs) == (8, 6)
    assert stats.excluded == {"flagged": 1, "min_ratings": 1}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"queue_ids": [999_999]}, 'filter "queue_ids": 999999 not in this project'),
        ({"prompt_version_ids": ["x"]}, 'filter "prompt_version_ids"'),
        ({"since": "yesterday"}, "filter \"since\": 'yesterday' is not an ISO date or time"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, 'filter "until": must be later'),
        ({"min_ratings": 0}, 'filter "min_ratings": 0 is outside at least 1'),
        ({"min_agreement": 1.5}, 'filter "min_agreement": 1.5 is outside 0-1'),
        ({"min_margin": -1}, 'filter "min_margin": -1 is outside at least 0'),
        ({"rule": "loudness"}, "filter \"rule\": 'loudness' is not a rule"),
        ({"colour": "red"}, "unknown filter(s): colour"),
        ({"exclude_flagged": "maybe"}, "filter \"exclude_flagged\": 'maybe' is not true or false"),
        ({"sft_threshold": "nan"}, "filter \"sft_threshold\": 'nan' is not a finite number"),
    ],
)
def test_bad_filters_are_refused_naming_the_filter(
    project: Project, filters: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        export_spec_build(
            project=project, kind="consensus", fmt="csv", filters=filters, role=Role.LEAD
        )
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.LEAD, False), (Role.ADMIN, True), (None, True)]
)
def test_only_admins_and_the_cli_may_ask_for_real_names(
    project: Project, role: str | None, allowed: bool
) -> None:
    if allowed:
        spec = export_spec_build(
            project=project, kind="ratings", fmt="csv", real_names=True, role=role
        )
        assert spec.real_names
    else:
        with pytest.raises(NotAllowed, match="admins only"):
            export_spec_build(
                project=project, kind="ratings", fmt="csv", real_names=True, role=role
            )
