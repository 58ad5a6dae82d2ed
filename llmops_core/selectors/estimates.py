"""Which human ratings a version's judge-assisted estimate rests on: its labelled-set design.

A version calibrated through a queue drawn at random (``Queue.calibrates`` is the version,
``sampling`` "uniform" or "active") has that queue's rated items as its labelled set, each with
its inclusion probability; ratings from other queues stay out of the estimate. A calibration
queue whose outputs a lead chose (``sampling`` "") makes the estimate invalid. Without a
calibration queue every human rating counts, treated as a uniform random sample (the sample
check tests that). Queues are read through the door, ``annotate.selectors``.
"""

from __future__ import annotations

from collections.abc import Collection

from annotate.selectors import CalibrationDesign, calibration_designs
from llmops_core.metrics.version_report.estimates import (
    ALL_RATINGS,
    CALIBRATION_QUEUE,
    LabelledDesign,
)

UNIFORM, ACTIVE = "uniform", "active"
HOW = {
    UNIFORM: "drawn uniformly at random",
    ACTIVE: "drawn actively with known inclusion probabilities (each rating weighted by the "
    "inverse of its probability)",
}


def version_estimate_design(*, version_id: int, rated_items: Collection[int]) -> LabelledDesign:
    """Return the labelled-set design of version ``version_id``'s estimates.

    ``rated_items`` are the queue items with ratings of the version (from its ratings
    snapshot): the newest random calibration queue with ratings is the one used.
    """
    designs = calibration_designs(version_id=version_id)
    rated = set(rated_items)
    drawn = [d for d in designs if d.sampling in HOW and rated.intersection(d.items)]
    if drawn:
        return _queue_design(drawn[0], rated, others=len(drawn) - 1)
    picked = [d for d in designs if d.sampling not in HOW and rated.intersection(d.items)]
    description = (
        "No calibration queue drawn at random has ratings of this version, so every "
        "human-rated output counts as labelled, treated as a uniform random sample of the "
        "outputs; the sample check tests that assumption."
    )
    if picked:
        names = ", ".join(f'"{d.name}"' for d in picked)
        return LabelledDesign(
            ALL_RATINGS,
            description,
            invalid=(
                f"the outputs of calibration queue {names} were chosen by a lead, not drawn at "
                "random, so the human-rated outputs are not a random sample"
            ),
        )
    return LabelledDesign(ALL_RATINGS, description)


def _queue_design(design: CalibrationDesign, rated: set[int], *, others: int) -> LabelledDesign:
    """Return the design of a calibration queue drawn at random."""
    queue = {
        "id": design.queue_id,
        "name": design.name,
        "sampling": design.sampling,
        "sample_frame": design.sample_frame,
    }
    frame = f" from {design.sample_frame} outputs" if design.sample_frame else ""
    n_rated = len(rated.intersection(design.items))
    description = (
        f"The labelled set is the {n_rated} rated item{'s' if n_rated != 1 else ''} of "
        f'calibration queue "{design.name}", {HOW[design.sampling]}{frame}; ratings from other '
        "queues are left out of the estimate (they still count in the human mean)."
    )
    if others:
        description += (
            f" {others} older calibration queue{'s' if others != 1 else ''} of this version "
            f"{'are' if others != 1 else 'is'} left out too."
        )
    items = frozenset(design.items)
    missing = sorted(pk for pk, p in design.items.items() if p is None)
    if not missing:
        probability = {pk: float(p) for pk, p in design.items.items() if p is not None}
        return LabelledDesign(CALIBRATION_QUEUE, description, queue, items, probability)
    if design.sampling == UNIFORM and len(missing) == len(design.items):
        return LabelledDesign(CALIBRATION_QUEUE, description, queue, items)
    return LabelledDesign(
        CALIBRATION_QUEUE,
        description,
        queue,
        items,
        invalid=(
            f'calibration queue "{design.name}" was drawn {design.sampling}ly but item '
            f"{missing[0]} has no inclusion probability, so the estimate cannot weight it"
        ),
    )
