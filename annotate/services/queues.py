"""Creating and changing queues: items, settings, rubric version and recounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, IntegerField, Value
from django.db.models.functions import Greatest

from annotate.errors import QueueNotOpen
from annotate.models import Queue, QueueItem, QueueOrder, QueueStatus
from annotate.models.queues import new_seed
from annotate.services.counters import queue_recount
from annotate.services.queues_order import Entry, served_order
from annotate.services.queues_state import queue_writable_check
from annotate.services.reviewers import queue_set_reviewers
from llmops_core.errors import DomainError
from llmops_core.models import ModelOutput, Project, RubricVersion
from llmops_core.services.audit import audit_record
from llmops_core.services.reports import report_request_on_queue_close

MAX_SEED = 2**31 - 1
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
    "order",
    "seed",
}


def _check_order(order: str, seed: int | None) -> None:
    if order not in QueueOrder.values:
        raise DomainError(f'field "order": "{order}" is not one of {", ".join(QueueOrder.values)}')
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise DomainError(f'field "seed": {seed} is outside 0-{MAX_SEED}')


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
    gold_every: int = 10,
    order: str = QueueOrder.RANDOM,
    seed: int | None = None,
    reviewers: Sequence[User] = (),
    output_ids: Iterable[int] = (),
    created_by: User | None = None,
) -> Queue:
    """Create a queue in ``project`` rated with ``rubric_version``, holding ``output_ids``.

    The items are served in ``order``, shuffled by ``seed`` (a fresh one if None).
    """
    if rubric_version.rubric.project_id != project.pk:
        raise DomainError("the rubric belongs to another project")
    _check_overlap(overlap, max_overlap)
    _check_order(order, seed)
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
        gold_every=gold_every,
        order=order,
        seed=new_seed() if seed is None else seed,
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
        after={
            "name": name,
            "overlap": overlap,
            "items": added,
            "order": queue.order,
            "seed": queue.seed,
        },
    )
    return queue


def _entries(queue: Queue, ids: list[int]) -> list[Entry]:
    """Return the outputs ``ids`` not yet in the queue, in the given order, checked in chunks."""
    entries: list[Entry] = []
    for start in range(0, len(ids), ADD_BATCH):
        chunk = ids[start : start + ADD_BATCH]
        rows = {
            row[0]: row
            for row in ModelOutput.objects.filter(project=queue.project, pk__in=chunk).values_list(
                "pk", "input_hash", "prompt_version_id", "model_name"
            )
        }
        missing = [i for i in chunk if i not in rows]
        if missing:
            raise DomainError(f"outputs not in project {queue.project.slug}: {missing[:10]}")
        present = set(queue.items.filter(output_id__in=chunk).values_list("output_id", flat=True))
        entries.extend(
            Entry(output_id=i, input_key=rows[i][1], arm=(rows[i][2], rows[i][3]))
            for i in chunk
            if i not in present
        )
    return entries


def _entries_of(ids: list[int]) -> list[Entry]:
    """Return the outputs ``ids`` as entries, in the given order."""
    rows: dict[int, tuple[Any, ...]] = {}
    for start in range(0, len(ids), ADD_BATCH):
        found = ModelOutput.objects.filter(pk__in=ids[start : start + ADD_BATCH])
        rows.update(
            (row[0], row)
            for row in found.values_list("pk", "input_hash", "prompt_version_id", "model_name")
        )
    return [Entry(output_id=i, input_key=rows[i][1], arm=(rows[i][2], rows[i][3])) for i in ids]


def _last_entry(queue: Queue) -> tuple[int, Entry | None]:
    """Return the queue's highest position and its item as an ``Entry`` (0, None if empty)."""
    last = (
        queue.items.order_by("-position", "-id")
        .values_list(
            "position",
            "output_id",
            "output__input_hash",
            "output__prompt_version_id",
            "output__model_name",
        )
        .first()
    )
    if last is None:
        return 0, None
    return last[0], Entry(output_id=last[1], input_key=last[2], arm=(last[3], last[4]))


