"""The alternative-annotator test: could the judge replace one of the human reviewers?

Following Calderon, Reichart & Dror (2025), "The Alternative Annotator Test for LLM-as-a-Judge":
each reviewer in turn is held out; the judge and that reviewer are both compared with the
consensus (mean) of the *other* reviewers on the items all three saw. Per item the advantage
is how much closer the judge lands than the reviewer. A one-sided paired t-test asks whether
the judge is worse by more than ``epsilon`` scale points; if not, the judge "wins" against
that reviewer. The judge passes when it wins against at least half of the reviewers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from llmops_core.metrics.coding import nearest_value_index
from llmops_core.metrics.judge_report.criterion import consensus
from llmops_core.metrics.judge_report.types import FloatArray
from llmops_core.metrics.kappa import agreement_weights, weighted_kappa
from llmops_core.metrics.words import count

MIN_ITEMS = 10
SIGNIFICANCE = 0.05
EPSILON_SHARE = 0.05  # of the scale's range: 0.2 points on a 1-5 scale


def _kappa(scores: FloatArray, target: FloatArray, values: FloatArray) -> float | None:
    """Return quadratic kappa of scores against the rounded target (None if undefined)."""
    weights = agreement_weights(values, "quadratic")
    if weights is None or scores.size == 0:
        return None
    table = np.zeros((values.size, values.size))
    rows = nearest_value_index(scores, values)
    columns = nearest_value_index(target, values)
    np.add.at(table, (rows, columns), 1)
    value = float(weighted_kappa(table[None], weights)[0])
    return value if math.isfinite(value) else None


def _not_worse_p(advantage: FloatArray, epsilon: float) -> float:
    """Return the p-value of H0 "the judge is worse by epsilon or more" (one-sided t-test)."""
    if advantage.size < 2 or float(np.std(advantage)) == 0.0:
        return 0.0 if float(np.mean(advantage)) > -epsilon else 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from scipy import stats  # imported where used: web processes never load scipy

        result = stats.ttest_1samp(advantage, -epsilon, alternative="greater")
    return float(result.pvalue)


def _held_out(
    human: FloatArray,
    judge: FloatArray,
    index: int,
    values: FloatArray,
    epsilon: float,
    min_items: int,
) -> dict[str, Any]:
    """Return the comparison of the judge with reviewer ``index`` against the others."""
    others = consensus(np.delete(human, index, axis=0))
    use = np.isfinite(human[index]) & np.isfinite(judge) & np.isfinite(others)
    n = int(use.sum())
    row: dict[str, Any] = {"n_items": n}
    if n < min_items:
        row["reason"] = (
            f"only {n} item(s) shared with the judge and another reviewer; "
            f"the test needs {min_items}"
        )
        return row
    mine, judged, target = human[index, use], judge[use], others[use]
    human_distance, judge_distance = np.abs(mine - target), np.abs(judged - target)
    advantage = human_distance - judge_distance
    p_value = _not_worse_p(advantage, epsilon)
    row.update(
        {
            "human_distance": float(human_distance.mean()),
            "judge_distance": float(judge_distance.mean()),
            "advantage": float(advantage.mean()),
            "p_value": p_value,
            "judge_not_worse": p_value < SIGNIFICANCE,
            "human_kappa": _kappa(mine, target, values),
            "judge_kappa": _kappa(judged, target, values),
            "human_within_1": float((human_distance <= 1.0 + 1e-9).mean()),
            "judge_within_1": float((judge_distance <= 1.0 + 1e-9).mean()),
        }
    )
    return row


def _sentence(wins: int, tested: int, epsilon: float) -> tuple[str, str]:
    """Return the verdict code and its plain-words sentence."""
    if tested == 0:
        return "unknown", (
            "Cannot tell yet whether the judge is as good as a reviewer: no reviewer shares "
            f"{MIN_ITEMS} or more items with the judge and another reviewer."
        )
    if wins * 2 >= tested:
        return "as_good", (
            "The judge agrees with the humans about as well as a typical reviewer does: "
            f"it is not worse than {wins} of {count(tested, 'reviewer')} by more than "
            f"{epsilon:g} points (alternative-annotator test)."
        )
    return "worse", (
        "The judge agrees with the humans less well than a typical reviewer does: it is "
        f"shown to be within {epsilon:g} points of only {wins} of {count(tested, 'reviewer')} "
        "(alternative-annotator test)."
    )


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    found = [r[key] for r in rows if r.get(key) is not None]
    return float(np.median(found)) if found else None


def alternative_annotator(
    human: FloatArray,
    judge: FloatArray,
    reviewers: Sequence[str],
    values: FloatArray,
    *,
    epsilon: float | None = None,
    min_items: int = MIN_ITEMS,
) -> dict[str, Any]:
    """Return the alternative-annotator test of the judge against each reviewer."""
    eps = epsilon if epsilon is not None else EPSILON_SHARE * float(values[-1] - values[0])
    rows = []
    for index, name in enumerate(reviewers):
        if human.shape[0] < 2:
            break
        rows.append({"reviewer": name, **_held_out(human, judge, index, values, eps, min_items)})
    tested = [r for r in rows if "reason" not in r]
    wins = sum(1 for r in tested if r["judge_not_worse"])
    verdict, sentence = _sentence(wins, len(tested), eps)
    return {
        "epsilon": eps,
        "significance": SIGNIFICANCE,
        "min_items": min_items,
        "reviewers": rows,
        "n_tested": len(tested),
        "wins": wins,
        "winning_rate": wins / len(tested) if tested else None,
        "verdict": verdict,
        "sentence": sentence,
        "median_human_kappa": _median(tested, "human_kappa"),
        "median_judge_kappa": _median(tested, "judge_kappa"),
    }
