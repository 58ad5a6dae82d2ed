"""A queue's life: pause, close (no new claims; leases already out may finish), reopen, archive.

An archived queue is closed, read-only and left out of queue lists; its reports stay readable.
Archiving gives back the leases still out, so nothing more is written to it.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotate.errors import QueueNotOpen
from annotate.models import Assignment, AssignmentStatus, Queue, QueueItem, QueueStatus
from llmops_core.errors import DomainError
from llmops_core.services.audit import audit_record
from llmops_core.services.reports import report_request_on_queue_close

ACTIONS = ("pause", "open", "close", "archive", "unarchive")
# The statuses each action may start from (archived queues only unarchive).
_FROM = {
    "pause": {QueueStatus.OPEN},
    "open": {QueueStatus.PAUSED, QueueStatus.CLOSED},
    "close": {QueueStatus.OPEN, QueueStatus.PAUSED},
    "archive": {QueueStatus.OPEN, QueueStatus.PAUSED, QueueStatus.CLOSED},
}
_TO = {"pause": QueueStatus.PAUSED, "open": QueueStatus.OPEN, "close": QueueStatus.CLOSED}


def queue_writable_check(*, queue: Queue) -> None:
    """Raise ``QueueNotOpen`` if the queue is archived, and so read-only."""
    if queue.is_archived:
        raise QueueNotOpen(f'queue "{queue.name}" is archived: unarchive it to change it')


def _state(queue: Queue) -> str:
    return "archived" if queue.is_archived else str(queue.status)


def _release_leases(queue: Queue) -> int:
    """Give back every active lease of the queue; return how many."""
    now = timezone.now()
    leases = list(
        Assignment.objects.filter(item__queue=queue, status=AssignmentStatus.ACTIVE)
        .order_by("id")
        .values_list("id", "item_id")
    )
    for assignment_id, item_id in leases:
        Assignment.objects.filter(pk=assignment_id).update(
            status=AssignmentStatus.RELEASED, closed_at=now
        )
        QueueItem.objects.filter(pk=item_id).update(leased_count=F("leased_count") - 1)
    return len(leases)


@transaction.atomic
def queue_transition(*, queue: Queue, action: str, actor: User | None = None) -> Queue:
    """Take the queue through ``action`` (one of ``ACTIONS``); return it fresh.

    Closing stops new claims; reviewers holding an item may still submit it. The first close
    asks for the queue's final agreement report. Archiving also closes the queue and gives
    back open leases; unarchiving leaves it closed.
    """
    if action not in ACTIONS:
        raise DomainError(f'field "action": "{action}" is not one of {", ".join(ACTIONS)}')
    queue = Queue.objects.select_for_update().get(pk=queue.pk)
    before = _state(queue)
    if action == "unarchive":
        if not queue.is_archived:
            raise QueueNotOpen(f'queue "{queue.name}" is not archived')
        queue.archived_at = None
    elif queue.is_archived:
        raise QueueNotOpen(f'queue "{queue.name}" is archived: unarchive it first')
    elif queue.status not in _FROM[action]:
        raise QueueNotOpen(f'queue "{queue.name}" is {queue.status}: it cannot {action}')
    elif action == "archive":
        queue.archived_at = timezone.now()
        _release_leases(queue)
    if action in _TO or action == "archive":
        queue.status = _TO.get(action, QueueStatus.CLOSED)
    queue.save(update_fields=["status", "archived_at"])
    if queue.status == QueueStatus.CLOSED and before in (QueueStatus.OPEN, QueueStatus.PAUSED):
        # A closed queue gets its final agreement report (enqueued when this commits).
        report_request_on_queue_close(queue_id=queue.pk)
    audit_record(
        actor=actor,
        action=f"queue.{action}",
        obj=queue,
        project=queue.project,
        before={"state": before},
        after={"state": _state(queue)},
    )
    return queue