@transaction.atomic
def queue_add_outputs(*, queue: Queue, output_ids: Iterable[int]) -> int:
    """Add outputs to the queue in its served order; ones already in it are skipped.

    Return how many were added. The new items are placed after the queue's last item, in the
    queue's order (``annotate.services.queues_order``), so claims keep serving by position.
    """
    if queue.is_archived:
        raise QueueNotOpen(f'queue "{queue.name}" is archived: unarchive and reopen it first')
    if queue.status == QueueStatus.CLOSED:
        raise QueueNotOpen(f'queue "{queue.name}" is closed: reopen it to add outputs')
    if queue.sampling:
        raise DomainError(
            f'queue "{queue.name}" is a calibration sample: an output added by hand has no '
            "known inclusion probability; create a new calibration queue instead"
        )
    Queue.objects.select_for_update().filter(pk=queue.pk).first()
    entries = _entries(queue, list(dict.fromkeys(output_ids)))
    top, after = _last_entry(queue)
    ordered = served_order(entries, order=queue.order, seed=queue.seed, after=after)
    for start in range(0, len(ordered), ADD_BATCH):
        QueueItem.objects.bulk_create(
            QueueItem(
                queue=queue, output_id=oid, position=top + 1 + n, target_reviews=queue.overlap
            )
            for n, oid in enumerate(ordered[start : start + ADD_BATCH], start=start)
        )
    added = len(ordered)
    Queue.objects.filter(pk=queue.pk).update(item_count=F("item_count") + added)
    queue.refresh_from_db(fields=["item_count"])
    if added >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics keep "next item" on its index; autovacuum would take a minute or so.
        transaction.on_commit(_analyze_items)
    return added


def _analyze_items() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE annotate_queueitem")


def _check_overlap_drop(queue: Queue, before: int) -> None:
    """Refuse an overlap that leaves an item wanting fewer reviews than it already has."""
    shift = queue.overlap - before
    if shift >= 0:
        return
    worst = (
        QueueItem.objects.filter(queue=queue, is_gold=False, pinned=False)
        .annotate(excess=F("done_count") + F("leased_count") - F("target_reviews"))
        .filter(excess__gt=shift)
        .order_by("-excess", "position")
        .values_list("pk", "done_count", "leased_count", "excess")
        .first()
    )
    if worst is not None:
        item_id, done, leased, excess = worst
        lowest = before + excess
        raise DomainError(
            f'field "overlap": {queue.overlap} is below what item {item_id} already has '
            f"({done} reviews and {leased} open leases); the lowest overlap now is {lowest}"
        )


def _reposition(queue: Queue) -> None:
    """Serve the queue's items in its (new) order and seed: only before any reviewing."""
    if queue.review_count or queue.items.filter(leased_count__gt=0).exists():
        raise DomainError(
            f'queue "{queue.name}" has reviews or open leases: its order and seed are fixed now'
        )
    ids = list(queue.items.order_by("position", "id").values_list("output_id", flat=True))
    entries = _entries_of(ids)
    ordered = served_order(entries, order=queue.order, seed=queue.seed)
    positions = {oid: n for n, oid in enumerate(ordered, start=1)}
    items = list(queue.items.only("pk", "output_id"))
    for item in items:
        item.position = positions[item.output_id]
    QueueItem.objects.bulk_update(items, ["position"], batch_size=ADD_BATCH)


def _shift_targets(queue: Queue, shift: int) -> None:
    """Shift every pool item's target by ``shift``, keeping extra reviewers adaptive overlap
    asked for (``_check_overlap_drop`` keeps it above the reviews and leases it has)."""
    QueueItem.objects.filter(queue=queue, is_gold=False, pinned=False).update(
        target_reviews=Greatest(
            F("target_reviews") + shift,
            F("done_count") + F("leased_count"),
            Value(1),
            output_field=IntegerField(),
        )
    )
    queue_recount(queue=queue)


@transaction.atomic
def queue_update(*, queue: Queue, changes: Mapping[str, Any], actor: User | None = None) -> Queue:
    """Change a queue's settings; a new overlap applies to the items still in the common pool.

    An archived queue is read-only. A lower overlap is refused while some item already has
    more reviews (and leases) than it would want; the order and seed change only before the
    first review, and the items are placed again.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(f"these queue fields cannot be changed: {', '.join(sorted(unknown))}")
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    queue_writable_check(queue=queue)
    before = {name: getattr(queue, name) for name in changes}
    if queue.sampling and changes.get("seed", queue.seed) != queue.seed:
        raise DomainError(
            f'field "seed": queue "{queue.name}" is a calibration sample and its seed is the '
            "seed of its draw, which stays recorded"
        )
    for name, value in changes.items():
        setattr(queue, name, value)
    _check_overlap(queue.overlap, queue.max_overlap)
    _check_order(queue.order, queue.seed)
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
    if "overlap" in changes:
        _check_overlap_drop(queue, before["overlap"])
    queue.save(update_fields=list(changes))
    if any(name in changes and changes[name] != before[name] for name in ("order", "seed")):
        _reposition(queue)
    if "overlap" in changes and changes["overlap"] != before["overlap"]:
        _shift_targets(queue, queue.overlap - before["overlap"])
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
