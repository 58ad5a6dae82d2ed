"""ISO 8601 week labels ("2024-W05") for rating timestamps, computed on whole arrays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import IntArray, factorize


def to_datetime64(
    timestamps: Sequence[object] | npt.NDArray[np.generic],
) -> npt.NDArray[np.generic]:
    """Return timestamps as naive UTC datetime64[s] (NaT for None or empty).

    Accepts datetime64 arrays, datetime or date objects (aware ones are converted to UTC)
    and ISO 8601 strings such as "2024-02-01T09:30:00Z".
    """
    if isinstance(timestamps, np.ndarray) and timestamps.dtype.kind == "M":
        return timestamps.astype("datetime64[s]")
    converted: list[object] = []
    for position, raw in enumerate(timestamps):
        try:
            converted.append(_to_naive_utc(raw))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"timestamp {position}: {raw!r} is not an ISO 8601 time") from exc
    return np.array(converted, dtype="datetime64[s]")


def _to_naive_utc(raw: object) -> object:
    """Return one timestamp as a naive UTC datetime, or None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, np.datetime64):
        return raw
    if isinstance(raw, str):
        raw = dt.datetime.fromisoformat(raw.strip())
    if isinstance(raw, dt.datetime):
        if raw.tzinfo is not None:
            raw = raw.astimezone(dt.UTC).replace(tzinfo=None)
        return raw
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day)
    raise TypeError(f"unsupported timestamp type {type(raw).__name__}")


def iso_weeks(
    timestamps: Sequence[object] | npt.NDArray[np.generic],
) -> tuple[IntArray, list[str]]:
    """Return a week code per timestamp (-1 when missing) and the sorted ISO week labels."""
    moments = to_datetime64(timestamps)
    known = ~np.isnat(moments)
    days = moments[known].astype("datetime64[D]").astype(np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    thursday = days - weekday + 3  # the ISO year is the year of the week's Thursday
    year = thursday.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    january_first = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    week = (thursday - january_first) // 7 + 1
    codes = np.full(moments.size, -1, dtype=np.int64)
    labels: list[str] = []
    if days.size:
        week_codes, keys = factorize(year * 100 + week)
        codes[known] = week_codes
        numbers: list[int] = np.asarray(keys, dtype=np.int64).tolist()
        labels = [f"{key // 100}-W{key % 100:02d}" for key in numbers]
    return codes, labels
