"""Long-format ratings (one row per item, reviewer, criterion, score) and their CSV form."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import FloatArray, IntArray

REQUIRED_COLUMNS = ("item", "reviewer", "criterion", "score")
TIMESTAMP_COLUMN = "timestamp"


class RatingsError(ValueError):
    """Ratings that cannot be used, with the row and field that is wrong."""


@dataclass(frozen=True)
class LongRatings:
    """Parallel arrays, one entry per rating; row holds source line numbers for errors."""

    item: npt.NDArray[np.object_]
    reviewer: npt.NDArray[np.object_]
    criterion: npt.NDArray[np.object_]
    score: FloatArray
    row: IntArray | None = field(default=None)

    def __post_init__(self) -> None:
        """Check the arrays line up and every score is a finite number."""
        sizes = {len(self.item), len(self.reviewer), len(self.criterion), len(self.score)}
        if self.row is not None:
            sizes.add(len(self.row))
        if len(sizes) != 1:
            raise RatingsError("item, reviewer, criterion and score must have the same length")
        bad = np.flatnonzero(~np.isfinite(self.score))
        if bad.size:
            raise RatingsError(f'{self.where(int(bad[0]))}, field "score": not a finite number')

    @classmethod
    def from_arrays(
        cls,
        item: Sequence[object] | npt.NDArray[np.generic],
        reviewer: Sequence[object] | npt.NDArray[np.generic],
        criterion: Sequence[object] | npt.NDArray[np.generic],
        score: Sequence[float] | npt.NDArray[np.generic],
        row: Sequence[int] | None = None,
    ) -> LongRatings:
        """Return ratings from parallel sequences (lists or numpy arrays)."""
        return cls(
            item=np.asarray(item, dtype=object),
            reviewer=np.asarray(reviewer, dtype=object),
            criterion=np.asarray(criterion, dtype=object),
            score=np.asarray(score, dtype=np.float64),
            row=None if row is None else np.asarray(row, dtype=np.int64),
        )

    def __len__(self) -> int:
        """Return the number of ratings."""
        return int(self.score.size)

    def where(self, index: int) -> str:
        """Return where rating `index` came from: its CSV row, or its position."""
        if self.row is not None:
            return f"row {int(self.row[index])}"
        return f"rating {index}"


def parse_scale(text: str) -> list[float]:
    """Return the scale values of "1-5" (an integer range) or "1,2,3,4,6" (a list)."""
    span = re.fullmatch(r"\s*(-?\d+)\s*-\s*(-?\d+)\s*", text)
    if span:
        low, high = int(span.group(1)), int(span.group(2))
        if high <= low:
            raise ValueError(f'scale "{text}": the upper end must exceed the lower end')
        return [float(value) for value in range(low, high + 1)]
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f'scale "{text}": use a range like 1-5 or a list like 1,2,3,4,6') from None
    if len(values) < 2 or len(set(values)) != len(values) or not all(map(math.isfinite, values)):
        raise ValueError(f'scale "{text}": list at least two distinct numbers')
    return sorted(values)


def _cell(record: Mapping[str, str | None], name: str, line: int) -> str:
    """Return a required, non-empty text field of a CSV record."""
    value = (record.get(name) or "").strip()
    if not value:
        raise RatingsError(f'row {line}, field "{name}": empty')
    return value


def _score(text: str, line: int) -> float:
    """Return a CSV score as a finite float."""
    try:
        value = float(text)
    except ValueError:
        raise RatingsError(f'row {line}, field "score": "{text}" is not a number') from None
    if not math.isfinite(value):
        raise RatingsError(f'row {line}, field "score": "{text}" is not a finite number')
    return value


def _timestamp(text: str | None, line: int) -> str | None:
    """Return a CSV timestamp after checking it is ISO 8601 (None when blank)."""
    if text is None or not text.strip():
        return None
    try:
        dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise RatingsError(
            f'row {line}, field "{TIMESTAMP_COLUMN}": "{text}" is not an ISO 8601 time'
        ) from None
    return text.strip()


def read_ratings_csv(stream: TextIO) -> tuple[LongRatings, list[str | None] | None]:
    """Return the ratings of a CSV with header item,reviewer,criterion,score.

    Extra columns are ignored, except an optional "timestamp" column (ISO 8601), returned
    alongside for the weekly trend. Row numbers are file line numbers (the header is row 1).
    """
    ratings, extra = read_ratings_columns(stream, optional=(TIMESTAMP_COLUMN,))
    if TIMESTAMP_COLUMN not in extra:
        return ratings, None
    assert ratings.row is not None
    stamps = zip(extra[TIMESTAMP_COLUMN], ratings.row, strict=True)
    return ratings, [_timestamp(text, int(line)) for text, line in stamps]


def read_ratings_columns(
    stream: TextIO, *, optional: Sequence[str] = ()
) -> tuple[LongRatings, dict[str, list[str | None]]]:
    """Return the ratings of a CSV with header item,reviewer,criterion,score, plus extras.

    For each name in `optional` that the header has, the second value maps it to that
    column's text per rating (None where blank); callers check the values, since only they
    know what the column means. Other columns are ignored.
    """
    reader = csv.DictReader(stream)
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RatingsError(
            f"header: missing column(s) {', '.join(missing)} "
            f"(expected {','.join(REQUIRED_COLUMNS)})"
        )
    labels: dict[str, list[str]] = {"item": [], "reviewer": [], "criterion": []}
    extra: dict[str, list[str | None]] = {name: [] for name in optional if name in header}
    scores: list[float] = []
    rows: list[int] = []
    for line, record in _records(reader):
        for name, values in labels.items():
            values.append(_cell(record, name, line))
        scores.append(_score(_cell(record, "score", line), line))
        rows.append(line)
        for name, texts in extra.items():
            text = (record.get(name) or "").strip()
            texts.append(text or None)
    ratings = LongRatings.from_arrays(
        labels["item"], labels["reviewer"], labels["criterion"], scores, rows
    )
    return ratings, extra


def _records(reader: csv.DictReader[str]) -> Iterable[tuple[int, Mapping[str, str | None]]]:
    """Yield (line number, record), rejecting rows with more fields than the header."""
    for record in reader:
        line = reader.line_num
        if None in record:
            raise RatingsError(f"row {line}: more fields than the header has columns")
        yield line, record
