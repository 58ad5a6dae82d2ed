"""Per-reviewer agreement with the others' consensus, bias, gold accuracy and weekly trend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray, nearest_value_index

NOT_COMPARED = "no item this reviewer rated was rated by another reviewer"
NO_GOLD = "this reviewer rated no gold item"
NO_SPREAD = "this reviewer's scores or the others' consensus do not vary, so r is 0/0"
CONSENSUS_FIELDS = ("exact", "within_1", "pairwise_exact", "mae", "bias")
GOLD_FIELDS = ("exact", "within_1", "mae", "bias")


@dataclass(frozen=True)
class ReviewerInputs:
    """Human ratings of one criterion, coded, plus what the per-reviewer table needs."""

    unit: IntArray
    rater: IntArray
    score: FloatArray
    vidx: IntArray
    counts: IntArray  # units x values
    values: FloatArray  # sorted scale
    n_raters: int


def _group_sums(
    group: IntArray, n_groups: int, columns: dict[str, FloatArray]
) -> dict[str, FloatArray]:
    """Return per-group sums of each column (bincount; no Python loop over rows)."""
    return {
        name: np.bincount(group, weights=column, minlength=n_groups).astype(np.float64)
        for name, column in columns.items()
    }


def _means(
    sums: dict[str, FloatArray], n: FloatArray, names: Sequence[str]
) -> dict[str, FloatArray]:
    """Return sums divided by n, NaN where n is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return {name: np.where(n > 0, sums[name] / n, np.nan) for name in names}


def consensus_columns(data: ReviewerInputs) -> tuple[np.ndarray, dict[str, FloatArray]]:
    """Return which ratings have another rating on their item, and per-rating comparisons.

    Each rating is compared with the leave-one-out consensus of its item: the mean of the
    other reviewers' scores. Exact and within-1 use that mean rounded to the nearest scale
    value (ties up); mae and bias use it unrounded; pairwise_exact is the share of the other
    reviewers who gave the same score.
    """
    per_unit = np.bincount(data.unit, minlength=data.counts.shape[0])
    sums = np.bincount(data.unit, weights=data.score, minlength=per_unit.size)
    others = per_unit[data.unit] - 1
    compared = others >= 1
    safe = np.maximum(others, 1)
    consensus = (sums[data.unit] - data.score) / safe
    rounded = data.values[nearest_value_index(consensus, data.values)]
    same = data.counts[data.unit, data.vidx] - 1
    columns = {
        "exact": (data.score == rounded).astype(np.float64),
        "within_1": (np.abs(data.score - rounded) <= 1.0 + 1e-9).astype(np.float64),
        "pairwise_exact": same / safe,
        "mae": np.abs(data.score - consensus),
        "bias": data.score - consensus,
        "x": data.score,
        "y": consensus,
        "xx": data.score**2,
        "yy": consensus**2,
        "xy": data.score * consensus,
    }
    return compared, columns


def _pearson(sums: dict[str, FloatArray], n: FloatArray) -> FloatArray:
    """Return Pearson's r per group from sums of x, y, x^2, y^2 and xy; NaN if undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        sxx = sums["xx"] - sums["x"] ** 2 / n
        syy = sums["yy"] - sums["y"] ** 2 / n
        sxy = sums["xy"] - sums["x"] * sums["y"] / n
        r = sxy / np.sqrt(sxx * syy)
    return np.where((n > 1) & (sxx > 1e-9) & (syy > 1e-9), np.clip(r, -1.0, 1.0), np.nan)


def _row(
    values: dict[str, FloatArray], index: int, fields: Sequence[str], reason: str
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Return one group's fields as floats (None if undefined) and reasons for the Nones."""
    row: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    for name in fields:
        value = float(values[name][index])
        row[name] = value if np.isfinite(value) else None
        if row[name] is None:
            reasons[name] = reason
    return row, reasons


