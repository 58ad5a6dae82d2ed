"""Turn ratings in long format into the sections of an agreement report (plain data, no database).

The numbers come from the pure engine, ``llmops_core.metrics.report.agreement_report``, called
once per criterion so each criterion gets its own declared scale and the worker can report
progress between criteria. Each criterion's bootstrap is seeded from the seed and the criterion's
name alone, so splitting the call changes no number. ``services.reports.compute`` reads the
ratings (``annotate.selectors.ratings_snapshot``), calls these and stores the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.agreement_report.standouts import bias_intervals
from llmops_core.metrics.longformat import LongRatings
from llmops_core.metrics.report import agreement_report
from llmops_core.metrics.weeks import iso_weeks, to_datetime64

ALPHA_LEVEL = "ordinal"  # rating scales are ordered categories
CONTESTED_PER_CRITERION = 20
CONTESTED_OVERALL = 20
MAX_TREND_PERIODS = 52
DAILY_SPAN_DAYS = 20
REVIEWER_FIELDS = (
    "n_ratings",
    "n_compared",
    "exact",
    "within_1",
    "pairwise_exact",
    "mae",
    "bias",
    "bias_ci",
    "pearson",
)

Progress = Callable[[float], None]


@dataclass(frozen=True)
class CriterionSpec:
    """A criterion of the report's rubric version: its name, scale and place in the rubric."""

    name: str
    scale_min: int
    scale_max: int

    @property
    def scale(self) -> list[float]:
        return [float(v) for v in range(self.scale_min, self.scale_max + 1)]


class LongRows(Protocol):
    """Ratings in long format, one entry per rating (``annotate.selectors.RatingsSnapshot``)."""

    @property
    def item(self) -> Sequence[int]: ...
    @property
    def output(self) -> Sequence[int]: ...
    @property
    def reviewer(self) -> Sequence[str]: ...
    @property
    def criterion(self) -> Sequence[str]: ...
    @property
    def score(self) -> Sequence[float]: ...
    @property
    def timestamp(self) -> Sequence[datetime]: ...


@dataclass(frozen=True)
class Columns:
    """The snapshot as numpy columns, one entry per rating."""

    item: npt.NDArray[np.object_]
    output: npt.NDArray[np.int64]
    reviewer: npt.NDArray[np.object_]
    criterion: npt.NDArray[np.object_]
    score: npt.NDArray[np.float64]
    when: npt.NDArray[np.generic]  # datetime64[s], naive UTC

    @classmethod
    def of(cls, snap: LongRows) -> Columns:
        return cls(
            item=np.asarray(snap.item, dtype=object),
            output=np.asarray(snap.output, dtype=np.int64),
            reviewer=np.asarray(snap.reviewer, dtype=object),
            criterion=np.asarray(snap.criterion, dtype=object),
            score=np.asarray(snap.score, dtype=np.float64),
            when=_moments(snap.timestamp),
        )

    def ratings(self, rows: npt.NDArray[np.int64]) -> LongRatings:
        return LongRatings.from_arrays(
            self.item[rows], self.reviewer[rows], self.criterion[rows], self.score[rows]
        )


