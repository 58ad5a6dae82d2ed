"""One prompt version's scorecard: what humans and judges say about it, from plain data.

Per criterion: the human mean (each output weighted once: the mean over outputs of the mean of
their ratings) with a seeded bootstrap interval over outputs, the outputs and ratings behind it,
the judge's mean where a judge scored the outputs, and the reviewers' agreement (ordinal
Krippendorff's alpha over queue items). Around that: flag and skip rates, and cost and latency
per output (read by the service, passed through).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from llmops_core.metrics.agreement import krippendorff_alpha_estimate
from llmops_core.metrics.significance import mean_bootstrap_ci
from llmops_core.metrics.version_report.ratings import VersionRatingRows, criterion_seed


def scorecard_build(
    *,
    version: Mapping[str, Any],
    ratings: VersionRatingRows,
    rubric: Mapping[str, Any] | None,
    older_rubrics: int,
    judge_rows: Sequence[Mapping[str, Any]],
    flags: Mapping[str, int],
    outputs: Mapping[str, Any],
    draws: int,
    seed: int,
) -> dict[str, Any]:
    """Return the scorecard as JSON-ready data, and its counts under ``"_counts"``.

    ``rubric`` is the latest rubric version the ratings were made under (``older_rubrics``
    more were left out); ``judge_rows`` are judge scores of the version's outputs, oldest run
    first; ``flags`` counts annotations, flagged and skipped; ``outputs`` is passed through.
    """
    judges = judge_means(judge_rows)
    order = [c["name"] for c in rubric["criteria"]] if rubric else []
    order += [name for judge in judges for name in judge["criteria"] if name not in order]
    criteria = [criterion_card(ratings, name, judges, draws=draws, seed=seed) for name in order]
    notes = []
    if older_rubrics:
        notes.append(
            f"Ratings under {older_rubrics} older rubric version(s) are left out; "
            "the scorecard uses the latest rubric version its ratings were made under."
        )
    return {
        "version": dict(version),
        "rubric_version": rubric,
        "criteria": criteria,
        "judges": judges,
        "items_by_reviewers": items_by_reviewers(ratings),
        "flags": {**flags, **flag_rates(flags)},
        "outputs": outputs,
        "n_ratings": ratings.n_ratings,
        "n_outputs_rated": len(set(ratings.output)),
        "n_reviewers": len(set(ratings.reviewer_id)),
        "ratings_sha256": ratings.sha256,
        "parameters": {
            "bootstrap_draws": draws,
            "seed": seed,
            "confidence": 0.95,
            "alpha_level": "ordinal",
            "unit": "output",
        },
        "notes": notes,
        "_counts": {
            "ratings": ratings.n_ratings,
            "outputs_rated": len(set(ratings.output)),
            "reviewers": len(set(ratings.reviewer_id)),
            "judge_scores": sum(j["n_scores"] for j in judges),
        },
    }


def flag_rates(flags: Mapping[str, int]) -> dict[str, float | None]:
    """Return the share of annotations flagged and of attempts skipped (None without any)."""
    annotations, skipped = flags["annotations"], flags["skipped"]
    return {
        "flag_rate": flags["flagged"] / annotations if annotations else None,
        "skip_rate": skipped / (annotations + skipped) if annotations + skipped else None,
    }


def criterion_card(
    ratings: VersionRatingRows,
    name: str,
    judges: Sequence[Mapping[str, Any]],
    *,
    draws: int,
    seed: int,
) -> dict[str, Any]:
    """Return one criterion's row: human mean and CI, counts, agreement, judge mean."""
    rows = np.flatnonzero(np.asarray(ratings.criterion, dtype=object) == name)
    scale = ratings.scales.get(name)
    outputs = np.asarray(ratings.output, dtype=np.int64)[rows]
    scores = np.asarray(ratings.score, dtype=np.float64)[rows]
    per_output = group_means(outputs, scores)
    ci = mean_bootstrap_ci(
        per_output, draws=draws, seed=seed + criterion_seed(name), empty_reason="no ratings"
    )
    human = {
        "mean": float(per_output.mean()) if per_output.size else None,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "ci_reason": ci.reason,
        "n_items": int(per_output.size),
        "n_ratings": int(rows.size),
        "n_reviewers": len({ratings.reviewer_id[i] for i in rows.tolist()}),
    }
    judge = next(
        (
            {
                "mean": j["criteria"][name]["mean"],
                "n_items": j["criteria"][name]["n"],
                "judge_version_id": j["judge_version_id"],
                "judge": j["judge"],
            }
            for j in judges
            if name in j["criteria"]
        ),
        None,
    )
    return {
        "name": name,
        "scale": list(scale) if scale else None,
        "human": human,
        "judge": judge,
        "agreement": criterion_agreement(ratings, rows, scale),
    }


