"""Paired comparisons of two prompt versions: bootstrap CI, signed-rank test, win rates, verdict.

Everything works on plain arrays of paired scores (candidate and baseline on the same inputs).
The verdict asks for two things at once: the bootstrap interval of the mean difference excludes
zero *and* the Wilcoxon signed-rank test rejects at ``alpha``. When they disagree, or either
cannot be computed, the versions are "not distinguishable with this much data", and the sample
size estimate says roughly how many more paired inputs would settle it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.bootstrap import Interval, percentile_interval, resampled_multiplicities
from llmops_core.metrics.sample_size import DEFAULT_POWER, SampleSize, required_pairs

FloatArray = npt.NDArray[np.float64]

BETTER: Final = "better"
WORSE: Final = "worse"
NOT_DISTINGUISHABLE: Final = "not_distinguishable"
VERDICTS: Final = (BETTER, WORSE, NOT_DISTINGUISHABLE)

DEFAULT_ALPHA: Final = 0.05
DEFAULT_DRAWS: Final = 2000

NO_PAIRS = "no input was rated for both versions"
ONE_PAIR = "only one paired input; an interval needs at least two"
ALL_ZERO = "every paired difference is zero"


def _finite(values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]


def min_signed_rank_n(alpha: float = DEFAULT_ALPHA) -> int:
    """Return the fewest non-zero differences with which a two-sided signed-rank p can be < alpha.

    The smallest exact two-sided p-value with n non-zero differences is 2 / 2**n (all of one
    sign), so below this n the test can never reject: 6 at alpha 0.05.
    """
    return max(1, math.floor(math.log2(2.0 / alpha)) + 1)


def mean_bootstrap_ci(
    values: npt.ArrayLike,
    *,
    draws: int = DEFAULT_DRAWS,
    confidence: float = 0.95,
    seed: int = 0,
    empty_reason: str = "no values",
) -> Interval:
    """Return the percentile bootstrap interval of a mean, resampling the values (seeded).

    Scores on rating scales (and their differences) take few distinct values, so the
    resampling draws how often each distinct value appears, which is exactly the ordinary
    bootstrap and costs little for thousands of draws.
    """
    x = _finite(values)
    if x.size == 0:
        return Interval(None, None, confidence, draws, 0, empty_reason)
    if x.size == 1:
        return Interval(
            None, None, confidence, draws, 0, "only one value; an interval needs at least two"
        )
    distinct, counts = np.unique(x, return_counts=True)
    rng = np.random.default_rng(seed)
    blocks = [block @ distinct / x.size for block in resampled_multiplicities(counts, draws, rng)]
    samples = np.concatenate(blocks) if blocks else np.empty(0)
    return percentile_interval(samples, confidence, draws, empty_reason)


def paired_bootstrap_ci(
    differences: npt.ArrayLike,
    *,
    draws: int = DEFAULT_DRAWS,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Return the percentile bootstrap interval of the mean paired difference (seeded).

    Paired inputs are resampled with replacement, each keeping both of its scores.
    """
    d = _finite(differences)
    if d.size == 1:
        return Interval(None, None, confidence, draws, 0, ONE_PAIR)
    return mean_bootstrap_ci(
        d, draws=draws, confidence=confidence, seed=seed, empty_reason=NO_PAIRS
    )


@dataclass(frozen=True)
class SignedRankTest:
    """A Wilcoxon signed-rank test of paired differences, or None with the reason it was not run."""

    n: int
    n_nonzero: int
    statistic: float | None
    p_value: float | None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "n": self.n,
            "n_nonzero": self.n_nonzero,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "reason": self.reason,
        }


