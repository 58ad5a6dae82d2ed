"""Record a reviewer's blind side-by-side preference between two outputs of the same input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotate.models import PairwisePreference, Queue, QueueReviewer
from annotate.selectors.preferences import pair_outputs
from llmops_core.errors import DomainError, NotAllowed

SIDES = ("left", "right", "tie")


def _side_to_choice(side: str, left: int, a: int, where: str) -> str:
    """Return A, B or tie for a side the reviewer picked."""
    if side not in SIDES:
        raise DomainError(f"{where}: {side!r} is not one of {', '.join(SIDES)}")
    if side == "tie":
        return "tie"
    picked_left = side == "left"
    return "A" if picked_left == (left == a) else "B"


@transaction.atomic
def preference_submit(
    *,
    queue: Queue,
    reviewer: User,
    left_id: int,
    right_id: int,
    side: str,
    criteria: Mapping[str, str] | None = None,
) -> PairwisePreference:
    """Store (or change) the reviewer's preference on the pair shown as ``left_id``/``right_id``.

    ``side`` is ``left``, ``right`` or ``tie``, as on the page; it is stored as A/B (A is the
    lower output id) with the side A was shown on. ``criteria`` maps criterion names to sides.
    """
    if not QueueReviewer.objects.filter(queue=queue, reviewer=reviewer).exists():
        raise NotAllowed(f'{reviewer.get_username()} is not a reviewer of queue "{queue.name}"')
    outputs = pair_outputs(queue=queue, ids=(left_id, right_id))
    if left_id == right_id or len(outputs) != 2:
        raise DomainError(f"outputs {left_id} and {right_id} are not a pair of this queue")
    first, second = outputs
    if first.input_hash != second.input_hash or first.prompt_version_id == second.prompt_version_id:
        raise DomainError("a pair is two versions' outputs for the same input")
    a, b = sorted((left_id, right_id))
    names = set(queue.rubric_version.criteria.values_list("name", flat=True))
    unknown = sorted(set(criteria or {}) - names)
    if unknown:
        raise DomainError(f'field "criteria": {", ".join(unknown)} not in the queue\'s rubric')
    fields: dict[str, Any] = {
        "queue": queue,
        "shown_left": "A" if left_id == a else "B",
        "choice": _side_to_choice(side, left_id, a, 'field "side"'),
        "criteria": {
            name: _side_to_choice(value, left_id, a, f'criterion "{name}"')
            for name, value in sorted((criteria or {}).items())
        },
    }
    preference, _ = PairwisePreference.objects.update_or_create(
        reviewer=reviewer, output_a_id=a, output_b_id=b, defaults=fields
    )
    return preference
