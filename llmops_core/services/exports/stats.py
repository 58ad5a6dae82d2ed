"""Figures for the datasheet, accumulated block by block while an export streams.

Agreement per criterion is Krippendorff's alpha from ``llmops_core.metrics.krippendorff``: its
coincidence matrix is a sum over units (queue items), so summing each block's matrix gives the
exact alpha of the whole export in constant memory; no sample, no cap.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmops_core.metrics.estimate import NO_VARIATION, no_pairs_reason
from llmops_core.metrics.krippendorff import alpha_from_coincidences, coincidence_matrix
from llmops_core.selectors.exports import AnnotationRow, CriterionInfo
from llmops_core.services.exports.consensus import OutputSummary


@dataclass
class CriterionTally:
    """One criterion's running totals: ratings, reviewers and the coincidence matrix."""

    values: np.ndarray
    coincidences: np.ndarray
    ratings: int = 0
    reviewers: set[int] = field(default_factory=set)
    units: int = 0
    pairable_units: int = 0
    unanimous_units: int = 0
    score_sum: float = 0.0

    def add(self, units: Sequence[Sequence[int]], reviewers: set[int]) -> None:
        """Add the ratings of some units (one list of scores per queue item)."""
        if not units:
            return
        lengths = np.fromiter((len(u) for u in units), dtype=np.int64, count=len(units))
        scores = np.fromiter(
            itertools.chain.from_iterable(units), dtype=np.int64, count=int(lengths.sum())
        )
        unit = np.repeat(np.arange(len(units)), lengths)
        counts = np.zeros((len(units), self.values.size), dtype=np.int64)
        np.add.at(counts, (unit, scores - int(self.values[0])), 1)
        starts = np.cumsum(lengths) - lengths
        spread = np.maximum.reduceat(scores, starts) - np.minimum.reduceat(scores, starts)
        paired = lengths >= 2
        self.ratings += int(scores.size)
        self.score_sum += float(scores.sum())
        self.units += len(units)
        self.pairable_units += int(paired.sum())
        self.unanimous_units += int((paired & (spread == 0)).sum())
        self.reviewers |= reviewers
        self.coincidences += coincidence_matrix(counts)

    def merge(self, other: CriterionTally) -> None:
        """Add another part's totals (parts hold different units, so the sums are exact)."""
        self.coincidences += other.coincidences
        self.ratings += other.ratings
        self.reviewers |= other.reviewers
        self.units += other.units
        self.pairable_units += other.pairable_units
        self.unanimous_units += other.unanimous_units
        self.score_sum += other.score_sum

    def as_dict(self) -> dict[str, Any]:
        """Return the criterion's figures, alpha with the reason when it is undefined."""
        result: dict[str, Any] = {
            "ratings": self.ratings,
            "reviewers": len(self.reviewers),
            "items": self.units,
            "items_rated_twice_or_more": self.pairable_units,
            "unanimous_share": _ratio(self.unanimous_units, self.pairable_units),
            "mean_score": _ratio(self.score_sum, self.ratings),
        }
        reasons: dict[str, str] = {}
        for level in ("ordinal", "interval"):
            key = f"alpha_{level}"
            if not self.pairable_units:
                result[key] = None
                reasons[key] = no_pairs_reason(len(self.reviewers))
                continue
            alpha = float(alpha_from_coincidences(self.coincidences, level, self.values))
            result[key] = round(alpha, 6) if np.isfinite(alpha) else None
            if result[key] is None:
                reasons[key] = NO_VARIATION
        if reasons:
            result["reasons"] = reasons
        return result


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