def reviewer_table(
    data: ReviewerInputs,
    labels: Sequence[object],
    *,
    gold: FloatArray | None = None,
    week: IntArray | None = None,
    week_labels: Sequence[str] = (),
) -> list[dict[str, object]]:
    """Return one row per reviewer: consensus agreement, bias, gold accuracy, weekly trend.

    gold holds the gold score of each rating's item (NaN when the item has none); week
    holds each rating's ISO week code (-1 when unknown).
    """
    compared, columns = consensus_columns(data)
    n_raters = data.n_raters
    n_ratings = np.bincount(data.rater, minlength=n_raters)
    group = data.rater[compared]
    sums = _group_sums(group, n_raters, {k: v[compared] for k, v in columns.items()})
    n = np.bincount(group, minlength=n_raters).astype(np.float64)
    means = _means(sums, n, CONSENSUS_FIELDS)
    means["pearson"] = _pearson(sums, n)
    gold_means, gold_n = _gold_means(data, gold) if gold is not None else ({}, None)
    weekly = _weekly(data, compared, columns, week, week_labels) if week is not None else None
    rows: list[dict[str, object]] = []
    for rater in range(n_raters):
        row: dict[str, object] = {
            "reviewer": labels[rater],
            "n_ratings": int(n_ratings[rater]),
            "n_compared": int(n[rater]),
        }
        values, reasons = _row(means, rater, (*CONSENSUS_FIELDS, "pearson"), NOT_COMPARED)
        if n[rater] > 0 and "pearson" in reasons:
            reasons["pearson"] = NO_SPREAD
        row.update(values)
        if gold_n is not None:
            gold_row, gold_reasons = _row(gold_means, rater, GOLD_FIELDS, NO_GOLD)
            row["gold"] = {"n": int(gold_n[rater]), **gold_row}
            if gold_reasons:
                reasons["gold"] = NO_GOLD
        if weekly is not None:
            row["weekly"] = weekly[rater]
        row["reasons"] = reasons
        rows.append(row)
    return rows


def _gold_means(data: ReviewerInputs, gold: FloatArray) -> tuple[dict[str, FloatArray], FloatArray]:
    """Return per-reviewer accuracy against gold scores and the number of gold ratings."""
    has_gold = np.isfinite(gold)
    score, target = data.score[has_gold], gold[has_gold]
    group = data.rater[has_gold]
    columns = {
        "exact": (score == target).astype(np.float64),
        "within_1": (np.abs(score - target) <= 1.0 + 1e-9).astype(np.float64),
        "mae": np.abs(score - target),
        "bias": score - target,
    }
    n = np.bincount(group, minlength=data.n_raters).astype(np.float64)
    return _means(_group_sums(group, data.n_raters, columns), n, GOLD_FIELDS), n


def _weekly(
    data: ReviewerInputs,
    compared: np.ndarray,
    columns: dict[str, FloatArray],
    week: IntArray,
    week_labels: Sequence[str],
) -> list[list[dict[str, object]]]:
    """Return, per reviewer, their agreement with the others' consensus in each ISO week."""
    n_weeks = len(week_labels)
    dated = week >= 0
    key = data.rater * max(n_weeks, 1) + np.maximum(week, 0)
    size = data.n_raters * max(n_weeks, 1)
    n_ratings = np.bincount(key[dated], minlength=size)
    chosen = dated & compared
    sums = _group_sums(key[chosen], size, {k: columns[k][chosen] for k in CONSENSUS_FIELDS})
    n = np.bincount(key[chosen], minlength=size).astype(np.float64)
    means = _means(sums, n, CONSENSUS_FIELDS)
    table: list[list[dict[str, object]]] = [[] for _ in range(data.n_raters)]
    for cell in np.flatnonzero(n_ratings):
        rater, week_code = divmod(int(cell), max(n_weeks, 1))
        values, reasons = _row(means, int(cell), CONSENSUS_FIELDS, NOT_COMPARED)
        entry: dict[str, object] = {
            "week": week_labels[week_code],
            "n_ratings": int(n_ratings[cell]),
            "n_compared": int(n[cell]),
            **values,
        }
        if reasons:
            entry["reason"] = NOT_COMPARED
        table[rater].append(entry)
    return table