def group_means(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the mean of ``values`` per distinct key."""
    if keys.size == 0:
        return np.empty(0)
    _, inverse = np.unique(keys, return_inverse=True)
    return np.bincount(inverse, weights=values) / np.bincount(inverse)


def criterion_agreement(
    ratings: VersionRatingRows, rows: np.ndarray, scale: tuple[int, int] | None
) -> dict[str, Any]:
    """Return ordinal Krippendorff's alpha over queue items x reviewers, with its reason."""
    if rows.size == 0 or scale is None:
        return {"alpha": None, "reason": "no ratings", "n_items_overlap": 0}
    items = np.asarray(ratings.item, dtype=np.int64)[rows]
    reviewers = np.asarray(ratings.reviewer_id, dtype=np.int64)[rows]
    item_keys, item_index = np.unique(items, return_inverse=True)
    reviewer_keys, reviewer_index = np.unique(reviewers, return_inverse=True)
    matrix = np.full((reviewer_keys.size, item_keys.size), np.nan)
    matrix[reviewer_index, item_index] = np.asarray(ratings.score, dtype=np.float64)[rows]
    overlap = int((np.isfinite(matrix).sum(axis=0) >= 2).sum())
    domain = [float(v) for v in range(scale[0], scale[1] + 1)]
    estimate = krippendorff_alpha_estimate(matrix, "ordinal", domain)
    return {"alpha": estimate.value, "reason": estimate.reason, "n_items_overlap": overlap}


def judge_means(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return each judge version's mean per criterion (its latest score per output), newest first.

    ``rows`` come oldest run first, so a later run's score of an output replaces an earlier one.
    """
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        judge = latest.setdefault(
            row["judge_version_id"],
            {
                "judge_version_id": row["judge_version_id"],
                "judge": row["judge"],
                "last_run_id": 0,
                "scores": {},
            },
        )
        judge["last_run_id"] = max(judge["last_run_id"], row["run_id"])
        judge["scores"].setdefault(row["criterion"], {})[row["output_id"]] = row["score"]
    result = []
    for judge in sorted(latest.values(), key=lambda j: -j["last_run_id"]):
        criteria = {
            name: {"mean": float(np.mean(list(by_output.values()))), "n": len(by_output)}
            for name, by_output in judge.pop("scores").items()
        }
        judge["criteria"] = criteria
        judge["n_scores"] = sum(c["n"] for c in criteria.values())
        result.append(judge)
    return result


def items_by_reviewers(ratings: VersionRatingRows) -> dict[str, int]:
    """Return how many outputs were rated by at least k distinct reviewers, for k = 1, 2, ..."""
    seen: dict[int, set[int]] = {}
    for output, reviewer in zip(ratings.output, ratings.reviewer_id, strict=True):
        seen.setdefault(output, set()).add(reviewer)
    counts = np.bincount([len(r) for r in seen.values()]) if seen else np.zeros(1, dtype=int)
    at_least = np.cumsum(counts[::-1])[::-1]
    return {str(k): int(at_least[k]) for k in range(1, at_least.size)}
