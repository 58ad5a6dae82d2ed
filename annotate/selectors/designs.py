"""Calibration queues of a prompt version: how their outputs were drawn, with what probability."""

from __future__ import annotations

from dataclasses import dataclass

from annotate.models import Queue, QueueItem


@dataclass(frozen=True)
class CalibrationDesign:
    """A queue created to calibrate a version: its sampling and each item's inclusion probability.

    ``sampling`` is "" (outputs chosen by a lead), "uniform" or "active"; ``items`` maps each
    queue item id to its inclusion probability (None where none was recorded).
    """

    queue_id: int
    name: str
    sampling: str
    sample_frame: int | None
    items: dict[int, float | None]


def calibration_designs(*, version_id: int) -> list[CalibrationDesign]:
    """Return the queues that calibrate version ``version_id``, newest first (two queries)."""
    queues = list(
        Queue.objects.filter(calibrates_id=version_id)
        .order_by("-id")
        .values_list("id", "name", "sampling", "sample_frame")
    )
    items: dict[int, dict[int, float | None]] = {pk: {} for pk, *_ in queues}
    rows = QueueItem.objects.filter(queue_id__in=list(items)).values_list(
        "queue_id", "id", "inclusion_probability"
    )
    for queue_id, item_id, probability in rows.iterator(chunk_size=5000):
        items[queue_id][item_id] = probability
    return [
        CalibrationDesign(pk, name, sampling, frame, items[pk])
        for pk, name, sampling, frame in queues
    ]
