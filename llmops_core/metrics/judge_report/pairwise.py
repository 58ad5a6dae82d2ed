"""Pairwise judges: position bias (verdict flips when the order is swapped) and agreement with
human preferences, from plain verdict rows (no database).

Until reviewers state pairwise preferences, the human preference of a pair is read from the
human consensus scores of its two outputs: A when A's mean is at least ``TIE_MARGIN`` points
higher, B when B's is, else a tie. The report says so next to the numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from llmops_core.metrics.judge_report.types import PairRow

TIE_MARGIN = 0.5
HUMAN_SOURCE = (
    "Human preferences are derived from the reviewers' mean scores of the two outputs "
    f"(a difference under {TIE_MARGIN:g} points counts as a tie)."
)


def human_preference(a: float | None, b: float | None, margin: float = TIE_MARGIN) -> str | None:
    """Return "A", "B" or "tie" from the two outputs' human means (None if either is unrated)."""
    if a is None or b is None:
        return None
    if a - b >= margin:
        return "A"
    if b - a >= margin:
        return "B"
    return "tie"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def pairwise_criterion(rows: Sequence[PairRow], means: Mapping[int, float]) -> dict[str, Any]:
    """Return the position-bias and human-agreement figures of one criterion's verdicts."""
    both = [r for r in rows if r.verdict_ab and r.verdict_ba]
    flips = [r for r in both if r.verdict_ab != r.verdict_ba]
    first_shown = sum(1 for r in flips if (r.verdict_ab, r.verdict_ba) == ("A", "B"))
    second_shown = sum(1 for r in flips if (r.verdict_ab, r.verdict_ba) == ("B", "A"))
    compared = [
        (r, pref)
        for r in both
        if (pref := human_preference(means.get(r.output_a), means.get(r.output_b))) is not None
    ]
    decisive = [(r, pref) for r, pref in compared if pref != "tie"]
    return {
        "n_pairs": len(rows),
        "n_both_orders": len(both),
        "flips": len(flips),
        "position_bias_rate": _share(len(flips), len(both)),
        "prefers_first_shown": first_shown,
        "prefers_second_shown": second_shown,
        "final": dict(Counter(r.final or "incomplete" for r in rows)),
        "n_with_human": len(compared),
        "human_agreement": _share(sum(r.final == p for r, p in compared), len(compared)),
        "human_agreement_a_first_only": _share(
            sum(r.verdict_ab == p for r, p in compared), len(compared)
        ),
        "n_human_decisive": len(decisive),
        "decisive_agreement": _share(sum(r.final == p for r, p in decisive), len(decisive)),
    }


def pairwise_section(
    rows_by_criterion: Mapping[str, Sequence[PairRow]],
    means_by_criterion: Mapping[str, Mapping[int, float]],
) -> dict[str, Any]:
    """Return the pairwise section: per criterion, and the overall position-bias rate."""
    criteria = {
        name: pairwise_criterion(rows, means_by_criterion.get(name, {}))
        for name, rows in rows_by_criterion.items()
    }
    both = sum(c["n_both_orders"] for c in criteria.values())
    flips = sum(c["flips"] for c in criteria.values())
    compared = sum(c["n_with_human"] for c in criteria.values())
    agreed = sum(round((c["human_agreement"] or 0) * c["n_with_human"]) for c in criteria.values())
    return {
        "criteria": criteria,
        "position_bias_rate": _share(flips, both),
        "human_agreement": _share(agreed, compared),
        "human_source": HUMAN_SOURCE,
    }