@dataclass
class ExportStats:
    """Everything the datasheet counts, filled in as the export streams."""

    scales: Mapping[str, tuple[int, int]]
    ratings_read: int = 0
    outputs_read: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    outputs: int = 0
    ratings: int = 0
    reviewers: set[int] = field(default_factory=set)
    reviewers_per_output: Counter[int] = field(default_factory=Counter)
    versions: Counter[int] = field(default_factory=Counter)
    queues: Counter[int] = field(default_factory=Counter)  # annotations per queue
    input_kinds: set[str] = field(default_factory=set)
    first_rating: dt.datetime | None = None
    last_rating: dt.datetime | None = None
    with_judge: int = 0
    with_adjudication: int = 0
    flagged: int = 0
    gold_items: set[int] = field(default_factory=set)
    criteria: dict[str, CriterionTally] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)

    def merge(self, other: ExportStats) -> None:
        """Add the figures of another part of the same export (a disjoint set of outputs)."""
        for name in (
            "ratings_read",
            "outputs_read",
            "outputs",
            "ratings",
            "with_judge",
            "with_adjudication",
            "flagged",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("excluded", "reviewers_per_output", "versions", "queues", "notes"):
            getattr(self, name).update(getattr(other, name))
        self.reviewers |= other.reviewers
        self.input_kinds |= other.input_kinds
        self.gold_items |= other.gold_items
        stamps = [s for s in (self.first_rating, other.first_rating) if s is not None]
        self.first_rating = min(stamps) if stamps else None
        stamps = [s for s in (self.last_rating, other.last_rating) if s is not None]
        self.last_rating = max(stamps) if stamps else None
        for name in sorted(other.criteria):
            self._tally(name).merge(other.criteria[name])

    def read(self, summaries: Sequence[OutputSummary]) -> None:
        """Count outputs and ratings read, before the output filters."""
        self.outputs_read += len(summaries)
        self.ratings_read += sum(len(s.source.ratings) for s in summaries)

    def keep(
        self, summaries: Sequence[OutputSummary], criteria: Mapping[int, CriterionInfo]
    ) -> None:
        """Add the outputs of a block that passed the filters, with their ratings."""
        units: dict[tuple[str, int], list[int]] = {}
        reviewers: dict[str, set[int]] = {}
        for summary in summaries:
            self._count(summary)
            annotations = summary.source.annotations
            for annotation in annotations.values():
                self._annotation(annotation)
            for rating in summary.source.ratings:
                annotation = annotations[rating.annotation_id]
                name = criteria[rating.criterion_id].name
                units.setdefault((name, annotation.item_id), []).append(rating.score)
                reviewers.setdefault(name, set()).add(annotation.reviewer_id)
        by_criterion: dict[str, list[list[int]]] = {}
        for (name, _), scores in units.items():
            by_criterion.setdefault(name, []).append(scores)
        for name, scores_per_unit in by_criterion.items():
            self._tally(name).add(scores_per_unit, reviewers[name])

    def _count(self, summary: OutputSummary) -> None:
        self.outputs += 1
        self.ratings += len(summary.source.ratings)
        self.reviewers_per_output[summary.n_reviewers] += 1
        self.versions[summary.source.output.prompt_version_id or 0] += 1
        self.input_kinds.add(type(summary.source.output.input).__name__)
        self.with_judge += bool(summary.source.judge)
        self.with_adjudication += bool(summary.source.adjudicated)
        self.flagged += bool(summary.flag_count)

    def _annotation(self, annotation: AnnotationRow) -> None:
        self.reviewers.add(annotation.reviewer_id)
        self.queues[annotation.queue_id] += 1
        if annotation.is_gold:
            self.gold_items.add(annotation.item_id)
        stamp = annotation.created_at
        if self.first_rating is None or stamp < self.first_rating:
            self.first_rating = stamp
        if self.last_rating is None or stamp > self.last_rating:
            self.last_rating = stamp

    def _tally(self, name: str) -> CriterionTally:
        if name not in self.criteria:
            low, high = self.scales[name]
            values = np.arange(low, high + 1, dtype=np.float64)
            self.criteria[name] = CriterionTally(values, np.zeros((values.size, values.size)))
        return self.criteria[name]
