"""Plain data the judge comparison report is computed from (no database, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CriterionScale:
    """A criterion of the judge's rubric version and its integer scale."""

    name: str
    scale_min: int
    scale_max: int

    @property
    def values(self) -> FloatArray:
        return np.arange(self.scale_min, self.scale_max + 1, dtype=np.float64)


@dataclass(frozen=True)
class OutputInfo:
    """What the report shows about one output: ids for links, length, short excerpts."""

    output_id: int
    external_id: str
    words: int
    input_excerpt: str
    output_excerpt: str
    item_id: int | None = None
    queue_id: int | None = None


@dataclass(frozen=True)
class HumanMatrix:
    """One criterion's human ratings: reviewers x items (NaN where a reviewer did not rate)."""

    reviewers: list[str]
    scores: FloatArray


@dataclass(frozen=True)
class PairRow:
    """One pairwise verdict of a judge: both orders, mapped to A/B, and the final verdict."""

    output_a: int
    output_b: int
    verdict_ab: str
    verdict_ba: str
    final: str
    rationale: str = ""


@dataclass(frozen=True)
class CostInfo:
    """What a judge version paid for its calls, over every run it made."""

    paid_calls: int = 0
    cost: float | None = None
    unpriced_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    calls_per_item: int = 1

    @property
    def per_1000_items(self) -> float | None:
        """Return the cost of judging 1,000 new items (None when no paid call had a price)."""
        priced = self.paid_calls - self.unpriced_calls
        if self.cost is None or priced <= 0:
            return None
        return self.cost / priced * self.calls_per_item * 1000


@dataclass(frozen=True)
class VersionScores:
    """One judge version's results on the report's items, with its cost."""

    version_id: int
    judge: str
    number: int
    model: str
    mode: str
    is_subject: bool = False
    run_ids: list[int] = field(default_factory=list)
    # criterion -> output id -> (score, rationale); pointwise versions only.
    scores: dict[str, dict[int, tuple[int, str]]] = field(default_factory=dict)
    # criterion -> verdict rows; pairwise versions only.
    pairs: dict[str, list[PairRow]] = field(default_factory=dict)
    cost: CostInfo = field(default_factory=CostInfo)

    @property
    def label(self) -> str:
        return f"{self.judge} v{self.number}"


@dataclass(frozen=True)
class ComparisonData:
    """Everything the report needs, read once from a consistent snapshot."""

    criteria: list[CriterionScale]
    items: list[int]  # output ids of the rated items, the columns of every human matrix
    humans: dict[str, HumanMatrix]
    outputs: dict[int, OutputInfo]
    versions: list[VersionScores]
    n_ratings: int = 0

    @property
    def subject(self) -> VersionScores:
        return next(v for v in self.versions if v.is_subject)
