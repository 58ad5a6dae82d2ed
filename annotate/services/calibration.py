"""Calibration queues: draw a version's outputs for humans with known probabilities.

A lead asks for N expected human ratings of a prompt version; the outputs a judge scored are
the frame (M of them). Uniform sampling draws exactly N of the M (``draw_uniform``), each
with probability N / M; active sampling flips one coin per output with its inclusion
probability from the judge's uncertainty (``inclusion_probabilities``, ``draw_active``), so
the count is N on average. Each item stores its probability, which the estimate weights by.
The seed is the queue's seed: the same seed and frame give the same draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case, FloatField, Value, When

from annotate.models import Queue, QueueItem, QueueSampling
from annotate.selectors.calibration import CalibrationPlan, calibration_plan
from annotate.services import queues as queue_service
from llmops_core.errors import DomainError
from llmops_core.metrics.coding import IntArray
from llmops_core.metrics.ppi import draw_active, draw_uniform
from llmops_core.models import JudgeVersion, PromptVersion, RubricVersion
from llmops_core.services.audit import audit_record

UPDATE_BATCH = 500  # WHEN branches in one UPDATE


def calibration_draw(plan: CalibrationPlan, *, seed: int) -> IntArray:
    """Return the positions in the plan's frame drawn with ``seed``."""
    if plan.sampling == QueueSampling.UNIFORM:
        return draw_uniform(plan.frame.size, plan.budget, seed=seed)
    return draw_active(plan.probabilities, seed=seed)


@transaction.atomic
def calibration_queue_create(
    *,
    version: PromptVersion,
    judge_version: JudgeVersion,
    criterion: str,
    budget: int,
    sampling: str = QueueSampling.UNIFORM,
    name: str,
    rubric_version: RubricVersion,
    overlap: int = 1,
    max_overlap: int | None = None,
    disagreement_threshold: int | None = None,
    blind: bool = True,
    guidelines: str = "",
    lease_seconds: int = 900,
    gold_every: int = 10,
    seed: int | None = None,
    reviewers: Sequence[User] = (),
    created_by: User | None = None,
) -> Queue:
    """Create a queue "to calibrate" ``version``: a random sample of its judged outputs.

    Everything is written in this one transaction (the queue, its items, their probabilities
    and the design) or nothing is. Raise DomainError naming the field that is wrong.
    """
    project = version.template.project
    plan = calibration_plan(
        version=version,
        judge_version=judge_version,
        criterion=criterion,
        budget=budget,
        sampling=sampling,
    )
    if seed is None:
        seed = queue_service.new_seed()
    if not 0 <= seed <= queue_service.MAX_SEED:
        raise DomainError(f'field "seed": {seed} is outside 0-{queue_service.MAX_SEED}')
    drawn = calibration_draw(plan, seed=seed)
    if drawn.size == 0:
        raise DomainError(
            f'field "seed": seed {seed} drew no output (active sampling draws about {budget} '
            "at random); raise the budget or try another seed"
        )
    ids = plan.frame.output_ids[drawn]
    probabilities = plan.probabilities[drawn]
    queue = queue_service.queue_create(
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
        seed=seed,
        reviewers=reviewers,
        output_ids=ids.tolist(),
        created_by=created_by,
    )
    Queue.objects.filter(pk=queue.pk).update(
        sampling=plan.sampling, calibrates=version, sample_frame=plan.frame.size
    )
    _store_probabilities(queue, ids, probabilities)
    queue.refresh_from_db()
    audit_record(
        actor=created_by,
        action="queue.calibration_draw",
        obj=queue,
        project=project,
        after={**plan.as_dict(), "seed": seed, "drawn": int(ids.size)},
    )
    return queue


def _store_probabilities(queue: Queue, ids: IntArray, probabilities: np.ndarray) -> None:
    """Store each drawn output's inclusion probability on its queue item, in bulk."""
    if np.all(probabilities == probabilities[0]):
        QueueItem.objects.filter(queue=queue).update(inclusion_probability=float(probabilities[0]))
        return
    of_output = dict(zip(ids.tolist(), probabilities.tolist(), strict=True))
    for start in range(0, ids.size, UPDATE_BATCH):
        chunk = ids[start : start + UPDATE_BATCH].tolist()
        QueueItem.objects.filter(queue=queue, output_id__in=chunk).update(
            inclusion_probability=Case(
                *(When(output_id=oid, then=Value(of_output[oid])) for oid in chunk),
                output_field=FloatField(),
            )
        )
