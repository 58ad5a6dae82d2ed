"""Leases on queue items: claiming a reviewer's next item, renewing, releasing and expiring.

An item needs ``target_reviews`` reviews. ``done_count`` counts submitted annotations and
``leased_count`` the active leases; a claim takes a slot only while ``done + leased < target``,
and the database refuses any row where that sum goes past the target. The claim locks its
candidate row with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent reviewers
walk past each other's candidates instead of queueing behind them, and a row another claim has
just updated is re-checked against its new counters. SQLite serialises writers (every
transaction begins IMMEDIATE), which makes the same code correct there.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from annotate import sql
from annotate.errors import NotInQueue
from annotate.models import Assignment, AssignmentStatus, Queue, QueueItem, QueueReviewer
from annotate.models.queues import QueueStatus
from annotate.services.leases import lease_insert, leases_held
from annotate.services.pool import pool_take_id
from llmops_core.models import ModelOutput, PromptTemplate, PromptVersion

# Assignments that keep an item away from the same reviewer: held now, rated or skipped.
SEEN_STATUSES: tuple[str, str, str] = (
    AssignmentStatus.ACTIVE,
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.SKIPPED,
)
EXPIRE_BATCH = 500
EXPIRE_EVERY = timedelta(seconds=2)
LOCKED_RETRIES = (0.005, 0.02, 0.05)  # seconds between looks when every candidate is locked
# What the rating page shows of a claimed item, loaded with the claim itself (and no more:
# fewer columns and joins make the hot query cheaper to build, plan and read). What produced
# the output (prompt version, template) is only loaded for queues that are not blind.
PAGE_FIELDS = (
    "id",
    "queue_id",
    "output_id",
    "position",
    "target_reviews",
    "done_count",
    "leased_count",
    "is_gold",
    "pinned",
    "output__id",
    "output__input",
    "output__output_text",
    "output__model_name",
    "output__external_id",
    "output__prompt_version_id",
)
CONTEXT_FIELDS = (
    "output__prompt_version__id",
    "output__prompt_version__number",
    "output__prompt_version__template__id",
    "output__prompt_version__template__name",
)


def _part(model: type[Any], fields: tuple[str, ...], path: str) -> sql.Part:
    """Return ``model`` with the fields named under ``path`` in ``fields``, for ``sql.select``."""
    return (
        model,
        tuple(
            f.removeprefix(path)
            for f in fields
            if f.startswith(path) and "__" not in f.removeprefix(path)
        ),
    )


# The same fields as PAGE_FIELDS and CONTEXT_FIELDS, one model at a time.
ITEM_PART = _part(QueueItem, PAGE_FIELDS, "")
OUTPUT_PART = _part(ModelOutput, PAGE_FIELDS, "output__")
CONTEXT_PARTS = (
    _part(PromptVersion, CONTEXT_FIELDS, "output__prompt_version__"),
    _part(PromptTemplate, CONTEXT_FIELDS, "output__prompt_version__template__"),
)


def _page_item(queue: Queue, item_id: int) -> QueueItem:
    """Return item ``item_id`` with what the page shows of it: ``_for_page`` written in SQL."""
    parts: list[sql.Part] = [ITEM_PART, OUTPUT_PART]
    joins = f"INNER JOIN {ModelOutput._meta.db_table} o ON i.output_id = o.id "
    if not queue.blind:
        parts += CONTEXT_PARTS
        joins += (
            f"LEFT JOIN {PromptVersion._meta.db_table} v ON o.prompt_version_id = v.id "
            f"LEFT JOIN {PromptTemplate._meta.db_table} t ON v.template_id = t.id "
        )
    cols = ", ".join(sql.columns(m, a, names) for (m, names), a in zip(parts, "iovt", strict=False))
    found = sql.select(
        parts,
        f"SELECT {cols} FROM {QueueItem._meta.db_table} i {joins}WHERE i.id = %s",  # noqa: S608
        [item_id],
    )
    item, output, *context = found[0]
    assert isinstance(item, QueueItem) and isinstance(output, ModelOutput)
    if context:
        version, template = context
        if isinstance(version, PromptVersion):
            version.template = template  # type: ignore[assignment]
        output.prompt_version = version  # type: ignore[assignment]
    item.output = output
    return item


def _for_page(items: QuerySet[QueueItem], queue: Queue) -> QuerySet[QueueItem]:
    if queue.blind:
        return items.select_related("output").only(*PAGE_FIELDS)
    return items.select_related("output__prompt_version__template").only(
        *PAGE_FIELDS, *CONTEXT_FIELDS
    )


@dataclass(frozen=True)
class Claim:
    """The outcome of asking for the next item: a lease, or why there is none."""

    assignment: Assignment | None
    # "" with a lease; otherwise "done", "quota", "paused", "closed", or "busy" when the only
    # open items are being claimed by others this instant (ask again in a moment).
    reason: str = ""


def queue_reviewer_get(*, queue: Queue, reviewer: User) -> QueueReviewer:
    """Return the reviewer's membership of ``queue`` or raise ``NotInQueue``."""
    membership = QueueReviewer.objects.filter(queue=queue, reviewer=reviewer).first()
    if membership is None:
        raise NotInQueue(f'{reviewer.get_username()} is not a reviewer of queue "{queue.name}"')
    return membership


