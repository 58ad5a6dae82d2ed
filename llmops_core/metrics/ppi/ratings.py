"""Judge-assisted estimates of long-format ratings (item, reviewer, criterion, score) as JSON.

The offline door of ``manage.py estimate``: one reviewer is the judge, the others are humans;
an optional version column splits the estimates per version, an optional column carries each
output's inclusion probability (active sampling).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import (
    BoolArray,
    FloatArray,
    IntArray,
    ValueNotOnScaleError,
    describe_scale,
    factorize,
    value_indices,
)
from llmops_core.metrics.longformat import LongRatings, RatingsError, read_ratings_columns
from llmops_core.metrics.ppi.estimates import estimate_outputs
from llmops_core.metrics.ppi.outputs import scored_outputs
from llmops_core.metrics.report import reject_duplicates

VERSION_COLUMN = "version"


@dataclass(frozen=True)
class EstimateRatings:
    """Long-format ratings with, per rating, its version and inclusion probability (if any)."""

    ratings: LongRatings
    version: npt.NDArray[np.object_] | None = None
    probability: FloatArray | None = None
    probability_column: str | None = None


def read_estimate_csv(stream: TextIO, *, weights: str | None = None) -> EstimateRatings:
    """Return the ratings of a CSV with header item,reviewer,criterion,score[,version].

    weights names the column holding each output's inclusion probability (blank on rows
    that do not carry it). Errors name the row and field.
    """
    optional = (VERSION_COLUMN,) + ((weights,) if weights else ())
    ratings, extra = read_ratings_columns(stream, optional=optional)
    assert ratings.row is not None
    if weights and weights not in extra:
        raise RatingsError(f'header: no column "{weights}" (named by --weights)')
    version = None
    if VERSION_COLUMN in extra:
        texts = extra[VERSION_COLUMN]
        for text, line in zip(texts, ratings.row, strict=True):
            if text is None:
                raise RatingsError(f'row {line}, field "{VERSION_COLUMN}": empty')
        version = np.asarray(texts, dtype=object)
    probability = None
    if weights:
        probability = np.array(
            [
                _probability(text, int(line), weights)
                for text, line in zip(extra[weights], ratings.row, strict=True)
            ]
        )
    return EstimateRatings(ratings, version, probability, weights)


def _probability(text: str | None, line: int, column: str) -> float:
    """Return an inclusion probability from CSV text (NaN when blank)."""
    if text is None:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:
        raise RatingsError(
            f'row {line}, field "{column}": "{text}" is not an inclusion probability in (0, 1]'
        )
    return value


def estimate_ratings(
    data: EstimateRatings,
    *,
    judge: str,
    scale: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Return the estimates per criterion (and per version when the data has versions).

    Human scores must lie on the scale; the judge's may fall between levels (an expected
    score) but not outside it. Every output belongs to one version, carries one inclusion
    probability, and has it whenever a human rated it.
    """
    ratings = data.ratings
    items, item_labels = factorize(ratings.item)
    reviewers, reviewer_labels = factorize(ratings.reviewer)
    criteria, criterion_labels = factorize(ratings.criterion)
    reject_duplicates(ratings, items, reviewers, criteria)
    if judge not in reviewer_labels:
        raise RatingsError(f'--judge "{judge}": no row has reviewer "{judge}"')
    is_judge = reviewers == reviewer_labels.index(judge)
    if scale is not None:
        _check_scale(ratings, np.sort(np.asarray(scale, dtype=np.float64)), is_judge)
    versions, version_labels = _versions(data, items)
    per_item = None if data.probability is None else _item_probabilities(data, items, is_judge)
    labels = np.asarray(item_labels, dtype=object)
    groups: dict[str, Any] = {}
    for v, version in enumerate(version_labels):
        block: dict[str, Any] = {}
        for c, criterion in enumerate(criterion_labels):
            rows = (criteria == c) & (versions == v)
            if rows.any():
                block[str(criterion)] = _estimate(
                    rows, is_judge, items, labels, ratings, per_item, confidence
                )
        groups[str(version)] = block
    head: dict[str, Any] = {
        "judge": judge,
        "confidence": confidence,
        "sampling": "uniform"
        if data.probability_column is None
        else f'inclusion probabilities from column "{data.probability_column}"',
    }
    if data.version is None:
        return {**head, "criteria": groups[str(version_labels[0])]}
    return {**head, "versions": {name: {"criteria": block} for name, block in groups.items()}}


