"""Per-item consensus (mean, median) and disagreement (std, range), most contested first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray


@dataclass(frozen=True)
class ItemStats:
    """Arrays indexed by unit: rating count, consensus and spread of the ratings."""

    n: IntArray
    mean: FloatArray
    median: FloatArray
    std: FloatArray  # population standard deviation (ddof=0)
    range: FloatArray
    sorted_scores: FloatArray  # all scores, grouped by unit, ascending within a unit
    start: IntArray  # where each unit's scores begin in sorted_scores

    def scores_of(self, unit: int) -> list[float]:
        """Return the unit's scores in ascending order."""
        begin = int(self.start[unit])
        return self.sorted_scores[begin : begin + int(self.n[unit])].tolist()


def item_statistics(unit: IntArray, score: FloatArray, n_units: int) -> ItemStats:
    """Return each unit's count, mean, median, standard deviation and range (NaN if unrated)."""
    order = np.lexsort((score, unit))
    ordered = score[order]
    n = np.bincount(unit, minlength=n_units)
    start = np.cumsum(n) - n
    rated = n > 0
    safe_n = np.maximum(n, 1)
    mean = np.bincount(unit, weights=score, minlength=n_units) / safe_n
    squares = np.bincount(unit, weights=(score - mean[unit]) ** 2, minlength=n_units)
    last = np.clip(start + n - 1, 0, max(ordered.size - 1, 0))
    first = np.clip(start, 0, max(ordered.size - 1, 0))
    lower = np.clip(start + (n - 1) // 2, 0, max(ordered.size - 1, 0))
    upper = np.clip(start + n // 2, 0, max(ordered.size - 1, 0))
    if ordered.size == 0:
        nothing = np.full(n_units, np.nan)
        return ItemStats(n, nothing, nothing, nothing, nothing, ordered, start)
    return ItemStats(
        n=n,
        mean=np.where(rated, mean, np.nan),
        median=np.where(rated, (ordered[lower] + ordered[upper]) / 2.0, np.nan),
        std=np.where(rated, np.sqrt(squares / safe_n), np.nan),
        range=np.where(rated, ordered[last] - ordered[first], np.nan),
        sorted_scores=ordered,
        start=start,
    )


def contested_items(
    stats: ItemStats, labels: Sequence[object], limit: int = 50
) -> dict[str, object]:
    """Return counts of contested items and the `limit` most contested, by std then range."""
    pairable = np.flatnonzero(stats.n >= 2)
    order = np.lexsort((-stats.n[pairable], -stats.range[pairable], -stats.std[pairable]))
    top = pairable[order[:limit]]
    summary: dict[str, object] = {
        "n_items": int((stats.n > 0).sum()),
        "n_rated_once": int((stats.n == 1).sum()),
        "n_rated_by_two_or_more": int(pairable.size),
        "n_with_disagreement": int((stats.range[pairable] > 0).sum()),
        "n_disagreeing_by_more_than_1": int((stats.range[pairable] > 1 + 1e-9).sum()),
        "mean_std": float(stats.std[pairable].mean()) if pairable.size else None,
        "sorted_by": "std (population) descending, then range, then number of ratings",
        "limit": limit,
        "most_contested": [
            {
                "item": _plain(labels[unit]),
                "n": int(stats.n[unit]),
                "mean": float(stats.mean[unit]),
                "median": float(stats.median[unit]),
                "std": float(stats.std[unit]),
                "range": float(stats.range[unit]),
                "scores": stats.scores_of(int(unit)),
            }
            for unit in top
        ],
    }
    if not pairable.size:
        summary["reasons"] = {"mean_std": "no item has ratings from two reviewers"}
    return summary


def _plain(label: object) -> object:
    """Return a JSON-friendly form of a label (numpy scalars become Python values)."""
    return label.item() if isinstance(label, np.generic) else label
