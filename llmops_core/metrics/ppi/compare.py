"""Compare two versions on one criterion: human-only, judge-only and PPI++ differences.

Paired on inputs both versions answered: the per-input difference (candidate minus baseline)
is the quantity estimated, its judge difference the prediction, and the inputs whose two
outputs are both human-rated the labelled set. Unpaired otherwise: each version's estimate
separately, the difference's variance the sum of theirs (conservative when the versions
share inputs, since it ignores their positive correlation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from llmops_core.metrics.coding import BoolArray, FloatArray
from llmops_core.metrics.ppi.estimates import Estimates, estimate_outputs
from llmops_core.metrics.ppi.mean import (
    HUMAN_CONSTANT,
    JUDGE_CONSTANT,
    MeanInterval,
    PPIMean,
    clt_mean,
    ppi_mean,
    z_value,
)
from llmops_core.metrics.ppi.outputs import ScoredOutputs
from llmops_core.metrics.ppi.weighted import ppi_mean_weighted, weighted_human_mean

# The same words as the bootstrap comparison in metrics.significance, so a gate rule reads
# either kind of verdict the same way.
BETTER: Final = "better"
WORSE: Final = "worse"
NOT_DISTINGUISHABLE: Final = "not_distinguishable"

PAIRED: Final = "paired"
UNPAIRED: Final = "unpaired"
BASES: Final = ("human_only", "judge_only", "ppi")
BASIS_WORDS: Final = {
    "human_only": "human ratings only",
    "judge_only": "judge scores only",
    "ppi": "judge-assisted (PPI++)",
}

NO_HUMAN_PAIR = "no input has human ratings for both versions"
ONE_HUMAN_PAIR = "only one input has human ratings for both versions; an interval needs two"
NO_JUDGE_PAIR = "the judge scored no input for both versions"
ONE_JUDGE_PAIR = "the judge scored only one input for both versions; an interval needs two"


@dataclass(frozen=True)
class Difference:
    """Candidate minus baseline on one basis, its interval and the verdict it supports."""

    mean: float | None
    low: float | None
    high: float | None
    se: float | None
    n_human: int
    n_judge: int
    verdict: str
    reason: str | None = None
    lam: float | None = None
    effective_n: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "se": self.se,
            "n_human": self.n_human,
            "n_judge": self.n_judge,
            "lambda": self.lam,
            "effective_n": self.effective_n,
            "verdict": self.verdict,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Comparison:
    """The difference between two versions on every basis, and how it was computed."""

    design: str
    confidence: float
    n_pairs: int
    human_only: Difference
    judge_only: Difference
    ppi: Difference
    notes: tuple[str, ...]

    def difference(self, basis: str) -> Difference:
        """Return the difference on one basis: human_only, judge_only or ppi."""
        if basis not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
        result: Difference = getattr(self, basis)
        return result

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored with comparisons and release-gate evidence."""
        return {
            "design": self.design,
            "confidence": self.confidence,
            "n_pairs": self.n_pairs,
            **{basis: self.difference(basis).as_dict() for basis in BASES},
            "notes": list(self.notes),
        }


def verdict_of(low: float | None, high: float | None) -> str:
    """Return better / worse when the interval excludes zero, else not_distinguishable."""
    if low is not None and low > 0:
        return BETTER
    if high is not None and high < 0:
        return WORSE
    return NOT_DISTINGUISHABLE


def _from_mean(result: MeanInterval, n_judge: int = 0) -> Difference:
    """Return a Difference from a human-only or judge-only mean of paired differences."""
    n_human = 0 if n_judge else result.n
    return Difference(
        result.mean, result.low, result.high, result.se, n_human, n_judge,
        verdict_of(result.low, result.high), result.reason,
    )  # fmt: skip


def _from_ppi(result: PPIMean) -> Difference:
    """Return a Difference from a PPI++ mean of paired differences."""
    return Difference(
        result.mean, result.low, result.high, result.se, result.n_human, result.n_judge,
        verdict_of(result.low, result.high), result.reason, result.lam, result.effective_n,
    )  # fmt: skip


def compare_outputs(
    candidate: ScoredOutputs,
    baseline: ScoredOutputs,
    *,
    confidence: float = 0.95,
    design: str = "auto",
) -> Comparison:
    """Return the candidate-minus-baseline difference on every basis.

    design "auto" pairs on shared inputs when both versions carry inputs, each input appears
    once per version, and at least half of the smaller version's human-rated outputs (and
    at least two) have their counterpart rated too; otherwise it compares unpaired. With
    inclusion probabilities, a pair's probability is the product of its two outputs'
    (the outputs were drawn independently).
    """
    if design not in ("auto", PAIRED, UNPAIRED):
        raise ValueError(f'design must be "auto", "paired" or "unpaired", not {design!r}')
    pairing, why = _pairing(candidate, baseline)
    if design == PAIRED and pairing is None:
        raise ValueError(f"cannot pair the versions: {why}")
    if pairing is not None and design != UNPAIRED:
        both_rated = int(np.sum(np.isfinite(pairing[0].human) & np.isfinite(pairing[1].human)))
        fewest = min(int(candidate.labelled_any.sum()), int(baseline.labelled_any.sum()))
        if design == PAIRED or both_rated >= max(2, fewest / 2):
            return _paired(pairing[0], pairing[1], confidence)
        why = (
            f"only {both_rated} input{'s' if both_rated != 1 else ''} have human ratings for "
            "both versions, so pairing would waste most human ratings"
        )
    return _unpaired(candidate, baseline, confidence, why)


