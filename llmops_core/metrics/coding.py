"""Encode ratings as integers: label codes, value indices on a scale, per-unit value counts."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# A units x values count matrix beyond this many cells means the scores are effectively
# continuous; agreement on such data needs binning first, and we say so instead of
# exhausting memory.
MAX_COUNT_CELLS = 60_000_000


class ValueNotOnScaleError(ValueError):
    """A score is not one of the declared scale values."""

    def __init__(self, position: int, value: float, values: FloatArray) -> None:
        self.position = position
        self.value = value
        super().__init__(f"{value:g} is not on the scale {describe_scale(values)}")


def describe_scale(values: Sequence[float] | FloatArray) -> str:
    """Return a short human form of a scale: "1-5" for consecutive integers, else a list."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return "(empty)"
    is_integral = bool(np.all(array == np.round(array)))
    consecutive = array.size > 1 and bool(np.all(np.diff(array) == 1))
    if is_integral and consecutive:
        return f"{int(array[0])}-{int(array[-1])}"
    return ",".join(f"{value:g}" for value in array.tolist())


def factorize(labels: Sequence[object] | npt.NDArray[np.generic]) -> tuple[IntArray, list[object]]:
    """Return an integer code per label and the sorted distinct labels the codes index."""
    items = labels.tolist() if isinstance(labels, np.ndarray) else list(labels)
    index: dict[object, int] = {}
    codes = np.fromiter(
        (index.setdefault(label, len(index)) for label in items), dtype=np.int64, count=len(items)
    )
    uniques = list(index)
    try:
        ordered = sorted(uniques)  # type: ignore[type-var]
    except TypeError:
        ordered = sorted(uniques, key=str)
    remap = np.empty(len(uniques), dtype=np.int64)
    position = {label: i for i, label in enumerate(ordered)}
    remap[:] = [position[label] for label in uniques]
    return remap[codes], ordered


def distinct_values(scores: FloatArray) -> FloatArray:
    """Return the sorted distinct scores, in linear time when they are small integers."""
    if scores.size == 0:
        return np.empty(0, dtype=np.float64)
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1_000_000 and bool(np.all(scores == np.floor(scores))):
        present = np.bincount((scores - low).astype(np.int64), minlength=int(high - low) + 1)
        return np.flatnonzero(present).astype(np.float64) + low
    return np.unique(scores)


def value_indices(scores: FloatArray, values: FloatArray) -> IntArray:
    """Return each score's index in values (in values' own order); raise if one is absent."""
    if len(set(values.tolist())) != values.size:
        raise ValueError(f"the scale {describe_scale(values)} repeats a value")
    if values.size == 0:
        if scores.size:
            raise ValueNotOnScaleError(0, float(scores[0]), values)
        return np.empty(0, dtype=np.int64)
    fast = _small_integer_lookup(scores, values)
    if fast is not None:
        return fast
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    position = np.clip(np.searchsorted(ordered, scores), 0, values.size - 1)
    missing = np.flatnonzero(ordered[position] != scores)
    if missing.size:
        first = int(missing[0])
        raise ValueNotOnScaleError(first, float(scores[first]), values)
    return order[position].astype(np.int64)


def _small_integer_lookup(scores: FloatArray, values: FloatArray) -> IntArray | None:
    """Return value indices through a lookup table when values are a small integer range."""
    low, high = float(values.min()), float(values.max())
    if high - low >= 100_000 or not bool(np.all(values == np.floor(values))):
        return None
    table = np.full(int(high - low) + 1, -1, dtype=np.int64)
    table[(values - low).astype(np.int64)] = np.arange(values.size)
    offset = scores - low
    inside = (offset >= 0) & (offset <= high - low) & (offset == np.floor(offset))
    found = np.where(inside, table[np.where(inside, offset, 0).astype(np.int64)], -1)
    missing = np.flatnonzero(found < 0)
    if missing.size:
        first = int(missing[0])
        raise ValueNotOnScaleError(first, float(scores[first]), values)
    return found


def nearest_value_index(x: FloatArray, values: FloatArray) -> IntArray:
    """Return the index of the sorted scale value nearest each x; a tie goes to the upper one.

    Rounding half up is the rounding people expect when they read "rounded consensus".
    """
    upper = np.clip(np.searchsorted(values, x, side="left"), 0, values.size - 1)
    lower = np.clip(upper - 1, 0, values.size - 1)
    take_lower = (x - values[lower]) < (values[upper] - x)
    return np.where(take_lower, lower, upper).astype(np.int64)


def value_counts(unit: IntArray, vidx: IntArray, n_units: int, n_values: int) -> IntArray:
    """Return the units x values matrix counting how many ratings gave each value."""
    cells = n_units * n_values
    if cells > MAX_COUNT_CELLS:
        raise ValueError(
            f"{n_values} distinct score values on {n_units} items is too fine-grained for "
            "agreement statistics; bin the scores onto a rating scale first"
        )
    flat = np.bincount(unit * n_values + vidx, minlength=cells)
    return flat.reshape(n_units, n_values).astype(np.int64, copy=False)


def collapse_rows(matrix: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Return the distinct rows, how often each occurs, and each input row's distinct-row index.

    Rating data have few distinct per-item patterns (a 1-5 scale and 3 reviewers give at
    most 55), so statistics computed per pattern and weighted by multiplicity are exact and
    far cheaper than per item. Rows are packed into one integer key when they fit.
    """
    if matrix.shape[0] == 0:
        empty = np.empty(0, dtype=np.int64)
        return matrix.copy(), empty, empty
    low = matrix.min(axis=0)
    shifted = matrix - low
    base = shifted.max(axis=0) + 1
    if sum(math.log2(int(b)) for b in base) < 62:
        radix = np.concatenate(([1], np.cumprod(base[:-1]))).astype(np.int64)
        keys = shifted @ radix
        _, first, inverse, counts = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        rows = matrix[first]
    else:
        rows, inverse, counts = np.unique(matrix, axis=0, return_inverse=True, return_counts=True)
    return rows.astype(np.int64), counts.astype(np.int64), inverse.ravel().astype(np.int64)


def matrix_value_counts(array: FloatArray, values: FloatArray) -> IntArray:
    """Return the items x values counts of a raters x items matrix, NaN marking missing.

    Missing cells are counted in an extra column that is then dropped, which avoids
    materialising the coordinates of every rated cell.
    """
    n_values = values.size
    rated = np.isfinite(array)
    vidx = np.full(array.shape, n_values, dtype=np.int64)
    vidx[rated] = value_indices(array[rated], values)
    n_units = array.shape[1]
    if n_units * (n_values + 1) > MAX_COUNT_CELLS:
        raise ValueError(
            f"{n_values} distinct score values on {n_units} items is too fine-grained for "
            "agreement statistics; bin the scores onto a rating scale first"
        )
    cells = vidx + (np.arange(n_units, dtype=np.int64) * (n_values + 1))[None, :]
    flat = np.bincount(cells.ravel(), minlength=n_units * (n_values + 1))
    return flat.reshape(n_units, n_values + 1)[:, :n_values]


def matrix_to_long(data: npt.ArrayLike) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (unit, rater, score) for the rated cells of a raters x units matrix (NaN missing)."""
    array = np.asarray(data, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D raters x items array, got {array.ndim} dimension(s)")
    rated = np.isfinite(array)
    rater, unit = np.nonzero(rated)
    return unit.astype(np.int64), rater.astype(np.int64), array[rated]
