"""Builders for the judge-assisted estimate tests: judged outputs, rated subsets, calibration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from annotate.models import Queue, QueueItem
from llmops_core.metrics.ppi import ScoredOutputs, scored_outputs
from llmops_core.models import ModelOutput, Project, PromptVersion
from tests.versions.helpers import CRITERIA, judge_scores, make_queue, rate_all

# Judge score of output i (1-5, spread out); the humans score it one lower on factuality
# (a lenient judge) and agree on the other criteria, rev2 one higher on every third output.
JUDGE_LEVELS = (1, 3, 5, 2, 4)


def judge_level(index: int, shift: int = 0) -> int:
    return min(5, JUDGE_LEVELS[index % 5] + shift)


def human_score(index: int, criterion: str, reviewer: int, shift: int = 0) -> int:
    """Return a reviewer's score (reviewer 0 or 1) of output ``index`` on ``criterion``."""
    base = judge_level(index, shift) - (1 if criterion == "factuality" else 0)
    bump = 1 if reviewer == 1 and index % 3 == 0 else 0
    return max(1, min(5, base + bump))


def judge_all(project: Project, *groups: tuple[Sequence[ModelOutput], int]) -> None:
    """Record one judge run scoring every output of each (outputs, shift) group."""
    judge_scores(
        project,
        {
            o: dict.fromkeys(CRITERIA, judge_level(i, shift))
            for outputs, shift in groups
            for i, o in enumerate(outputs)
        },
    )


def rate(
    project: Project,
    outputs: Sequence[ModelOutput],
    chosen: Sequence[int],
    reviewers: Sequence[Any],
    shift: int = 0,
) -> Queue:
    """Queue outputs at positions ``chosen`` and have two reviewers rate every one of them."""
    queue = make_queue(project, [outputs[i] for i in chosen], reviewers[:2], overlap=2)
    position = {o.pk: i for i, o in enumerate(outputs)}
    for who, reviewer in enumerate(reviewers[:2]):

        def scores(output: ModelOutput, who: int = who) -> dict[str, int]:
            return {c: human_score(position[output.pk], c, who, shift) for c in CRITERIA}

        assert rate_all(queue, reviewer, scores) == len(chosen)
    return queue


def make_calibration(
    queue: Queue,
    version: PromptVersion,
    *,
    sampling: str,
    frame: int,
    probability: dict[int, float] | None = None,
) -> None:
    """Mark ``queue`` as calibrating ``version`` (what the calibration-queue pages write)."""
    Queue.objects.filter(pk=queue.pk).update(
        sampling=sampling, calibrates=version, sample_frame=frame
    )
    for output_id, value in (probability or {}).items():
        QueueItem.objects.filter(queue=queue, output_id=output_id).update(
            inclusion_probability=value
        )


def expected_outputs(
    outputs: Sequence[ModelOutput],
    criterion: str,
    rated: Sequence[int],
    *,
    shift: int = 0,
    probability: dict[int, float] | None = None,
    with_inputs: bool = False,
) -> ScoredOutputs:
    """Return what the estimate should rest on, built straight from the scores given."""
    human_items = [outputs[i].pk for i in rated for _ in (0, 1)]
    human = [human_score(i, criterion, who, shift) for i in rated for who in (0, 1)]
    return scored_outputs(
        judge_items=np.array([o.pk for o in outputs]),
        judge_scores=[judge_level(i, shift) for i in range(len(outputs))],
        human_items=np.array(human_items),
        human_scores=human,
        probability=(
            None
            if probability is None
            else (np.array(list(probability)), list(probability.values()))
        ),
        inputs=(
            (np.array([o.pk for o in outputs]), np.array([o.input_hash for o in outputs], object))
            if with_inputs
            else None
        ),
    )


def make_two(
    project: Project, lead: Any, *, shifts: tuple[int, int] = (0, 1), production: bool = True
) -> dict[str, Any]:
    """Return v1 (production, unless not ``production``) and v2 answering the same 20 inputs,
    judged in one run; ``shifts`` are v1's and v2's judge (and human) levels above the pattern.
    """
    from llmops_core.services.prompts import prompt_label_set
    from tests.versions.helpers import make_outputs, make_versions

    v1, v2 = make_versions(project, 2)
    if production:
        prompt_label_set(version=v1, label="production", actor=lead)
    base, cand = make_outputs(project, v1, 20), make_outputs(project, v2, 20)
    judge_all(project, (base, shifts[0]), (cand, shifts[1]))
    return {"v1": v1, "v2": v2, "base": base, "cand": cand}
