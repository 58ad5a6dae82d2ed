"""Named read of a judge's calibration: how its scores map to the humans', per criterion.

The judge's scores (``judge_frames``) and the humans' ratings (through the annotation app's
door) become per-output arrays, and ``metrics.ppi.calibration`` turns them into the curve
(mean human label per judge level, with counts) and the largest residuals. The residuals
carry their output's text (shortened) and prompt version, for the page's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotate.selectors import human_ratings
from llmops_core.metrics.ppi import Calibration, calibration, scored_outputs
from llmops_core.models import Criterion, JudgeVersion, ModelOutput, Project
from llmops_core.selectors.judge_frames import judge_frame

SNIPPET = 160
MAX_TOP = 100


@dataclass(frozen=True)
class CriterionCalibration:
    """One criterion's calibration, with what the residual table shows of each output."""

    criterion: str
    scale: tuple[int, int] | None
    n_judged: int
    n_rated: int
    result: Calibration
    outputs: dict[int, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form (the API's and the chart's data)."""
        body = self.result.as_dict()
        for row in body["residuals"]:
            row["output_id"] = row.pop("item")
        return {
            "criterion": self.criterion,
            "scale": list(self.scale) if self.scale else None,
            "n_judged": self.n_judged,
            "n_rated": self.n_rated,
            **body,
        }


def judge_criteria(*, judge_version: JudgeVersion) -> list[str]:
    """Return the criterion names of the judge version's rubric, in rubric order."""
    return list(
        Criterion.objects.filter(rubric_version_id=judge_version.rubric_version_id)
        .order_by("position", "id")
        .values_list("name", flat=True)
    )


def judge_calibration_curves(
    *,
    project: Project,
    judge_version: JudgeVersion,
    criteria: list[str],
    prompt_version_id: int | None = None,
    top: int = 20,
) -> list[CriterionCalibration]:
    """Return the judge version's calibration on each criterion (of one prompt version)."""
    top = max(1, min(top, MAX_TOP))
    found = []
    for name in criteria:
        frame = judge_frame(
            judge_version=judge_version, criterion=name, prompt_version_id=prompt_version_id
        )
        humans = human_ratings(
            project_id=project.pk, criterion=name, prompt_version_id=prompt_version_id
        )
        outputs = scored_outputs(
            judge_items=frame.output_ids,
            judge_scores=frame.scores,
            human_items=humans.output_ids,
            human_scores=humans.scores,
        )
        result = calibration(outputs, top=top)
        found.append(
            CriterionCalibration(
                criterion=name,
                scale=frame.scale,
                n_judged=int(outputs.judged.sum()),
                n_rated=int(outputs.labelled.sum()),
                result=result,
                outputs={},
            )
        )
    _attach_outputs(project, found)
    return found


def _attach_outputs(project: Project, found: list[CriterionCalibration]) -> None:
    """Fill each result's ``outputs`` with the residual outputs' text and version (one query)."""
    ids = {int(r.item) for c in found for r in c.result.residuals}  # type: ignore[call-overload]
    rows = ModelOutput.objects.filter(project=project, pk__in=ids).values(
        "pk", "output_text", "prompt_version__template__name", "prompt_version__number"
    )
    by_id = {
        r["pk"]: {
            "text": r["output_text"][:SNIPPET],
            "cut": len(r["output_text"]) > SNIPPET,
            "version": (
                f"{r['prompt_version__template__name']} v{r['prompt_version__number']}"
                if r["prompt_version__number"] is not None
                else ""
            ),
        }
        for r in rows
    }
    for entry in found:
        entry.outputs.update(
            {int(r.item): by_id.get(int(r.item), {}) for r in entry.result.residuals}  # type: ignore[call-overload]
        )
