"""When reviewers disagree on an item: the rules behind adaptive overlap and adjudication.

Pure computation on plain scores; no database. An item is *contested* when, on some criterion,
its ratings spread by ``threshold`` points or more (for ratings 2, 4, 4 the spread is 2). Extra
reviewers cannot shrink a spread, so once an item has more ratings than the queue's overlap it
counts as settled when, on every criterion, more than half of the ratings agree: they lie
within ``threshold - 1`` points of each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import median

DEFAULT_THRESHOLD = 2


@dataclass(frozen=True)
class Verdict:
    contested: bool
    criteria: tuple[str, ...]  # the criteria that disagree


def spread(scores: Sequence[int]) -> int:
    """Return max - min of ``scores`` (0 for fewer than two)."""
    return max(scores) - min(scores) if len(scores) > 1 else 0


def agreeing_majority(scores: Sequence[int], threshold: int) -> bool:
    """Return whether more than half of ``scores`` lie within ``threshold - 1`` of each other."""
    ordered = sorted(scores)
    width = max(threshold - 1, 0)
    best, start = 0, 0
    for end, value in enumerate(ordered):
        while value - ordered[start] > width:
            start += 1
        best = max(best, end - start + 1)
    return best * 2 > len(ordered)


def assess(ratings: Mapping[str, Sequence[int]], *, threshold: int | None, overlap: int) -> Verdict:
    """Return whether an item's ratings (scores per criterion) are contested."""
    limit = threshold or DEFAULT_THRESHOLD
    disagreeing = []
    for name, scores in ratings.items():
        if spread(scores) < limit:
            continue
        if len(scores) > overlap and agreeing_majority(scores, limit):
            continue
        disagreeing.append(name)
    return Verdict(contested=bool(disagreeing), criteria=tuple(disagreeing))


def suggested_scores(ratings: Mapping[str, Sequence[int]]) -> dict[str, int]:
    """Return the median score per criterion, rounded half up: a starting point to adjudicate."""
    return {name: int(median(scores) + 0.5) for name, scores in ratings.items() if scores}
