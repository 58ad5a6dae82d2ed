"""Per-output consensus of a block of outputs: mean, median, spread, agreement, final score.

The numbers come from ``llmops_core.metrics.items.item_statistics``, run once per block over
every (output, criterion) unit, so a million ratings cost a few hundred numpy calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmops_core.metrics.items import item_statistics
from llmops_core.selectors.exports import CriterionInfo, OutputRatings, VersionInfo

# Derived numbers are rounded so files read cleanly (3.333333, not 3.3333333333333335) and do
# not depend on the order a library happens to sum in.
DIGITS = 6


def rounded(value: float) -> float:
    """Return a derived number rounded to the export's precision."""
    return round(float(value), DIGITS)


@dataclass(frozen=True)
class CriterionConsensus:
    """One criterion's ratings of one output, summarised; ``score`` is what ranks outputs."""

    n: int
    mean: float
    median: float
    std: float  # population standard deviation
    spread: float  # max - min
    judge: float | None
    adjudicated: float | None

    @property
    def score(self) -> float:
        """Return the adjudicated final score where there is one, else the mean rating."""
        return self.adjudicated if self.adjudicated is not None else self.mean


@dataclass
class OutputSummary:
    """An output in an export: its ratings and their consensus."""

    source: OutputRatings
    version: VersionInfo | None
    criteria: dict[str, CriterionConsensus]  # rated criteria, in the export's criterion order
    n_reviewers: int
    agreement: float | None
    disagreement: float | None
    # End-user feedback on the output (``selectors.feedback.feedback_for_outputs``).
    feedback: list[dict[str, Any]] = field(default_factory=list)

    @property
    def output_id(self) -> int:
        return self.source.output.id

    @property
    def flag_count(self) -> int:
        return self.source.flags.count if self.source.flags else 0

    @property
    def score(self) -> float | None:
        """Return the mean over criteria of each criterion's score (None if none is rated)."""
        if not self.criteria:
            return None
        return rounded(sum(c.score for c in self.criteria.values()) / len(self.criteria))

    def scores(self) -> dict[str, float]:
        """Return each rated criterion's score."""
        return {name: c.score for name, c in self.criteria.items()}


def summarise_block(
    block: Sequence[OutputRatings],
    *,
    criteria: Sequence[str],
    criteria_by_id: Mapping[int, CriterionInfo],
    scales: Mapping[str, tuple[int, int]],
    versions: Mapping[int, VersionInfo],
) -> list[OutputSummary]:
    """Return the consensus of every output in the block, in block order."""
    position = {name: i for i, name in enumerate(criteria)}
    column = {cid: position[c.name] for cid, c in criteria_by_id.items()}
    width = len(criteria)
    units = [
        index * width + column[row.criterion_id]
        for index, entry in enumerate(block)
        for row in entry.ratings
    ]
    scores = [row.score for entry in block for row in entry.ratings]
    stats = item_statistics(
        np.asarray(units, dtype=np.int64),
        np.asarray(scores, dtype=np.float64),
        len(block) * max(width, 1),
    )
    # Plain Python numbers, rounded once per block rather than once per value.
    n = stats.n.tolist()
    mean, median, std, spread = (
        np.round(values, DIGITS).tolist()
        for values in (stats.mean, stats.median, stats.std, stats.range)
    )
    summaries = []
    for index, entry in enumerate(block):
        per_criterion: dict[str, CriterionConsensus] = {}
        for name, offset in position.items():
            unit = index * width + offset
            if not n[unit]:
                continue
            per_criterion[name] = CriterionConsensus(
                n=n[unit],
                mean=mean[unit],
                median=median[unit],
                std=std[unit],
                spread=spread[unit],
                judge=entry.judge.get(name),
                adjudicated=_adjudicated(entry, name) if entry.adjudicated else None,
            )
        agreement, disagreement = _agreement(per_criterion, scales)
        version_id = entry.output.prompt_version_id
        summaries.append(
            OutputSummary(
                source=entry,
                version=versions.get(version_id) if version_id else None,
                criteria=per_criterion,
                n_reviewers=len(entry.annotations),
                agreement=agreement,
                disagreement=disagreement,
            )
        )
    return summaries


def _adjudicated(entry: OutputRatings, criterion: str) -> float | None:
    """Return the adjudicated score of the output on a criterion (the latest item's, if many)."""
    found = [score for (_, name), score in sorted(entry.adjudicated.items()) if name == criterion]
    return found[-1] if found else None


def _agreement(
    criteria: Mapping[str, CriterionConsensus], scales: Mapping[str, tuple[int, int]]
) -> tuple[float | None, float | None]:
    """Return (agreement, disagreement) of one output over its criteria rated twice or more.

    Agreement is 1 minus the mean over criteria of the standard deviation divided by the
    largest one the scale allows (half its width): 1 when all reviewers agree, 0 when they
    split between the two ends. Disagreement is the largest spread (max - min) in points.
    """
    paired = [(name, c) for name, c in criteria.items() if c.n >= 2]
    if not paired:
        return None, None
    ratios = []
    for name, consensus in paired:
        low, high = scales[name]
        ratios.append(consensus.std / ((high - low) / 2.0))
    return rounded(1.0 - sum(ratios) / len(ratios)), max(c.spread for _, c in paired)