def wilcoxon_signed_rank(
    differences: npt.ArrayLike, *, alpha: float = DEFAULT_ALPHA
) -> SignedRankTest:
    """Return scipy's two-sided Wilcoxon signed-rank test of the paired differences.

    Zero differences are dropped (Wilcoxon's original treatment, scipy's default). With every
    difference zero there is no evidence of a difference at all: p is 1. With fewer non-zero
    differences than ``min_signed_rank_n(alpha)`` the test cannot reject, so no p is reported.
    """
    d = _finite(differences)
    nonzero = int(np.count_nonzero(d))
    if d.size == 0:
        return SignedRankTest(0, 0, None, None, NO_PAIRS)
    if nonzero == 0:
        return SignedRankTest(int(d.size), 0, 0.0, 1.0, ALL_ZERO)
    needed = min_signed_rank_n(alpha)
    if nonzero < needed:
        reason = (
            f"only {nonzero} paired input{'s' if nonzero != 1 else ''} differ; the "
            f"signed-rank test needs at least {needed} to reach p < {alpha:g}"
        )
        return SignedRankTest(int(d.size), nonzero, None, None, reason)
    from scipy import stats  # scipy loads where a test runs, not in every web process

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided")
    return SignedRankTest(int(d.size), nonzero, float(result.statistic), float(result.pvalue))


def wilson_interval(
    successes: int, n: int, *, confidence: float = 0.95
) -> tuple[float | None, float | None]:
    """Return the Wilson score interval of a proportion (None, None when n is 0)."""
    if n <= 0:
        return None, None
    from scipy import stats

    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def win_tie_loss(wins: int, ties: int, losses: int, *, confidence: float = 0.95) -> dict[str, Any]:
    """Return counts, rates with Wilson intervals, and the preference rate (ties count half)."""
    n = wins + ties + losses
    result: dict[str, Any] = {"n": n, "confidence": confidence}
    for name, count in (("win", wins), ("tie", ties), ("loss", losses)):
        low, high = wilson_interval(count, n, confidence=confidence)
        result[name] = {
            "count": count,
            "rate": count / n if n else None,
            "ci_low": low,
            "ci_high": high,
        }
    result["preference"] = (wins + 0.5 * ties) / n if n else None
    return result


def outcome_counts(differences: npt.ArrayLike) -> tuple[int, int, int]:
    """Return (wins, ties, losses) of the candidate from paired differences."""
    d = _finite(differences)
    return int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum())


def decide(
    interval: Interval, test: SignedRankTest, *, alpha: float = DEFAULT_ALPHA
) -> tuple[str, str]:
    """Return the verdict (better / worse / not_distinguishable) and why."""
    if test.p_value is None:
        return NOT_DISTINGUISHABLE, test.reason or "the signed-rank test could not be run"
    if interval.low is None or interval.high is None:
        return NOT_DISTINGUISHABLE, interval.reason or "no bootstrap interval"
    significant = test.p_value < alpha
    if significant and interval.low > 0:
        return BETTER, f"the interval is above zero and p < {alpha:g}"
    if significant and interval.high < 0:
        return WORSE, f"the interval is below zero and p < {alpha:g}"
    if significant or interval.low > 0 or interval.high < 0:
        return NOT_DISTINGUISHABLE, "the bootstrap interval and the signed-rank test disagree"
    if test.reason == ALL_ZERO:
        return NOT_DISTINGUISHABLE, ALL_ZERO
    return NOT_DISTINGUISHABLE, f"the interval includes zero and p >= {alpha:g}"


