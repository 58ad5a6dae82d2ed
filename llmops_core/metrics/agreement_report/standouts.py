"""Reviewers who stand out from the rest, and reviewers' accuracy on gold items, in plain words.

The rule, stated on the report page as ``RULE``: a reviewer stands out on a criterion when

- their bias, the mean difference between their score and the mean of the other reviewers'
  scores on the same item, is more than ``BIAS_POINTS`` scale points away from zero and its 95%
  interval (Student's t over the items they share with others) excludes zero; or
- their agreement with the rest, the share of the other reviewers of an item who gave the same
  score (``pairwise_exact``), is ``AGREEMENT_GAP`` or more below the median of the other
  reviewers' on that criterion. Agreement with the rounded consensus is not used here: one
  reviewer far off moves the consensus every other reviewer is compared with.

Both need ``MIN_COMPARED`` items shared with another reviewer, and the agreement test needs two
other reviewers to take a median of. Gold accuracy is the share of a reviewer's ratings of gold
items that equal the gold score, over every criterion.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.words import count, join, label, share

BIAS_POINTS = 0.5
AGREEMENT_GAP = 0.2
MIN_COMPARED = 10
CONFIDENCE = 0.95
RULE = (
    f"A reviewer stands out on a criterion when their scores differ from the other reviewers' "
    f"mean on the same items by more than {BIAS_POINTS:g} points on average, with a 95% interval "
    f"that excludes zero, or when they give the same score as another reviewer of the item "
    f"at least {AGREEMENT_GAP * 100:.0f} percentage points less often than the other reviewers "
    f"typically do (median); "
    f"each needs {MIN_COMPARED} or more items shared with another reviewer."
)
ONE_ITEM = "only one item shared with another reviewer; an interval needs two"


def bias_intervals(
    item: npt.NDArray[Any], reviewer: npt.NDArray[Any], score: npt.NDArray[np.float64]
) -> dict[str, dict[str, Any]]:
    """Return each reviewer's mean difference from the others on the same item, with its CI.

    One criterion's ratings, one entry per rating. The difference of a rating is its score
    minus the mean of the other reviewers' scores of the item (items nobody else rated are
    left out), the same as the reviewer table's bias; the interval is Student's t.
    """
    _, codes = np.unique(np.asarray(item, dtype=object).astype(str), return_inverse=True)
    n = np.bincount(codes)
    total = np.bincount(codes, weights=score)
    others = n[codes] - 1
    shared = others >= 1
    difference = score - (total[codes] - score) / np.maximum(others, 1)
    result: dict[str, dict[str, Any]] = {}
    for name in sorted(set(reviewer.tolist()), key=str):
        mine = difference[shared & (reviewer == name)]
        result[str(name)] = _interval(mine)
    return result


def _interval(values: npt.NDArray[np.float64]) -> dict[str, Any]:
    n = int(values.size)
    if n < 2:
        return {"n": n, "low": None, "high": None, "reason": ONE_ITEM}
    from scipy import stats  # imported where used: web processes never load scipy

    mean = float(values.mean())
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1)) * float(values.std(ddof=1)) / n**0.5
    return {"n": n, "low": mean - half, "high": mean + half, "reason": None}


def _bias_finding(name: str, row: Mapping[str, Any]) -> dict[str, Any] | None:
    bias, ci = row.get("bias"), row.get("bias_ci") or {}
    low, high = ci.get("low"), ci.get("high")
    if bias is None or low is None or high is None or row["n_compared"] < MIN_COMPARED:
        return None
    if abs(bias) <= BIAS_POINTS or low <= 0 <= high:
        return None
    way = "higher" if bias > 0 else "lower"
    return {
        "kind": "bias",
        "reviewer": str(row["reviewer"]),
        "criterion": name,
        "value": bias,
        "text": (
            f"{row['reviewer']} rates {label(name)} {abs(bias):.1f} points {way} than the "
            f"other reviewers on the same items (95% CI {abs(low):.1f} to {abs(high):.1f} "
            f"points {way}, {count(row['n_compared'], 'item')})."
        ),
    }


def _agreement_finding(
    name: str, row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    def usable(r: Mapping[str, Any]) -> bool:
        return r.get("pairwise_exact") is not None and r["n_compared"] >= MIN_COMPARED

    others = [r["pairwise_exact"] for r in rows if r["reviewer"] != row["reviewer"] and usable(r)]
    if not usable(row) or len(others) < 2:
        return None
    typical = statistics.median(others)
    if row["pairwise_exact"] > typical - AGREEMENT_GAP:
        return None
    return {
        "kind": "agreement",
        "reviewer": str(row["reviewer"]),
        "criterion": name,
        "value": row["pairwise_exact"],
        "text": (
            f"{row['reviewer']} gives the same {label(name)} score as another reviewer of the "
            f"item {share(row['pairwise_exact'])} of the time over "
            f"{count(row['n_compared'], 'item')}, against {share(typical)} for the other "
            "reviewers (median)."
        ),
    }


def standouts(sections: Mapping[str, Any], order: Sequence[str]) -> list[dict[str, Any]]:
    """Return every (reviewer, criterion) that stands out by ``RULE``, in criterion order."""
    found = []
    for name in order:
        rows = sections[name]["reviewers"] if name in sections else []
        for row in rows:
            for finding in (_bias_finding(name, row), _agreement_finding(name, row, rows)):
                if finding:
                    found.append(finding)
    return found


def gold_accuracy(sections: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each reviewer's share of gold-item ratings equal to the gold score (all criteria).

    Empty when no criterion has gold items; a reviewer who rated none has ``exact`` None.
    """
    totals: dict[str, list[float]] = {}
    for section in sections.values():
        for row in section["reviewers"]:
            gold = row.get("gold")
            if gold is None:
                continue
            seen = totals.setdefault(str(row["reviewer"]), [0, 0.0])
            if gold["n"] and gold.get("exact") is not None:
                seen[0] += gold["n"]
                seen[1] += gold["exact"] * gold["n"]
    return [
        {"reviewer": name, "n": int(n), "exact": matched / n if n else None}
        for name, (n, matched) in sorted(totals.items())
    ]


def gold_sentence(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Return "On gold items, a matched the gold score in 90% of 20 ratings; ..." (or None)."""
    if not rows:
        return None
    parts = [
        f"{r['reviewer']} rated no gold item"
        if r["exact"] is None
        else f"{r['reviewer']} matched the gold score in {share(r['exact'])} of "
        f"{count(r['n'], 'rating')}"
        for r in rows
    ]
    return "On gold items (scores set in advance): " + "; ".join(parts) + "."


def reviewer_summary(sections: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """Return the reviewers part of the summary: findings, gold accuracy and their sentences."""
    found = standouts(sections, order)
    compared = any(r["n_compared"] for s in sections.values() for r in s["reviewers"])
    if found:
        sentences = [f["text"] for f in found]
    elif compared:
        names = join([label(n) for n in order if n in sections])
        sentences = [f"No reviewer stands out on {names} by the rule below."]
    else:
        sentences = ["Reviewers cannot be compared: no item was rated by two or more of them."]
    gold = gold_accuracy(sections)
    line = gold_sentence(gold)
    if line:
        sentences.append(line)
    return {"findings": found, "gold": gold, "sentences": sentences, "rule": RULE}