def _pairing(
    candidate: ScoredOutputs, baseline: ScoredOutputs
) -> tuple[tuple[ScoredOutputs, ScoredOutputs] | None, str]:
    """Return both versions' outputs on shared inputs, in the same order, or None and why."""
    if candidate.input is None or baseline.input is None:
        return None, "the outputs carry no input keys"
    if (candidate.probability is None) != (baseline.probability is None):
        return None, "only one version's human ratings were drawn with inclusion probabilities"
    keys = []
    for inputs in (candidate.input, baseline.input):
        present = np.flatnonzero([key is not None for key in inputs.tolist()])
        values = inputs[present]
        if np.unique(values).size != values.size:
            return None, "a version has several outputs for the same input"
        keys.append((present, values))
    _, left, right = np.intersect1d(keys[0][1], keys[1][1], return_indices=True)
    if left.size == 0:
        return None, "the versions share no input"
    return (candidate.subset(keys[0][0][left]), baseline.subset(keys[1][0][right])), ""


def _paired(a: ScoredOutputs, b: ScoredOutputs, confidence: float) -> Comparison:
    """Return the comparison of outputs paired by position (candidate a, baseline b)."""
    human = a.human - b.human
    judge = a.judge - b.judge
    rated, judged = np.isfinite(human), np.isfinite(judge)
    weighted = a.probability is not None and b.probability is not None
    pair_probability = a.probability * b.probability if weighted else None  # type: ignore[operator]
    if pair_probability is None:
        human_only = clt_mean(
            human[rated],
            confidence=confidence,
            empty_reason=NO_HUMAN_PAIR,
            one_reason=ONE_HUMAN_PAIR,
            constant_reason=HUMAN_CONSTANT,
        )
    else:
        human_only = weighted_human_mean(
            human[rated], pair_probability[rated], a.size - int(rated.sum()), confidence=confidence
        )
    judge_only = clt_mean(
        judge[judged],
        confidence=confidence,
        empty_reason=NO_JUDGE_PAIR,
        one_reason=ONE_JUDGE_PAIR,
        constant_reason=JUDGE_CONSTANT,
    )
    ppi = _paired_ppi(human, judge, rated & judged, judged & ~rated, pair_probability, confidence)
    notes = ("Paired on the inputs both versions answered; the difference is candidate minus "
             "baseline on the same input.",)  # fmt: skip
    return Comparison(
        PAIRED,
        confidence,
        a.size,
        _from_mean(human_only),
        _from_mean(judge_only, n_judge=int(judged.sum())),
        _from_ppi(ppi),
        notes,
    )


def _paired_ppi(
    human: FloatArray,
    judge: FloatArray,
    labelled: BoolArray,
    unlabelled: BoolArray,
    pair_probability: FloatArray | None,
    confidence: float,
) -> PPIMean:
    """Return the PPI++ mean of paired differences (weighted with pair probabilities)."""
    if pair_probability is None:
        return ppi_mean(human[labelled], judge[labelled], judge[unlabelled], confidence=confidence)
    return ppi_mean_weighted(
        human[labelled],
        judge[labelled],
        pair_probability[labelled],
        judge[unlabelled],
        confidence=confidence,
    )


def _unpaired(
    candidate: ScoredOutputs, baseline: ScoredOutputs, confidence: float, why: str
) -> Comparison:
    """Return the comparison of two independent estimates."""
    first = estimate_outputs(candidate, confidence=confidence)
    second = estimate_outputs(baseline, confidence=confidence)
    z = z_value(confidence)
    differences = {basis: _subtract(first, second, basis, z) for basis in BASES}
    notes = (f"Compared unpaired: {why}.",) if why else ()
    return Comparison(UNPAIRED, confidence, 0, notes=notes, **differences)


def _subtract(first: Estimates, second: Estimates, basis: str, z: float) -> Difference:
    """Return first minus second on one basis; the variances add."""
    one, two = getattr(first, basis), getattr(second, basis)
    if basis == "ppi":
        n_human, n_judge = one.n_human + two.n_human, one.n_judge + two.n_judge
    else:
        n_human = one.n + two.n if basis == "human_only" else 0
        n_judge = one.n + two.n if basis == "judge_only" else 0
    for name, result in (("candidate", one), ("baseline", two)):
        if result.mean is None or result.se is None:
            reason = f"{name}: {result.reason or 'no interval'}"
            return Difference(None, None, None, None, n_human, n_judge, NOT_DISTINGUISHABLE, reason)
    mean = one.mean - two.mean
    se = math.sqrt(one.se**2 + two.se**2)
    low, high = mean - z * se, mean + z * se
    return Difference(mean, low, high, se, n_human, n_judge, verdict_of(low, high))


def comparison_sentence(
    comparison: Comparison, *, basis: str = "ppi", candidate: str, baseline: str, criterion: str
) -> str:
    """Return the verdict in plain words, with the difference and its interval."""
    result = comparison.difference(basis)
    how = f"{BASIS_WORDS[basis]}, {comparison.design}"
    if result.mean is None or result.low is None or result.high is None:
        return (
            f"{candidate} and {baseline} cannot be compared on {criterion} ({how}): "
            f"{result.reason or 'no interval'}."
        )
    level = round(100 * comparison.confidence)
    numbers = f"{result.mean:+.2f}, {level}% CI {result.low:+.2f} to {result.high:+.2f}; {how}"
    if result.verdict == BETTER:
        return f"{candidate} is better than {baseline} on {criterion} ({numbers})."
    if result.verdict == WORSE:
        return f"{candidate} is worse than {baseline} on {criterion} ({numbers})."
    return (
        f"{candidate} and {baseline} are not distinguishable on {criterion} with this much "
        f"data ({numbers}): the interval includes zero."
    )
