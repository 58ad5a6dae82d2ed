"""A version's scorecard on one criterion: human-only, judge-only and PPI++ means side by side."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmops_core.metrics.ppi.mean import (
    HUMAN_CONSTANT,
    JUDGE_CONSTANT,
    NO_HUMAN,
    NO_JUDGE,
    ONE_HUMAN,
    ONE_JUDGED,
    MeanInterval,
    PPIMean,
    clt_mean,
    ppi_mean,
)
from llmops_core.metrics.ppi.outputs import ScoredOutputs
from llmops_core.metrics.ppi.weighted import ppi_mean_weighted, weighted_human_mean

UNIFORM = "uniform"
WEIGHTED = "inclusion_probabilities"

# |z| above this flags the human-rated outputs as unlike a random sample of the outputs:
# a random sample trips it 0.27% of the time, a hand-picked one almost always.
SAMPLE_CHECK_Z = 3.0

LABELLED_SET = (
    "The labelled set is the outputs with at least one human rating (an output's label is the "
    "mean of its reviewers' scores); the unlabelled set is the other outputs with a judge score."
)


@dataclass(frozen=True)
class SampleCheck:
    """Whether the human-rated outputs look like a random sample, judged by the judge's scores.

    Under the sampling the estimate assumes, the (weighted) mean judge score of the
    human-rated outputs differs from the mean over all judged outputs by sampling noise only;
    z is that difference over its standard error.
    """

    labelled_judge_mean: float | None
    all_judge_mean: float | None
    z: float | None
    suspect: bool
    message: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "labelled_judge_mean": self.labelled_judge_mean,
            "all_judge_mean": self.all_judge_mean,
            "z": self.z,
            "suspect": self.suspect,
            "message": self.message,
        }


@dataclass(frozen=True)
class Estimates:
    """The three estimates of one version's mean on one criterion, with what they rest on."""

    human_only: MeanInterval
    judge_only: MeanInterval
    ppi: PPIMean
    sampling: str
    confidence: float
    sample_check: SampleCheck
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored with scorecards and printed by ``manage.py estimate``."""
        return {
            "human_only": self.human_only.as_dict(),
            "judge_only": self.judge_only.as_dict(),
            "ppi": self.ppi.as_dict(),
            "sampling": self.sampling,
            "confidence": self.confidence,
            "sample_check": self.sample_check.as_dict(),
            "notes": list(self.notes),
        }


def estimate_outputs(outputs: ScoredOutputs, *, confidence: float = 0.95) -> Estimates:
    """Return the human-only, judge-only and PPI++ estimates of the outputs' mean.

    Without inclusion probabilities the human-rated outputs must be a uniform random sample
    (PPI++); with them, each output must have been drawn independently with its probability
    (active inference). Human-rated outputs without a judge score count for human-only and
    are left out of PPI++ (a note says how many).
    """
    labelled, unlabelled = outputs.labelled, outputs.unlabelled
    y, yhat, yu = outputs.human[labelled], outputs.judge[labelled], outputs.judge[unlabelled]
    judged = outputs.judge[outputs.judged]
    judge_only = clt_mean(
        judged,
        confidence=confidence,
        empty_reason=NO_JUDGE,
        one_reason=ONE_JUDGED,
        constant_reason=JUDGE_CONSTANT,
    )
    if outputs.probability is None:
        human_only = clt_mean(
            outputs.human[outputs.labelled_any],
            confidence=confidence,
            empty_reason=NO_HUMAN,
            one_reason=ONE_HUMAN,
            constant_reason=HUMAN_CONSTANT,
        )
        ppi = ppi_mean(y, yhat, yu, confidence=confidence)
        probability = np.full(y.size, y.size / max(judged.size, 1))
    else:
        rated = outputs.labelled_any
        human_only = weighted_human_mean(
            outputs.human[rated],
            outputs.probability[rated],
            outputs.size - int(rated.sum()),
            confidence=confidence,
        )
        probability = outputs.probability[labelled]
        ppi = ppi_mean_weighted(y, yhat, probability, yu, confidence=confidence)
    return Estimates(
        human_only=human_only,
        judge_only=judge_only,
        ppi=ppi,
        sampling=UNIFORM if outputs.probability is None else WEIGHTED,
        confidence=confidence,
        sample_check=sample_check(yhat, probability, judged),
        notes=_notes(outputs),
    )


def _notes(outputs: ScoredOutputs) -> tuple[str, ...]:
    """Return the sentences a reader needs beside the numbers."""
    notes = [LABELLED_SET]
    missing = int((outputs.labelled_any & ~outputs.judged).sum())
    if missing:
        notes.append(
            f"{missing} human-rated output{'s have' if missing != 1 else ' has'} no judge score: "
            "counted in the human-only estimate, left out of PPI++."
        )
    return tuple(notes)


def sample_check(
    labelled_judge: np.ndarray, probability: np.ndarray, all_judge: np.ndarray
) -> SampleCheck:
    """Return whether the human-rated outputs' judge scores look like a random draw.

    labelled_judge and probability are the judge scores and inclusion probabilities of the
    human-rated outputs, all_judge the judge scores of every judged output. The weighted
    (Hajek) mean of the labelled scores is compared with the mean over all, with the
    design variance of Poisson sampling. Not proof of a biased sample, but a lead who
    hand-picked the outputs to rate will almost always trip it.
    """
    n = int(labelled_judge.size)
    if n < 2 or all_judge.size < 2:
        return SampleCheck(None, None, None, False, "too few human-rated outputs to check")
    if n >= all_judge.size:
        return SampleCheck(None, None, None, False, "every judged output has a human rating")
    weights = 1.0 / probability
    labelled_mean = float(weights @ labelled_judge / weights.sum())
    all_mean = float(all_judge.mean())
    size = all_judge.size
    variance = float(((1 - probability) * weights**2) @ np.square(labelled_judge - all_mean))
    se = math.sqrt(variance) / size
    if not se > 0:
        return SampleCheck(labelled_mean, all_mean, None, False, "no variation to check with")
    z = (labelled_mean - all_mean) / se
    suspect = abs(z) > SAMPLE_CHECK_Z
    message = (
        "The human-rated outputs do not look like a random sample: the judge scores them "
        f"{labelled_mean:.2f} on average against {all_mean:.2f} over all judged outputs "
        f"(z = {z:.1f}). The estimates assume a random sample (or known inclusion "
        "probabilities) and are not valid for a hand-picked one."
        if suspect
        else None
    )
    return SampleCheck(labelled_mean, all_mean, z, suspect, message)