def criterion_sections(
    cols: Columns,
    specs: Sequence[CriterionSpec],
    gold: dict[tuple[int, str], float],
    *,
    draws: int,
    seed: int,
    progress: Progress,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the engine's report of each criterion that has ratings, and its parameters."""
    sections: dict[str, Any] = {}
    parameters: dict[str, Any] = {
        "bootstrap_draws": draws,
        "seed": seed,
        "confidence": 0.95,
        "alpha_level": ALPHA_LEVEL,
    }
    for done, spec in enumerate(specs):
        rows = np.flatnonzero(cols.criterion == spec.name)
        if rows.size:
            report = agreement_report(
                cols.ratings(rows),
                scale=spec.scale,
                bootstrap_draws=draws,
                seed=seed,
                gold={k: v for k, v in gold.items() if k[1] == spec.name} or None,
                timestamps=cols.when[rows],
                top_items=CONTESTED_PER_CRITERION,
            )
            section = _criterion(report, spec.name)
            intervals = bias_intervals(cols.item[rows], cols.reviewer[rows], cols.score[rows])
            for entry in section["reviewers"]:
                entry["bias_ci"] = intervals.get(str(entry["reviewer"]))
            sections[spec.name] = section
        progress((done + 1) / max(len(specs), 1))
    return sections, parameters


def _moments(stamps: Sequence[Any]) -> npt.NDArray[np.generic]:
    """Return aware datetimes as naive-UTC datetime64[s] (a fast path for the common case)."""
    if all(isinstance(t, datetime) and t.tzinfo is not None for t in stamps):
        seconds = np.fromiter((t.timestamp() for t in stamps), dtype=np.float64, count=len(stamps))
        return np.floor(seconds).astype(np.int64).astype("datetime64[s]")
    return to_datetime64(stamps)


def _criterion(report: dict[str, object], name: str) -> dict[str, Any]:
    """Return one criterion's section of an engine report."""
    criteria = cast(dict[str, dict[str, Any]], report["criteria"])
    return criteria[name]


def distributions(cols: Columns, specs: Sequence[CriterionSpec]) -> dict[str, Any]:
    """Return how often each scale value was given, per criterion."""
    out: dict[str, Any] = {}
    for spec in specs:
        scores = cols.score[cols.criterion == spec.name]
        counts = np.bincount(
            (scores - spec.scale_min).astype(np.int64),
            minlength=spec.scale_max - spec.scale_min + 1,
        )
        out[spec.name] = {
            "values": list(range(spec.scale_min, spec.scale_max + 1)),
            "counts": [int(c) for c in counts],
            "n": int(scores.size),
        }
    return out


def _periods(first: npt.NDArray[np.generic]) -> tuple[npt.NDArray[np.int64], list[str], str]:
    """Return a period code per item, the period labels and the unit (ISO week, or day).

    Days when every item was first rated within ``DAILY_SPAN_DAYS``, so a short project still
    shows a trend; ISO weeks otherwise.
    """
    days = first.astype("datetime64[D]")
    if int((days.max() - days.min()).astype(np.int64)) <= DAILY_SPAN_DAYS:
        day_labels = np.datetime_as_string(days, unit="D")
        labels = sorted(set(day_labels.tolist()))
        where = {label: i for i, label in enumerate(labels)}
        codes = np.fromiter((where[d] for d in day_labels.tolist()), dtype=np.int64)
        return codes, labels, "day"
    codes, labels = iso_weeks(first)
    return codes, labels, "week"


def alpha_over_time(cols: Columns, specs: Sequence[CriterionSpec], *, seed: int) -> dict[str, Any]:
    """Return ordinal alpha per criterion per period, items grouped by their first rating.

    An item belongs to the period it was first rated in, and all its ratings count there, so
    pairs are never split across periods.
    """
    grouping = "each item counts in the period of its first rating"
    if cols.score.size == 0:
        return {"unit": "week", "periods": [], "criteria": {}, "grouping": grouping}
    item_codes, _ = _codes(cols.item)
    seconds = cols.when.astype("datetime64[s]").astype(np.int64)
    first = np.full(int(item_codes.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, item_codes, seconds)
    period_code, labels, unit = _periods(first.astype("datetime64[s]"))
    keep = list(range(len(labels)))[-MAX_TREND_PERIODS:]
    per_rating = period_code[item_codes]
    table: dict[str, list[dict[str, Any]]] = {}
    for spec in specs:
        entries = []
        for code in keep:
            rows = np.flatnonzero((cols.criterion == spec.name) & (per_rating == code))
            if rows.size:
                entries.append(_period_entry(cols, rows, spec, labels[code], seed))
        table[spec.name] = entries
    return {
        "unit": unit,
        "periods": [labels[c] for c in keep],
        "criteria": table,
        "grouping": grouping,
    }


def _period_entry(
    cols: Columns, rows: npt.NDArray[np.int64], spec: CriterionSpec, label: str, seed: int
) -> dict[str, Any]:
    """Return one period's alpha (no bootstrap) with its counts and, if undefined, why."""
    report = agreement_report(
        cols.ratings(rows), scale=spec.scale, bootstrap_draws=0, seed=seed, top_items=0
    )
    section = _criterion(report, spec.name)
    entry: dict[str, Any] = {
        "period": label,
        "alpha": section["krippendorff_alpha"][ALPHA_LEVEL],
        "n_items": section["n_items_rated_by_two_or_more"],
        "n_ratings": section["n_ratings"],
    }
    reason = section["reasons"].get("krippendorff_alpha", {}).get(ALPHA_LEVEL)
    if reason:
        entry["reason"] = reason
    return entry


def _codes(labels: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.int64], list[Any]]:
    """Return an integer code per label and the distinct labels, in first-seen order."""
    index: dict[Any, int] = {}
    codes = np.fromiter(
        (index.setdefault(x, len(index)) for x in labels.tolist()),
        dtype=np.int64,
        count=labels.size,
    )
    return codes, list(index)


def reviewer_rows(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one row per reviewer with their agreement on every criterion side by side.

    ``n_ratings`` counts ratings over all criteria; ``n_items`` is the most ratings the reviewer
    gave on one criterion, i.e. the items they scored.
    """
    rows: dict[str, dict[str, Any]] = {}
    for name, section in sections.items():
        for entry in section["reviewers"]:
            row = rows.setdefault(
                str(entry["reviewer"]),
                {"reviewer": str(entry["reviewer"]), "n_ratings": 0, "n_items": 0, "criteria": {}},
            )
            row["n_ratings"] += entry["n_ratings"]
            row["n_items"] = max(row["n_items"], entry["n_ratings"])  # items rated, at most
            cell = {k: entry.get(k) for k in REVIEWER_FIELDS}
            if "gold" in entry:
                cell["gold"] = entry["gold"]
            if entry.get("reasons"):
                cell["reasons"] = entry["reasons"]
            row["criteria"][name] = cell
    return sorted(rows.values(), key=lambda r: r["reviewer"])


def contested_candidates(sections: dict[str, Any]) -> list[int]:
    """Return the ids of every item in some criterion's most-contested list."""
    seen: dict[int, None] = {}
    for section in sections.values():
        for entry in section["items"]["most_contested"]:
            seen.setdefault(int(entry["item"]), None)
    return list(seen)


def contested_items(
    cols: Columns,
    sections: dict[str, Any],
    *,
    queues: dict[int, int],
    adjudicated: dict[tuple[int, str], float],
    limit: int = CONTESTED_OVERALL,
) -> list[dict[str, Any]]:
    """Return the most contested items over all criteria: largest spread on any criterion first.

    Each carries its queue item id, output id, queue id, every criterion's scores and spread,
    and the adjudicated score where an adjudicator settled it.
    """
    candidates = contested_candidates(sections)
    if not candidates:
        return []
    wanted = set(candidates)
    mask = np.fromiter((x in wanted for x in cols.item.tolist()), dtype=bool, count=cols.item.size)
    grouped: dict[int, dict[str, list[float]]] = {}
    outputs: dict[int, int] = {}
    for item, output, name, score in zip(
        cols.item[mask].tolist(),
        cols.output[mask].tolist(),
        cols.criterion[mask].tolist(),
        cols.score[mask].tolist(),
        strict=True,
    ):
        grouped.setdefault(item, {}).setdefault(name, []).append(score)
        outputs[item] = output
    entries = [
        _contested_entry(item, per, outputs[item], queues.get(item), adjudicated)
        for item, per in grouped.items()
    ]
    entries.sort(key=lambda e: (-e["max_std"], -e["max_range"], -e["n_ratings"], e["item_id"]))
    return entries[:limit]


def _contested_entry(
    item: int,
    per: dict[str, list[float]],
    output: int,
    queue: int | None,
    adjudicated: dict[tuple[int, str], float],
) -> dict[str, Any]:
    """Return one contested item's row."""
    criteria: dict[str, Any] = {}
    for name in sorted(per):
        scores = np.sort(np.asarray(per[name]))
        cell: dict[str, Any] = {
            "scores": scores.tolist(),
            "mean": float(scores.mean()),
            "std": float(scores.std()),
            "range": float(scores[-1] - scores[0]),
        }
        if (item, name) in adjudicated:
            cell["adjudicated"] = adjudicated[(item, name)]
        criteria[name] = cell
    return {
        "item_id": item,
        "output_id": output,
        "queue_id": queue,
        "max_std": max(c["std"] for c in criteria.values()),
        "max_range": max(c["range"] for c in criteria.values()),
        "n_ratings": sum(len(c["scores"]) for c in criteria.values()),
        "criteria": criteria,
    }
