"""Build the agreement report of long-format ratings: every metric, per criterion, as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import (
    FloatArray,
    IntArray,
    ValueNotOnScaleError,
    distinct_values,
    factorize,
    value_counts,
    value_indices,
)
from llmops_core.metrics.longformat import LongRatings, RatingsError
from llmops_core.metrics.sections import Criterion, Options, criterion_report
from llmops_core.metrics.weeks import iso_weeks


def agreement_report(
    ratings: LongRatings,
    *,
    scale: Sequence[float] | None = None,
    judge: str | None = None,
    bootstrap_draws: int = 1000,
    seed: int = 0,
    gold: Mapping[tuple[object, object], float] | None = None,
    timestamps: Sequence[object] | npt.NDArray[np.generic] | None = None,
    confidence: float = 0.95,
    top_items: int = 50,
) -> dict[str, object]:
    """Return the agreement report: {"criteria": {name: {...}}, "parameters": {...}}.

    ratings are long-format; judge names the reviewer whose scores are the LLM judge's
    (excluded from every human metric); gold maps (item, criterion) to a gold score;
    timestamps run parallel to ratings. Undefined values are None with the reason under
    "reasons". The output holds only plain Python values and is JSON-serialisable.
    """
    values = None if scale is None else np.sort(np.asarray(scale, dtype=np.float64))
    options = Options(values, judge, bootstrap_draws, seed, confidence, top_items)
    items, item_labels = factorize(ratings.item)
    reviewers, reviewer_labels = factorize(ratings.reviewer)
    criteria, criterion_labels = factorize(ratings.criterion)
    reject_duplicates(ratings, items, reviewers, criteria)
    week, week_labels = (None, []) if timestamps is None else _weeks(ratings, timestamps)
    judge_code = reviewer_labels.index(judge) if judge in reviewer_labels else -1
    codes = _Codes(ratings, items, item_labels, reviewers, reviewer_labels, judge_code, week)
    report: dict[str, object] = {}
    for code, name in enumerate(criterion_labels):
        rows = np.flatnonzero(criteria == code)
        gold_per_item = _gold_lookup(gold, item_labels, name)
        criterion = _code_criterion(codes, rows, str(name), options, gold_per_item)
        report[str(name)] = criterion_report(criterion, options, week_labels)
    return {
        "criteria": report,
        "parameters": {
            "scale": None if values is None else values.tolist(),
            "judge": judge,
            "bootstrap_draws": bootstrap_draws,
            "seed": seed,
            "confidence": confidence,
        },
    }


def reject_duplicates(
    ratings: LongRatings, items: IntArray, reviewers: IntArray, criteria: IntArray
) -> None:
    """Raise if a reviewer rated the same item on the same criterion twice."""
    key = (items * (int(reviewers.max(initial=0)) + 1) + reviewers) * (
        int(criteria.max(initial=0)) + 1
    ) + criteria
    order = np.argsort(key, kind="stable")
    repeated = np.flatnonzero(key[order][1:] == key[order][:-1])
    if repeated.size:
        first, second = int(order[repeated[0]]), int(order[repeated[0] + 1])
        raise RatingsError(
            f"{ratings.where(second)}: reviewer {ratings.reviewer[second]!r} already rated "
            f"item {ratings.item[second]!r} on criterion {ratings.criterion[second]!r} "
            f"({ratings.where(first)})"
        )


def _weeks(
    ratings: LongRatings, timestamps: Sequence[object] | npt.NDArray[np.generic]
) -> tuple[IntArray, list[str]]:
    """Return the ISO week code of each rating, naming the rating of a bad timestamp."""
    if len(timestamps) != len(ratings):
        raise RatingsError("timestamps must have one entry per rating")
    try:
        return iso_weeks(timestamps)
    except ValueError as exc:
        raise RatingsError(f"timestamps: {exc}") from None


def _gold_lookup(
    gold: Mapping[tuple[object, object], float] | None, item_labels: list[object], criterion: object
) -> FloatArray | None:
    """Return the gold score of each item on this criterion (NaN without one), or None."""
    if gold is None:
        return None
    position = {label: i for i, label in enumerate(item_labels)}
    per_item = np.full(len(item_labels), np.nan)
    for (item, name), score in gold.items():
        if name == criterion and item in position:
            per_item[position[item]] = float(score)
    return per_item


def _scale_for(options: Options, scores: FloatArray) -> FloatArray:
    """Return the declared scale, or the distinct observed scores when none was declared."""
    return options.scale if options.scale is not None else distinct_values(scores)


@dataclass(frozen=True)
class _Codes:
    """Integer codes of every rating's item and reviewer, with their labels."""

    ratings: LongRatings
    items: IntArray
    item_labels: list[object]
    reviewers: IntArray
    reviewer_labels: list[object]
    judge_code: int
    week: IntArray | None


def _code_criterion(
    codes: _Codes, rows: IntArray, name: str, options: Options, gold_per_item: FloatArray | None
) -> Criterion:
    """Return one criterion's ratings coded as units, raters and value indices."""
    ratings = codes.ratings
    items_here, unit = np.unique(codes.items[rows], return_inverse=True)
    is_judge = codes.reviewers[rows] == codes.judge_code
    values = _scale_for(options, ratings.score[rows])
    try:
        vidx = value_indices(ratings.score[rows], values)
    except ValueNotOnScaleError as exc:
        where = ratings.where(int(rows[exc.position]))
        raise RatingsError(f'{where}, field "score": {exc}') from None
    human = ~is_judge
    rater, rater_codes = np.unique(codes.reviewers[rows][human], return_inverse=True)
    judge_index = None
    if options.judge is not None:
        judge_index = np.full(items_here.size, -1, dtype=np.int64)
        judge_index[unit[is_judge]] = vidx[is_judge]
    return Criterion(
        name=name,
        unit=unit[human],
        unit_labels=[codes.item_labels[i] for i in items_here],
        rater=rater_codes.astype(np.int64),
        rater_labels=[codes.reviewer_labels[i] for i in rater],
        score=ratings.score[rows][human],
        vidx=vidx[human],
        values=values,
        counts=value_counts(unit[human], vidx[human], items_here.size, values.size),
        judge_index=judge_index,
        gold=None if gold_per_item is None else gold_per_item[items_here][unit[human]],
        week=None if codes.week is None else codes.week[rows][human],
    )
