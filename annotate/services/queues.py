"""Creating queues and adding outputs to them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max

from annotate.models import Queue, QueueItem, QueueStatus
from llmops_core.errors import DomainError
from llmops_core.models import Membership, ModelOutput, Project, RubricVersion
from llmops_core.services.audit import audit_record

ADD_BATCH = 2000


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
    reviewers: Sequence[AbstractBaseUser] = (),
    created_by: AbstractBaseUser | None = None,
) -> Queue:
    """Create a queue in ``project`` rated with ``rubric_version``."""
    if rubric_version.rubric.project_id != project.pk:
        raise DomainError("the rubric belongs to another project")
    if overlap < 1:
        raise DomainError(f'field "overlap": {overlap} must be at least 1')
    if max_overlap is not None and max_overlap < overlap:
        raise DomainError(f'field "max_overlap": {max_overlap} is below the overlap {overlap}')
    if Queue.objects.filter(project=project, name=name).exists():
        raise DomainError(f'project "{project.slug}" already has a queue named "{name}"')
    queue = Queue.objects.create(
        project=project, name=name, rubric_version=rubric_version, overlap=overlap,
        max_overlap=max_overlap, disagreement_threshold=disagreement_threshold, blind=blind,
        guidelines=guidelines, lease_seconds=lease_seconds, created_by=created_by,
    )
    if reviewers:
        queue_set_reviewers(queue=queue, reviewers=reviewers)
    audit_record(actor=created_by, action="queue.create", obj=queue, project=project,
                 after={"name": name, "overlap": overlap})
    return queue


def queue_set_reviewers(*, queue: Queue, reviewers: Sequence[AbstractBaseUser]) -> None:
    """Assign ``reviewers`` to the queue; each must be a member of its project."""
    member_ids = set(
        Membership.objects.filter(project=queue.project, user__in=reviewers).values_list(
            "user_id", flat=True
        )
    )
    outsiders = [r.get_username() for r in reviewers if r.pk not in member_ids]
    if outsiders:
        raise DomainError(f"not members of {queue.project.slug}: {', '.join(outsiders)}")
    queue.reviewers.set(reviewers)


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
            QueueItem(queue=queue, output_id=oid, position=position + n,
                      target_reviews=queue.overlap)
            for n, oid in enumerate(new)
        )
        position += len(new)
        added += len(new)
    Queue.objects.filter(pk=queue.pk).update(item_count=F("item_count") + added)
    queue.refresh_from_db(fields=["item_count"])
    return added
