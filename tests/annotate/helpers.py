"""Builders shared by the annotation tests: queues with outputs, and rating an item."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

from annotate.models import Annotation, Queue
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_create
from annotate.services.submit import annotation_submit
from llmops_core.models import Project
from tests.factories import ModelOutputFactory

SCORES = {"fluency": 4, "relevance": 3, "factuality": 5}
_names = itertools.count(1)


def make_queue(
    project: Project,
    *,
    items: int = 5,
    reviewers: Sequence[Any] = (),
    overlap: int = 3,
    **options: Any,
) -> Queue:
    """Create a queue in ``project`` over ``items`` new outputs, rated with the default rubric."""
    outputs = ModelOutputFactory.create_batch(items, project=project)
    return queue_create(
        project=project,
        name=f"queue-{next(_names)}",
        rubric_version=project.rubrics.get(name="default").versions.get(number=1),
        overlap=overlap,
        reviewers=list(reviewers),
        output_ids=[o.pk for o in outputs],
        **options,
    )


def rate_next(
    queue: Queue, reviewer: Any, scores: dict[str, int] | None = None, **options: Any
) -> Annotation:
    """Claim the reviewer's next item and submit ``scores`` for it."""
    queue.refresh_from_db()
    claim = assignment_claim_next(queue=queue, reviewer=reviewer)
    assert claim.assignment is not None, f"nothing to rate: {claim.reason}"
    item = claim.assignment.item
    item.queue = queue
    options.setdefault("client_token", uuid.uuid4())
    return annotation_submit(
        item=item, reviewer=reviewer, scores=SCORES if scores is None else scores, **options
    ).annotation