def _expire_stale(now: datetime) -> int:
    stale = sorted(
        Assignment.objects.filter(status=AssignmentStatus.ACTIVE, expires_at__lte=now).values_list(
            "id", "item_id"
        )[:EXPIRE_BATCH]
    )
    expired = 0
    for assignment_id, item_id in stale:
        # Conditional on the status, so two expirers never give the same slot back twice; in
        # id order, so two of them lock rows in the same order.
        if Assignment.objects.filter(pk=assignment_id, status=AssignmentStatus.ACTIVE).update(
            status=AssignmentStatus.EXPIRED, closed_at=now
        ):
            QueueItem.objects.filter(pk=item_id).update(leased_count=F("leased_count") - 1)
            expired += 1
    return expired


_last_expiry: list[datetime] = []


def _expire_stale_now_and_then(now: datetime) -> None:
    """Expire stale leases, at most once every ``EXPIRE_EVERY`` per process.

    A lease that ran out a moment ago keeps its slot for at most that much longer; the
    periodic task covers quiet times.
    """
    if _last_expiry and _last_expiry[0] <= now < _last_expiry[0] + EXPIRE_EVERY:
        return
    _expire_stale(now)
    _last_expiry[:] = [now]


@transaction.atomic
def assignment_expire_stale(*, now: datetime | None = None) -> int:
    """Mark leases past their time as expired and give their slots back; return how many."""
    return _expire_stale(now or timezone.now())


