"""Judge-assisted estimates of a version's scorecard, from plain rows (``metrics.ppi`` computes).

A ``LabelledDesign`` (built by ``selectors.estimates``) says which human ratings form the
labelled set and how those outputs were drawn: every rating, treated as a uniform random sample
(no calibration queue), or the ratings of one calibration queue, with inclusion probabilities
when it was drawn actively. The judge is the one the scorecard shows for the criterion (the
judge version that scored the version most recently); each output's judge score is that judge's
latest. Each criterion's block is ``Estimates.as_dict()`` with the judge, the design and, where
the human subset is not a random sample, why the estimate is not valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmops_core.metrics.ppi import ScoredOutputs, estimate_outputs, scored_outputs
from llmops_core.metrics.ppi.estimates import LABELLED_SET
from llmops_core.metrics.version_report.ratings import VersionRatingRows

ALL_RATINGS = "all_ratings"
CALIBRATION_QUEUE = "calibration_queue"


@dataclass(frozen=True)
class LabelledDesign:
    """Which ratings are the labelled set, how their outputs were drawn, and whether validly.

    ``items`` are the queue items whose ratings are labels (None: every rating); ``probability``
    maps a queue item to its inclusion probability (None: a uniform sample); ``invalid`` says
    why the human-rated outputs are not a random sample, when they are not.
    """

    kind: str
    description: str
    queue: Mapping[str, Any] | None = None
    items: frozenset[int] | None = None
    probability: Mapping[int, float] | None = None
    invalid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored with the estimate."""
        return {
            "kind": self.kind,
            "description": self.description,
            "queue": dict(self.queue) if self.queue is not None else None,
            "weighted": self.probability is not None,
            "invalid": self.invalid,
        }


def judge_of(judges: Sequence[Mapping[str, Any]], criterion: str) -> dict[str, Any] | None:
    """Return the judge the scorecard shows for ``criterion`` (``judge_means`` is newest first)."""
    for judge in judges:
        if criterion in judge["criteria"]:
            return {"judge_version_id": judge["judge_version_id"], "judge": judge["judge"]}
    return None


JudgeTables = dict[tuple[int, str, int], dict[int, float]]
RatingGroups = dict[tuple[int | None, str], list[tuple[int, int, float]]]


def judge_tables(rows: Sequence[Mapping[str, Any]]) -> JudgeTables:
    """Return {(judge version, criterion, prompt version): {output id: latest score}}.

    One pass over the rows (oldest run first, so a later score of an output replaces one).
    """
    tables: JudgeTables = {}
    for row in rows:
        key = (row["judge_version_id"], row["criterion"], row["version_id"])
        tables.setdefault(key, {})[row["output_id"]] = float(row["score"])
    return tables


def rating_groups(ratings: VersionRatingRows) -> RatingGroups:
    """Return {(prompt version, criterion): [(queue item, output, score), ...]} in one pass."""
    groups: RatingGroups = {}
    for item, output, version, name, score in zip(
        ratings.item, ratings.output, ratings.version, ratings.criterion, ratings.score,
        strict=True,
    ):  # fmt: skip
        groups.setdefault((version, name), []).append((item, output, float(score)))
    return groups


def version_outputs(
    groups: RatingGroups,
    design: LabelledDesign,
    judge: Mapping[int, float],
    *,
    criterion: str,
    version_id: int,
    inputs: Mapping[int, str] | None = None,
) -> tuple[ScoredOutputs, int]:
    """Return the version's outputs on one criterion, and how many ratings the design left out.

    ``judge`` maps output id to judge score; ``inputs`` (output id to input hash), when given,
    lets a comparison pair the versions by input.
    """
    outputs: list[int] = []
    scores: list[float] = []
    chosen: dict[int, float] = {}
    left_out = 0
    for item, output, score in groups.get((version_id, criterion), []):
        if design.items is not None and item not in design.items:
            left_out += 1
            continue
        outputs.append(output)
        scores.append(score)
        if design.probability is not None:
            chosen[output] = design.probability[item]
    judged = np.fromiter(judge.keys(), dtype=np.int64, count=len(judge))
    every = np.union1d(judged, np.asarray(outputs, dtype=np.int64))
    result = scored_outputs(
        judge_items=judged,
        judge_scores=np.fromiter(judge.values(), dtype=np.float64, count=len(judge)),
        human_items=np.asarray(outputs, dtype=np.int64),
        human_scores=np.asarray(scores, dtype=np.float64),
        probability=(
            None
            if design.probability is None
            else (np.asarray(list(chosen), dtype=np.int64), list(chosen.values()))
        ),
        inputs=(
            None
            if inputs is None
            else (every, np.asarray([inputs.get(int(o)) for o in every], dtype=object))
        ),
    )
    return result, left_out


def estimate_block(
    outputs: ScoredOutputs,
    design: LabelledDesign,
    *,
    judge: Mapping[str, Any] | None,
    left_out: int,
) -> dict[str, Any]:
    """Return one criterion's estimates as stored: numbers, judge, design, validity."""
    estimates = estimate_outputs(outputs)
    invalid = design.invalid or (
        (estimates.sample_check.message or "").rstrip(".")
        if estimates.sample_check.suspect
        else None
    )
    notes = list(estimates.notes)
    if left_out:
        notes.append(
            f"{left_out} rating{'s' if left_out != 1 else ''} from queues other than the "
            "calibration queue count in the human mean above, not in this estimate."
        )
    return {
        **estimates.as_dict(),
        "notes": notes,
        "judge": dict(judge) if judge is not None else None,
        "left_out_ratings": left_out,
        "valid": invalid is None,
        "invalid_reason": invalid,
    }


def scorecard_estimates(
    *,
    ratings: VersionRatingRows,
    design: LabelledDesign,
    judge_rows: Sequence[Mapping[str, Any]],
    judges: Sequence[Mapping[str, Any]],
    criteria: Sequence[str],
    version_id: int,
) -> dict[str, Any]:
    """Return the judge-assisted estimates of every criterion, in ``criteria`` order."""
    blocks = []
    tables, groups = judge_tables(judge_rows), rating_groups(ratings)
    for name in criteria:
        judge = judge_of(judges, name)
        key = (judge["judge_version_id"], name, version_id) if judge is not None else None
        outputs, left_out = version_outputs(
            groups,
            design,
            tables.get(key, {}) if key else {},
            criterion=name,
            version_id=version_id,
        )
        blocks.append(
            {"name": name, **estimate_block(outputs, design, judge=judge, left_out=left_out)}
        )
    return {
        "labelled_set": LABELLED_SET,
        "design": design.as_dict(),
        "confidence": 0.95,
        "criteria": blocks,
    }
