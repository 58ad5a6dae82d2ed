"""Named reads of calibration: human ratings on one criterion, and a calibration queue's plan.

A plan is what the queue form shows before anything is written: the frame (the prompt
version's outputs the judge scored), each output's inclusion probability under the design,
and the interval width N human ratings would buy (``forecast_widths``), with the outputs
humans already rated as the pilot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotate.models import QueueSampling, Rating
from llmops_core.errors import DomainError
from llmops_core.metrics.coding import FloatArray, IntArray
from llmops_core.metrics.ppi import (
    ScoredOutputs,
    WidthForecast,
    forecast_widths,
    inclusion_probabilities,
    scored_outputs,
)
from llmops_core.metrics.ppi.sampling import DEFAULT_UNIFORM_SHARE
from llmops_core.models import JudgeVersion, PromptVersion
from llmops_core.selectors.judge_frames import JudgeFrame, judge_frame, judge_label


@dataclass(frozen=True)
class HumanRatings:
    """One row per human rating on a criterion: the output rated and the score."""

    output_ids: IntArray
    scores: FloatArray


def human_ratings(
    *,
    project_id: int,
    criterion: str,
    prompt_version_id: int | None = None,
    output_ids: Sequence[int] | None = None,
) -> HumanRatings:
    """Return the human ratings of the project's outputs on ``criterion`` (plain arrays)."""
    ratings = Rating.objects.filter(
        annotation__item__queue__project_id=project_id, criterion__name=criterion
    )
    if prompt_version_id is not None:
        ratings = ratings.filter(annotation__item__output__prompt_version_id=prompt_version_id)
    if output_ids is not None:
        ratings = ratings.filter(annotation__item__output_id__in=list(output_ids))
    rows = np.array(
        list(ratings.order_by("id").values_list("annotation__item__output_id", "score")),
        dtype=np.int64,
    ).reshape(-1, 2)
    return HumanRatings(output_ids=rows[:, 0], scores=rows[:, 1].astype(np.float64))


def frame_outputs(frame: JudgeFrame, humans: HumanRatings) -> ScoredOutputs:
    """Return the judge's and the humans' scores per output (``ppi.scored_outputs``)."""
    return scored_outputs(
        judge_items=frame.output_ids,
        judge_scores=frame.scores,
        human_items=humans.output_ids,
        human_scores=humans.scores,
    )


@dataclass(frozen=True)
class CalibrationPlan:
    """A calibration queue before it exists: the frame, the design and the forecast."""

    version: PromptVersion
    frame: JudgeFrame
    budget: int
    sampling: str
    forecast: WidthForecast
    uniform_share: float

    @property
    def probabilities(self) -> FloatArray:
        """Return every frame output's inclusion probability under the chosen design."""
        if self.sampling == QueueSampling.UNIFORM:
            return np.full(self.frame.size, self.budget / self.frame.size)
        return inclusion_probabilities(
            self.frame.uncertainty, self.budget, uniform_share=self.uniform_share
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form the queue page and the API show."""
        return {
            "prompt_version_id": self.version.pk,
            "judge_version_id": self.frame.judge_version_id,
            "judge": self.frame.judge,
            "criterion": self.frame.criterion,
            "frame": self.frame.size,
            "budget": self.budget,
            "sampling": self.sampling,
            "uniform_probability": self.budget / self.frame.size,
            "uniform_share": self.uniform_share,
            "uncertainty_source": self.frame.source,
            "uncertainty_source_text": self.frame.source_text,
            "forecast": self.forecast.as_dict(),
        }


def calibration_plan(
    *,
    version: PromptVersion,
    judge_version: JudgeVersion,
    criterion: str,
    budget: int,
    sampling: str,
) -> CalibrationPlan:
    """Return the plan of a queue of ``budget`` expected ratings of the version's outputs.

    Raise DomainError naming the field when the request cannot be met: the judge and the
    version in other projects, no judge score to sample from, or a budget outside 1..M.
    """
    project_id = version.template.project_id
    if judge_version.config.project_id != project_id:
        raise DomainError('field "judge_version": the judge belongs to another project')
    if sampling not in (QueueSampling.UNIFORM, QueueSampling.ACTIVE):
        raise DomainError(f'field "sampling": "{sampling}" is not one of uniform, active')
    frame = judge_frame(
        judge_version=judge_version, criterion=criterion, prompt_version_id=version.pk
    )
    if frame.size == 0:
        raise DomainError(
            f'field "judge_version": {judge_label(judge_version)} scored no output of '
            f'{version.template.name} v{version.number} on "{criterion}"; run the judge on '
            "the version's outputs first"
        )
    if not 1 <= budget <= frame.size:
        raise DomainError(
            f'field "budget": {budget} is outside 1-{frame.size} (the judge scored '
            f"{frame.size} output{'' if frame.size == 1 else 's'} of this version)"
        )
    humans = human_ratings(project_id=project_id, criterion=criterion, prompt_version_id=version.pk)
    pilot = frame_outputs(frame, humans)
    labelled = pilot.labelled
    uncertainty_of = dict(zip(frame.output_ids.tolist(), frame.uncertainty.tolist(), strict=True))
    pilot_uncertainty = [uncertainty_of[int(i)] for i in pilot.item[labelled]]
    forecast = forecast_widths(
        frame.uncertainty,
        budget,
        pilot_human=pilot.human[labelled],
        pilot_judge=pilot.judge[labelled],
        pilot_uncertainty=pilot_uncertainty,
    )
    # The forecast tunes the floor of the active probabilities; without a pilot, the default.
    share = DEFAULT_UNIFORM_SHARE if forecast.reason else forecast.uniform_share
    return CalibrationPlan(
        version=version,
        frame=frame,
        budget=budget,
        sampling=sampling,
        forecast=forecast,
        uniform_share=share,
    )