@dataclass(frozen=True)
class PairedComparison:
    """Candidate vs baseline on one criterion, over inputs both were scored on."""

    n: int
    mean_candidate: float | None
    mean_baseline: float | None
    mean_difference: float | None
    sd_difference: float | None
    interval: Interval
    test: SignedRankTest
    sample_size: SampleSize
    verdict: str
    reason: str
    outcomes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored in reports."""
        return {
            "n": self.n,
            "mean_candidate": self.mean_candidate,
            "mean_baseline": self.mean_baseline,
            "mean_difference": self.mean_difference,
            "sd_difference": self.sd_difference,
            "ci": self.interval.as_dict(),
            "wilcoxon": self.test.as_dict(),
            "sample_size": self.sample_size.as_dict(),
            "verdict": self.verdict,
            "reason": self.reason,
            "outcomes": self.outcomes,
        }


def paired_compare(
    candidate: Sequence[float] | FloatArray,
    baseline: Sequence[float] | FloatArray,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    confidence: float = 0.95,
) -> PairedComparison:
    """Compare paired scores (same inputs, same order); pairs with a missing side are dropped."""
    a = np.asarray(candidate, dtype=np.float64).ravel()
    b = np.asarray(baseline, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired scores differ in length: {a.size} candidate, {b.size} baseline")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    d = a - b
    interval = paired_bootstrap_ci(d, draws=draws, confidence=confidence, seed=seed)
    test = wilcoxon_signed_rank(d, alpha=alpha)
    verdict, reason = decide(interval, test, alpha=alpha)
    size = required_pairs(d, alpha=alpha, power=power)
    if verdict != NOT_DISTINGUISHABLE and size.required is not None:
        size = SampleSize(size.required, 0, power, alpha)
    n = int(d.size)
    return PairedComparison(
        n=n,
        mean_candidate=float(a.mean()) if n else None,
        mean_baseline=float(b.mean()) if n else None,
        mean_difference=float(d.mean()) if n else None,
        sd_difference=float(d.std(ddof=1)) if n > 1 else None,
        interval=interval,
        test=test,
        sample_size=size,
        verdict=verdict,
        reason=reason,
        outcomes=win_tie_loss(*outcome_counts(d), confidence=confidence),
    )


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _p_text(p: float | None) -> str:
    if p is None:
        return "no p-value"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def verdict_sentence(
    criterion: str, result: dict[str, Any], *, candidate: str, baseline: str
) -> str:
    """Return the plain-words verdict on one criterion, from ``PairedComparison.as_dict()``."""
    n = result["n"]
    if n == 0:
        return f"{candidate} and {baseline} cannot be compared on {criterion}: {NO_PAIRS}."
    ci = result["ci"]
    detail = [_signed(result["mean_difference"])]
    if ci.get("low") is not None:
        detail.append(
            f"{round(100 * ci['confidence'])}% CI {_signed(ci['low'])} to {_signed(ci['high'])}"
        )
    detail.append(_p_text(result["wilcoxon"]["p_value"]))
    detail.append(f"{n} paired input{'s' if n != 1 else ''}")
    numbers = "; ".join(detail)
    if result["verdict"] == BETTER:
        return f"{candidate} is better than {baseline} on {criterion} ({numbers})."
    if result["verdict"] == WORSE:
        return f"{candidate} is worse than {baseline} on {criterion} ({numbers})."
    size = result["sample_size"]
    if size["more"] is not None and size["more"] > 0:
        more = (
            f" About {size['more']} more paired input{'s' if size['more'] != 1 else ''} would "
            f"be needed to detect a difference this size ({size['power']:.0%} power, "
            f"alpha {size['alpha']:g})."
        )
    elif size["more"] == 0:
        more = (
            " The observed difference would usually be detectable with this many inputs, "
            "but the two tests disagree; a few more ratings should settle it."
        )
    else:
        more = f" How many more inputs would be needed: {size['reason']}."
    return (
        f"{candidate} and {baseline} are not distinguishable on {criterion} with this "
        f"much data ({numbers}).{more}"
    )


def headline(verdicts: dict[str, str], *, candidate: str, baseline: str) -> str:
    """Return one sentence over every criterion: where the candidate is better, worse, the same."""
    groups: dict[str, list[str]] = {v: [] for v in VERDICTS}
    for criterion, verdict in verdicts.items():
        groups[verdict].append(criterion)
    if not verdicts:
        return f"{candidate} and {baseline} have no ratings on the same inputs yet."
    parts = []
    if groups[BETTER]:
        parts.append(f"better on {_join(groups[BETTER])}")
    if groups[WORSE]:
        parts.append(f"worse on {_join(groups[WORSE])}")
    if groups[NOT_DISTINGUISHABLE]:
        parts.append(
            f"not distinguishable on {_join(groups[NOT_DISTINGUISHABLE])} with this much data"
        )
    return f"{candidate} vs {baseline}: " + "; ".join(parts) + "."


def _join(words: list[str]) -> str:
    """Return "a", "a and b" or "a, b and c"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