def _relax_durability() -> None:
    """Let PostgreSQL commit this transaction without waiting for its WAL flush.

    A lease is cheap: if the server crashed in the instant after the commit, the worst outcome
    is a lost lease, and the item goes back to the pool. Ratings are never written this way.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _open_items(queue: Queue, reviewer: User, *, lock: bool = True) -> QuerySet[QueueItem]:
    """Items of ``queue`` with a free slot that ``reviewer`` has not held, rated or skipped.

    On PostgreSQL the rows are locked (``lock``), skipping rows that other claims hold.
    """
    seen = Assignment.objects.filter(
        item=OuterRef("pk"), reviewer=reviewer, status__in=SEEN_STATUSES
    )
    items = (
        _for_page(QueueItem.objects.all(), queue)
        .filter(queue=queue, done_count__lt=F("target_reviews"))
        .filter(leased_count__lt=F("target_reviews") - F("done_count"))
        .filter(~Exists(seen))
    )
    if lock and connection.features.has_select_for_update_skip_locked:
        items = items.select_for_update(skip_locked=True, of=("self",))
    return items


def _locked_candidates(queue: Queue, reviewer: User) -> bool:
    """Return whether open items exist that the last pick skipped because they were locked."""
    if not connection.features.has_select_for_update_skip_locked:
        return False
    return (
        _open_items(queue, reviewer, lock=False)
        .filter(Q(pinned=False) | Q(pins__reviewer=reviewer))
        .exists()
    )


def _gold_due(queue: Queue, reviewer: User, membership: QueueReviewer) -> bool:
    """Return whether this claim should be a gold item: about one in ``gold_every``.

    Seeded by reviewer and progress, so a reload asks the same question, yet gold items do not
    come at a fixed, learnable interval.
    """
    if not queue.gold_count:
        return False
    seen = membership.done_count + membership.skipped_count
    return random.Random(f"{reviewer.pk}:{queue.pk}:{seen}").random() < 1 / queue.gold_every


def _pick(queue: Queue, reviewer: User, membership: QueueReviewer) -> QueueItem | None:
    """Take the best open item for the reviewer: count a lease on it and return it, or None."""
    item: QueueItem | None = None
    if membership.pin_count:
        pinned = _open_items(queue, reviewer).filter(pinned=True, pins__reviewer=reviewer)
        item = pinned.order_by("position", "id").first()
    if item is None and _gold_due(queue, reviewer, membership):
        item = _first_gold(queue, reviewer)
    if item is None:
        # The common case: one statement picks the item and counts the lease.
        item_id = pool_take_id(queue_id=queue.pk, reviewer_id=reviewer.pk, seen=SEEN_STATUSES)
        if item_id is not None:
            return _page_item(queue, item_id)
        if queue.gold_count:
            item = _first_gold(queue, reviewer)
    if item is not None:
        QueueItem.objects.filter(pk=item.pk).update(leased_count=F("leased_count") + 1)
        item.leased_count += 1
    return item


def _first_gold(queue: Queue, reviewer: User) -> QueueItem | None:
    return _open_items(queue, reviewer).filter(is_gold=True).order_by("position", "id").first()


@transaction.atomic
def assignment_claim_next(
    *,
    queue: Queue,
    reviewer: User,
    holding: Collection[int] = (),
    membership: QueueReviewer | None = None,
    now: datetime | None = None,
) -> Claim:
    """Lease and return the reviewer's next item.

    A lease the reviewer already holds comes back first (a reload shows the same item), except
    for items in ``holding``: the ones the rating page has on screen or prefetched. Otherwise the
    reviewer gets an item pinned to them, a gold item now and then, or the open item closest to
    completion, then in queue order. ``membership`` saves a query when the caller has it.
    """
    now = now or timezone.now()
    if membership is None or membership.queue_id != queue.pk:
        membership = queue_reviewer_get(queue=queue, reviewer=reviewer)
    if queue.status == QueueStatus.CLOSED:
        return Claim(None, "closed")
    mine = leases_held(queue_id=queue.pk, reviewer_id=reviewer.pk, now=now)
    held_id = next((pk for pk, item_id in mine if item_id not in holding), None)
    if held_id is not None:
        held = Assignment.objects.select_related("item__output__prompt_version__template").get(
            pk=held_id
        )
        held.expires_at = now + timedelta(seconds=queue.lease_seconds)
        held.save(update_fields=["expires_at"])
        return Claim(held)
    if queue.status == QueueStatus.PAUSED:
        return Claim(None, "paused")
    if membership.quota is not None and membership.done_count + len(mine) >= membership.quota:
        return Claim(None, "quota")
    _relax_durability()
    _expire_stale_now_and_then(now)
    item = _pick(queue, reviewer, membership)
    for pause in LOCKED_RETRIES:
        if item is not None or not _locked_candidates(queue, reviewer):
            break
        # Every candidate is locked by claims or submissions in flight, which last
        # milliseconds and may leave a slot free: look again before answering.
        time.sleep(pause)
        item = _pick(queue, reviewer, membership)
    if item is None:
        return Claim(None, "busy" if _locked_candidates(queue, reviewer) else "done")
    expires_at = now + timedelta(seconds=queue.lease_seconds)
    return Claim(lease_insert(item=item, reviewer=reviewer, expires_at=expires_at))


@transaction.atomic
def assignment_renew(
    *, item: QueueItem, reviewer: User, now: datetime | None = None
) -> Assignment | None:
    """Extend the reviewer's active lease on ``item`` by the queue's lease time; None if gone."""
    now = now or timezone.now()
    assignment = (
        Assignment.objects.select_for_update()
        .filter(item=item, reviewer=reviewer, status=AssignmentStatus.ACTIVE)
        .first()
    )
    if assignment is None:
        return None
    assignment.expires_at = now + timedelta(seconds=item.queue.lease_seconds)
    assignment.save(update_fields=["expires_at"])
    return assignment


@transaction.atomic
def assignment_release(
    *,
    queue: Queue,
    reviewer: User,
    item_ids: Collection[int],
    now: datetime | None = None,
) -> int:
    """Give back the reviewer's leases on ``item_ids`` (the page closed); return how many."""
    now = now or timezone.now()
    leases = list(
        Assignment.objects.filter(
            reviewer=reviewer,
            item__queue=queue,
            item_id__in=item_ids,
            status=AssignmentStatus.ACTIVE,
        ).values_list("id", "item_id")
    )
    released = 0
    for assignment_id, item_id in leases:
        if Assignment.objects.filter(pk=assignment_id, status=AssignmentStatus.ACTIVE).update(
            status=AssignmentStatus.RELEASED, closed_at=now
        ):
            QueueItem.objects.filter(pk=item_id).update(leased_count=F("leased_count") - 1)
            released += 1
    return released
