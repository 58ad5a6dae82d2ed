"""Named reads of one judge's scores on one criterion, with its uncertainty about each output.

What calibration queues sample from and what the calibration view compares with the humans.
An output's score is the judge version's latest run's score of it (as on the scorecard). Its
uncertainty, which active sampling steers by, comes from the first source that exists:

* ``repeats``: the judge version scored some outputs more than once (several runs); the
  spread of its scores over the scale's levels (``level_spread``) is its uncertainty;
* ``swaps``: pairwise verdicts on the criterion asked in both orders involve the outputs;
  the mean flip of the verdict when the pair is swapped (``swap_disagreement``) is it;
* ``none``: the judge recorded no uncertainty, and every output gets the same, so active
  sampling draws uniformly.

An output the source says nothing about (scored once, in no swapped pair) gets the mean
uncertainty of those it covers: not knowing is not being sure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet

from llmops_core.metrics.coding import FloatArray, IntArray
from llmops_core.metrics.ppi import level_spread, swap_disagreement
from llmops_core.models import (
    Criterion,
    JudgeMode,
    JudgePairVerdict,
    JudgeScore,
    JudgeVersion,
    Project,
    PromptVersion,
)

REPEATS, SWAPS, NONE = "repeats", "swaps", "none"
SOURCES = {
    REPEATS: "the spread of the judge's scores over repeated runs of the same output",
    SWAPS: "how often the judge's pairwise verdict flips when the pair is shown swapped",
    NONE: "the judge recorded no uncertainty (one score per output, no swapped pairs), so "
    "active sampling draws every output with the same probability",
}
VERDICT_VALUE = {"A": 1.0, "tie": 0.5, "B": 0.0}


@dataclass(frozen=True)
class JudgeFrame:
    """A judge version's scores of outputs on one criterion, sorted by output id."""

    judge_version_id: int
    judge: str
    criterion: str
    scale: tuple[int, int] | None
    output_ids: IntArray
    scores: FloatArray
    uncertainty: FloatArray
    source: str

    @property
    def size(self) -> int:
        """Return how many outputs the judge scored."""
        return int(self.output_ids.size)

    @property
    def source_text(self) -> str:
        """Return where the uncertainty comes from, in words."""
        return SOURCES[self.source]


def judge_label(version: JudgeVersion) -> str:
    """Return "name vN" of a judge version."""
    return f"{version.config.name} v{version.number}"


def pointwise_judge_versions(*, project: Project) -> QuerySet[JudgeVersion]:
    """Return the project's pointwise judge versions, by judge name then newest first."""
    return (
        JudgeVersion.objects.filter(config__project=project, mode=JudgeMode.POINTWISE)
        .select_related("config")
        .order_by("config__name", "-number")
    )


def judge_criterion_names(*, project: Project) -> list[str]:
    """Return the criterion names of the rubric versions the project's judges score with."""
    rubric_ids = JudgeVersion.objects.filter(config__project=project).values("rubric_version_id")
    names = Criterion.objects.filter(rubric_version_id__in=rubric_ids).values_list(
        "name", flat=True
    )
    return sorted(set(names))


def judge_version_newest_for(*, version: PromptVersion, criterion: str) -> JudgeVersion | None:
    """Return the judge version whose latest run scored the prompt version's outputs."""
    row = (
        JudgeScore.objects.filter(output__prompt_version=version, criterion__name=criterion)
        .order_by("-run_id")
        .values_list("run__judge_version_id", flat=True)
        .first()
    )
    if row is None:
        return None
    return JudgeVersion.objects.select_related("config").get(pk=row)


def judge_frame(
    *, judge_version: JudgeVersion, criterion: str, prompt_version_id: int | None = None
) -> JudgeFrame:
    """Return the judge version's scores on ``criterion`` (of one prompt version, if given)."""
    scores = JudgeScore.objects.filter(run__judge_version=judge_version, criterion__name=criterion)
    if prompt_version_id is not None:
        scores = scores.filter(output__prompt_version_id=prompt_version_id)
    rows = np.array(
        list(scores.order_by("output_id", "run_id", "id").values_list("output_id", "score")),
        dtype=np.int64,
    ).reshape(-1, 2)
    scale = (
        Criterion.objects.filter(rubric_version_id=judge_version.rubric_version_id, name=criterion)
        .values_list("scale_min", "scale_max")
        .first()
    )
    ids, first, counts = np.unique(rows[:, 0], return_index=True, return_counts=True)
    latest = rows[first + counts - 1, 1].astype(np.float64)  # rows sorted by run: last wins
    uncertainty, source = _repeat_spread(rows, ids, counts, scale)
    if source == NONE:
        uncertainty, source = _swap_spread(judge_version, criterion, ids)
    return JudgeFrame(
        judge_version_id=judge_version.pk,
        judge=judge_label(judge_version),
        criterion=criterion,
        scale=None if scale is None else (int(scale[0]), int(scale[1])),
        output_ids=ids.astype(np.int64),
        scores=latest,
        uncertainty=uncertainty,
        source=source,
    )


def _fill_unknown(values: FloatArray, known: np.ndarray) -> FloatArray:
    """Return values where outputs not ``known`` get the mean of the known ones."""
    return np.where(known, values, float(values[known].mean()))


def _repeat_spread(
    rows: np.ndarray, ids: np.ndarray, counts: np.ndarray, scale: tuple[int, int] | None
) -> tuple[FloatArray, str]:
    """Return the spread of repeated scores per output, or zeros and NONE without repeats."""
    if ids.size == 0 or not np.any(counts > 1):
        return np.zeros(ids.size), NONE
    low = int(min(rows[:, 1].min(), scale[0] if scale else rows[:, 1].min()))
    high = int(max(rows[:, 1].max(), scale[1] if scale else rows[:, 1].max()))
    levels = np.arange(low, high + 1, dtype=np.float64)
    which = np.searchsorted(ids, rows[:, 0])
    table = np.zeros((ids.size, levels.size))
    np.add.at(table, (which, rows[:, 1] - low), 1.0)
    spread = level_spread(table / counts[:, None], levels)
    return _fill_unknown(spread, counts > 1), REPEATS


def _swap_spread(
    judge_version: JudgeVersion, criterion: str, ids: np.ndarray
) -> tuple[FloatArray, str]:
    """Return each output's mean verdict flip over swapped pairs, or zeros and NONE."""
    if ids.size == 0:
        return np.zeros(0), NONE
    pairs = np.array(
        list(
            JudgePairVerdict.objects.filter(
                run__judge_version__config_id=judge_version.config_id,
                criterion__name=criterion,
                verdict_ab__in=VERDICT_VALUE,
                verdict_ba__in=VERDICT_VALUE,
            ).values_list("output_a_id", "output_b_id", "verdict_ab", "verdict_ba")
        ),
        dtype=object,
    ).reshape(-1, 4)
    if pairs.shape[0] == 0:
        return np.zeros(ids.size), NONE
    flips = swap_disagreement(
        [VERDICT_VALUE[v] for v in pairs[:, 2]], [VERDICT_VALUE[v] for v in pairs[:, 3]]
    )
    sums, seen = np.zeros(ids.size), np.zeros(ids.size)
    for column in (0, 1):
        members = pairs[:, column].astype(np.int64)
        position = np.minimum(np.searchsorted(ids, members), ids.size - 1)
        inside = ids[position] == members
        np.add.at(sums, position[inside], flips[inside])
        np.add.at(seen, position[inside], 1.0)
    known = seen > 0
    if not known.any():
        return np.zeros(ids.size), NONE
    return _fill_unknown(sums / np.maximum(seen, 1), known), SWAPS
