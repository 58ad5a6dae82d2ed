"""Adjudication: a lead or adjudicator records the final scores of a contested item."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotate.models import Adjudication, Annotation, QueueItem
from annotate.services.scoring import comment_validate, scores_validate
from llmops_core.models import Criterion
from llmops_core.services.audit import audit_record


def item_rubric_version_id(item: QueueItem) -> int:
    """Return the rubric version most of the item's annotations use (the queue's if none)."""
    versions = list(
        Annotation.objects.filter(item=item).values_list("rubric_version_id", flat=True)
    )
    if not versions:
        return item.queue.rubric_version_id
    return max(set(versions), key=lambda v: (versions.count(v), v))


@transaction.atomic
def adjudication_record(
    *,
    item: QueueItem,
    adjudicator: User,
    scores: Mapping[str, Any],
    note: str = "",
) -> Adjudication:
    """Record (or change) the final scores of ``item``; every criterion needs one.

    The scores follow the rubric version of the ratings being adjudicated. A change keeps the
    previous values in the audit log.
    """
    item = QueueItem.objects.select_for_update().select_related("queue__project").get(pk=item.pk)
    version_id = item_rubric_version_id(item)
    criteria = list(Criterion.objects.filter(rubric_version_id=version_id))
    clean = scores_validate(criteria=criteria, scores=scores, require_all=True)
    final = {name: score for name, (_, score) in clean.items()}
    note = comment_validate(note)
    existing = Adjudication.objects.filter(item=item).first()
    before = None
    if existing is None:
        adjudication = Adjudication.objects.create(
            item=item,
            adjudicator=adjudicator,
            rubric_version_id=version_id,
            scores=final,
            note=note,
        )
    else:
        before = {
            "scores": existing.scores,
            "note": existing.note,
            "adjudicator": existing.adjudicator_id,
        }
        adjudication = existing
        adjudication.adjudicator, adjudication.scores, adjudication.note = adjudicator, final, note
        adjudication.rubric_version_id = version_id
        adjudication.save(
            update_fields=["adjudicator", "scores", "note", "rubric_version", "updated_at"]
        )
    audit_record(
        actor=adjudicator,
        action="adjudication.record",
        obj=adjudication,
        project=item.queue.project,
        before=before,
        after={"scores": final, "note": note},
    )
    return adjudication
