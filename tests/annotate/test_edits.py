"""Revisiting past work: edits keep their history; undo gives the item back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from annotate.errors import Conflict, NothingToUndo, QueueNotOpen
from annotate.models import Annotation, Assignment, QueueItem, QueueReviewer, RatingRevision
from annotate.services.adjudication import adjudication_record
from annotate.services.assignment import assignment_claim_next
from annotate.services.edits import annotation_edit, annotation_undo
from annotate.services.queues import queue_change_rubric_version, queue_update
from llmops_core.errors import DomainError, NotAllowed
from llmops_core.models import AuditEvent
from llmops_core.services.rubrics import CriterionSpec, rubric_version_create
from tests.annotate.helpers import SCORES, rate_next

pytestmark = pytest.mark.django_db


def test_edit_keeps_who_when_and_the_old_values(queue: Any, reviewers: list[Any]) -> None:
    annotation = rate_next(queue, reviewers[0], comment="first")
    annotation_edit(
        annotation=annotation,
        editor=reviewers[0],
        scores={**SCORES, "fluency": 2},
        comment="second thoughts",
    )
    annotation_edit(annotation=annotation, editor=reviewers[0], flags=["unsafe"])
    revisions = list(RatingRevision.objects.filter(annotation=annotation).order_by("id"))
    assert [r.changed_by for r in revisions] == [reviewers[0], reviewers[0]]
    assert revisions[0].before == {"scores": SCORES, "comment": "first", "flags": []}
    assert revisions[0].after["scores"]["fluency"] == 2
    assert revisions[1].before["comment"] == "second thoughts"
    assert revisions[1].after["flags"] == ["unsafe"]
    assert revisions[0].changed_at <= revisions[1].changed_at
    annotation.refresh_from_db()
    assert dict(annotation.ratings.values_list("criterion__name", "score"))["fluency"] == 2
    assert QueueItem.objects.get(pk=annotation.item_id).flag_count == 1
    assert QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0]).flagged_count == 1


def test_edit_without_changes_writes_no_revision(queue: Any, reviewers: list[Any]) -> None:
    annotation = rate_next(queue, reviewers[0])
    annotation_edit(annotation=annotation, editor=reviewers[0], scores=dict(SCORES))
    assert not RatingRevision.objects.exists()


def test_only_the_author_may_edit(queue: Any, reviewers: list[Any], lead: Any) -> None:
    annotation = rate_next(queue, reviewers[0])
    for other in (reviewers[1], lead):
        with pytest.raises(NotAllowed):
            annotation_edit(annotation=annotation, editor=other, comment="mine now")


def test_edits_stop_when_the_queue_closes(queue: Any, reviewers: list[Any]) -> None:
    annotation = rate_next(queue, reviewers[0])
    queue_update(queue=queue, changes={"status": "closed"})
    with pytest.raises(QueueNotOpen):
        annotation_edit(annotation=annotation, editor=reviewers[0], comment="late")


def test_edit_is_checked_against_the_annotations_own_rubric_version(
    queue: Any, reviewers: list[Any]
) -> None:
    annotation = rate_next(queue, reviewers[0])
    new, _ = rubric_version_create(
        rubric=queue.rubric_version.rubric, criteria=[CriterionSpec("tone", "Polite?")]
    )
    queue_change_rubric_version(queue=queue, rubric_version=new)
    with pytest.raises(DomainError, match='no criterion "tone"'):
        annotation_edit(annotation=annotation, editor=reviewers[0], scores={**SCORES, "tone": 3})
    annotation_edit(annotation=annotation, editor=reviewers[0], scores={**SCORES, "fluency": 1})
    annotation.refresh_from_db()
    assert annotation.rubric_version_id != new.pk


def test_undo_gives_the_item_back_with_the_previous_values(
    queue: Any, reviewers: list[Any]
) -> None:
    annotation = rate_next(queue, reviewers[0], comment="oops", flags=["pii"])
    item_id = annotation.item_id
    undo = annotation_undo(queue=queue, reviewer=reviewers[0])
    assert undo.assignment.item_id == item_id and undo.assignment.status == "active"
    assert undo.previous == {"scores": SCORES, "comment": "oops", "flags": ["pii"]}
    assert not Annotation.objects.exists()
    item = QueueItem.objects.get(pk=item_id)
    assert (item.done_count, item.leased_count, item.flag_count) == (0, 1, 0)
    membership = QueueReviewer.objects.get(queue=queue, reviewer=reviewers[0])
    assert (membership.done_count, membership.flagged_count) == (0, 0)
    assert AuditEvent.objects.filter(action="annotation.undo").get().before["comment"] == "oops"
    queue.refresh_from_db()
    assert assignment_claim_next(queue=queue, reviewer=reviewers[0]).assignment.item_id == item_id
    again = rate_next(queue, reviewers[0])
    assert again.item_id == item_id


def test_undo_takes_back_the_latest_submission_only(queue: Any, reviewers: list[Any]) -> None:
    first = rate_next(queue, reviewers[0])
    second = rate_next(queue, reviewers[0])
    assert annotation_undo(queue=queue, reviewer=reviewers[0]).assignment.item_id == second.item_id
    assert Annotation.objects.get().pk == first.pk


def test_nothing_to_undo(queue: Any, reviewers: list[Any]) -> None:
    with pytest.raises(NothingToUndo):
        annotation_undo(queue=queue, reviewer=reviewers[0])
    annotation = rate_next(queue, reviewers[0])
    Annotation.objects.filter(pk=annotation.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(NothingToUndo, match="30 minutes"):
        annotation_undo(queue=queue, reviewer=reviewers[0])


def test_adjudicated_item_cannot_be_undone(queue: Any, reviewers: list[Any], lead: Any) -> None:
    annotation = rate_next(queue, reviewers[0])
    adjudication_record(item=annotation.item, adjudicator=lead, scores=SCORES)
    with pytest.raises(Conflict, match="adjudicated"):
        annotation_undo(queue=queue, reviewer=reviewers[0])
    assert Assignment.objects.get(item=annotation.item).status == "submitted"