def _estimate(
    rows: BoolArray,
    is_judge: BoolArray,
    items: IntArray,
    labels: npt.NDArray[np.object_],
    ratings: LongRatings,
    per_item: FloatArray | None,
    confidence: float,
) -> dict[str, Any]:
    """Return the estimates of one (version, criterion) group."""
    judge_rows, human_rows = rows & is_judge, rows & ~is_judge
    codes = np.arange(labels.size)
    outputs = scored_outputs(
        judge_items=items[judge_rows],
        judge_scores=ratings.score[judge_rows],
        human_items=items[human_rows],
        human_scores=ratings.score[human_rows],
        probability=None if per_item is None else (codes, per_item),
    )
    outputs = dataclasses.replace(outputs, item=labels[outputs.item])
    return estimate_outputs(outputs, confidence=confidence).as_dict()


def _check_scale(ratings: LongRatings, values: FloatArray, is_judge: BoolArray) -> None:
    """Raise unless human scores are on the scale and judge scores within its range."""
    human = np.flatnonzero(~is_judge)
    try:
        value_indices(ratings.score[human], values)
    except ValueNotOnScaleError as exc:
        where = ratings.where(int(human[exc.position]))
        raise RatingsError(f'{where}, field "score": {exc}') from None
    judged = np.flatnonzero(is_judge)
    scores = ratings.score[judged]
    outside = np.flatnonzero((scores < values[0]) | (scores > values[-1]))
    if outside.size:
        first = int(judged[outside[0]])
        raise RatingsError(
            f'{ratings.where(first)}, field "score": {ratings.score[first]:g} is outside the '
            f"scale {describe_scale(values)} (the judge's scores may fall between levels, "
            "not outside the scale)"
        )


def _first_per_item(items: IntArray, rows: IntArray, count: int) -> IntArray:
    """Return, per item code, the first of `rows` (in file order) with that item, or -1."""
    first = np.full(count, -1, dtype=np.int64)
    keys, position = np.unique(items[rows], return_index=True)
    first[keys] = rows[position]
    return first


def _versions(data: EstimateRatings, items: IntArray) -> tuple[IntArray, list[object]]:
    """Return each rating's version code and the version names; one version per item."""
    ratings = data.ratings
    if data.version is None:
        return np.zeros(len(ratings), dtype=np.int64), [""]
    codes, names = factorize(data.version)
    first = _first_per_item(items, np.arange(len(ratings)), int(items.max(initial=-1)) + 1)
    clash = np.flatnonzero(codes != codes[first[items]])
    if clash.size:
        row, earlier = int(clash[0]), int(first[items[clash[0]]])
        raise RatingsError(
            f'{ratings.where(row)}, field "{VERSION_COLUMN}": item {ratings.item[row]!r} is '
            f"already under version {data.version[earlier]!r} ({ratings.where(earlier)})"
        )
    return codes, names


def _item_probabilities(data: EstimateRatings, items: IntArray, is_judge: BoolArray) -> FloatArray:
    """Return each item's inclusion probability (NaN when none); one per item, and required
    for every item a human rated."""
    ratings, probability, column = data.ratings, data.probability, data.probability_column
    assert probability is not None
    count = int(items.max(initial=-1)) + 1
    given = np.flatnonzero(np.isfinite(probability))
    first = _first_per_item(items, given, count)
    per_item = np.full(count, np.nan)
    per_item[items[given]] = probability[first[items[given]]]
    clash = given[probability[given] != per_item[items[given]]]
    if clash.size:
        row, earlier = int(clash[0]), int(first[items[clash[0]]])
        raise RatingsError(
            f'{ratings.where(row)}, field "{column}": item {ratings.item[row]!r} already has '
            f"inclusion probability {probability[earlier]:g} ({ratings.where(earlier)})"
        )
    human = np.flatnonzero(~is_judge)
    lacking = human[np.isnan(per_item[items[human]])]
    if lacking.size:
        row = int(lacking[0])
        raise RatingsError(
            f'{ratings.where(row)}, field "{column}": item {ratings.item[row]!r} has a human '
            "rating but no inclusion probability on any of its rows"
        )
    return per_item
