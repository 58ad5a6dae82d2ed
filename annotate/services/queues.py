"""Creating and changing queues: items, settings, rubric version and recounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, IntegerField, Max, Value
from django.db.models.functions import Greatest

from annotate.models import Queue, QueueItem, QueueStatus
from annotate.services.counters import queue_recount
from annotate.services.reviewers import queue_set_reviewers
from llmops_core.errors import DomainError
from llmops_core.models import ModelOutput, Project, RubricVersion
from llmops_core.services.audit import audit_record
from llmops_core.services.reports import report_request_on_queue_close

ADD_BATCH = 2000
ANALYZE_AFTER = 5000
EDITABLE_FIELDS = {
    "name",
    "status",
    "guidelines",
    "blind",
    "lease_seconds",
    "overlap",
    "max_overlap",
    "disagreement_threshold",
    "gold_every",
}


def _check_overlap(overlap: int, max_overlap: int | None) -> None:
    if overlap < 1:
        raise DomainError(f'field "overlap": {overlap} must be at least 1')
    if max_overlap is not None and max_overlap < overlap:
        raise DomainError(f'field "max_overlap": {max_overlap} is below the overlap {overlap}')


@transaction.atomic
def queue_create(
    *,
    project: Project,
    name: str,
    rubric_version: RubricVersion,
    overlap: int = 3,
    max_overlap: int | None = None,
    disagreement_threshold: int | None = None,
    blind: bool = True,
    guidelines: str = "",
    lease_seconds: int = 900,
    reviewers: Sequence[User] = (),
    output_ids: Iterable[int] = (),
    created_by: User | None = None,
) -> Queue:
    """Create a queue in ``project`` rated with ``rubric_version``, holding ``output_ids``."""
    if rubric_version.rubric.project_id != project.pk:
        raise DomainError("the rubric belongs to another project")
    _check_overlap(overlap, max_overlap)
    if Queue.objects.filter(project=project, name=name).exists():
        raise DomainError(f'project "{project.slug}" already has a queue named "{name}"')
    queue = Queue.objects.create(
        project=project,
        name=name,
        rubric_version=rubric_version,
        overlap=overlap,
        max_overlap=max_overlap,
        disagreement_threshold=disagreement_threshold,
        blind=blind,
        guidelines=guidelines,
        lease_seconds=lease_seconds,
        created_by=created_by,
    )
    if reviewers:
        queue_set_reviewers(queue=queue, reviewers=reviewers, actor=created_by)
    added = queue_add_outputs(queue=queue, output_ids=output_ids)
    audit_record(
        actor=created_by,
        action="queue.create",
        obj=queue,
        project=project,
        after={"name": name, "overlap": overlap, "items": added},
    )
    return queue


@transaction.atomic
def queue_add_outputs(*, queue: Queue, output_ids: Iterable[int]) -> int:
    """Add outputs to the queue in order; outputs already in it are skipped. Return how many."""
    if queue.status == QueueStatus.CLOSED:
        raise DomainError(f'queue "{queue.name}" is closed')
    Queue.objects.select_for_update().filter(pk=queue.pk).first()
    position = (queue.items.aggregate(m=Max("position"))["m"] or 0) + 1
    added = 0
    ids = list(dict.fromkeys(output_ids))
    for start in range(0, len(ids), ADD_BATCH):
        chunk = ids[start : start + ADD_BATCH]
        valid = set(
            ModelOutput.objects.filter(project=queue.project, pk__in=chunk).values_list(
                "pk", flat=True
            )
        )
        missing = [i for i in chunk if i not in valid]
        if missing:
            raise DomainError(f"outputs not in project {queue.project.slug}: {missing[:10]}")
        present = set(queue.items.filter(output_id__in=chunk).values_list("output_id", flat=True))
        new = [i for i in chunk if i not in present]
        QueueItem.objects.bulk_create(
            QueueItem(
                queue=queue, output_id=oid, position=position + n, target_reviews=queue.overlap
            )
            for n, oid in enumerate(new)
        )
        position += len(new)
        added += len(new)
    Queue.objects.filter(pk=queue.pk).update(item_count=F("item_count") + added)
    queue.refresh_from_db(fields=["item_count"])
    if added >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics keep "next item" on its index; autovacuum would take a minute or so.
        transaction.on_commit(_analyze_items)
    return added


def _analyze_items() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_queueitem")


@transaction.atomic
def queue_update(*, queue: Queue, changes: Mapping[str, Any], actor: User | None = None) -> Queue:
    """Change a queue's settings; a new overlap applies to the items still in the common pool."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(f"these queue fields cannot be changed: {', '.join(sorted(unknown))}")
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    before = {name: getattr(queue, name) for name in changes}
    for name, value in changes.items():
        setattr(queue, name, value)
    _check_overlap(queue.overlap, queue.max_overlap)
    if queue.status not in QueueStatus.values:
        raise DomainError(
            f'field "status": "{queue.status}" is not one of {", ".join(QueueStatus.values)}'
        )
    if (
        "name" in changes
        and Queue.objects.filter(project_id=queue.project_id, name=queue.name)
        .exclude(pk=queue.pk)
        .exists()
    ):
        raise DomainError(f'the project already has a queue named "{queue.name}"')
    queue.save(update_fields=list(changes))
    if "overlap" in changes and changes["overlap"] != before["overlap"]:
        # Shift every pool item's target by the change, keeping extra reviewers that adaptive
        # overlap asked for, and never below the reviews and leases an item already has.
        shift = queue.overlap - before["overlap"]
        QueueItem.objects.filter(queue=queue, is_gold=False, pinned=False).update(
            target_reviews=Greatest(
                F("target_reviews") + shift,
                F("done_count") + F("leased_count"),
                Value(1),
                output_field=IntegerField(),
            )
        )
        queue_recount(queue=queue)
    if changes.get("status") == QueueStatus.CLOSED and before.get("status") != QueueStatus.CLOSED:
        # A closed queue gets its final agreement report (enqueued when this commits).
        report_request_on_queue_close(queue_id=queue.pk)
    audit_record(
        actor=actor,
        action="queue.update",
        obj=queue,
        project=queue.project,
        before=before,
        after=dict(changes),
    )
    return queue


@transaction.atomic
def queue_change_rubric_version(
    *, queue: Queue, rubric_version: RubricVersion, actor: User | None = None
) -> Queue:
    """Rate the queue's items with ``rubric_version`` from now on.

    Past annotations keep the version they were made under; disagreement checks and
    adjudication compare ratings of one version only, and a page still showing the old version
    has its next submission refused.
    """
    if rubric_version.rubric.project_id != queue.project_id:
        raise DomainError("the rubric belongs to another project")
    before = queue.rubric_version_id
    Queue.objects.filter(pk=queue.pk).update(rubric_version=rubric_version)
    queue.rubric_version = rubric_version
    audit_record(
        actor=actor,
        action="queue.rubric_version",
        obj=queue,
        project=queue.project,
        before={"rubric_version": before},
        after={"rubric_version": rubric_version.pk},
    )
    return queue
