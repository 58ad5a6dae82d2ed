"""A candidate prompt version against a baseline on the same inputs, from plain data.

Outputs of the two versions are paired by input hash. For every criterion each output's
consensus is the mean of its ratings (over reviewers and queues), an input's score is the mean
over that version's outputs for it, and the paired differences (candidate minus baseline) go
through ``metrics.significance``: a seeded bootstrap interval of the mean difference, the
Wilcoxon signed-rank test, a verdict and the paired inputs still needed. Win/tie/loss comes from
human pairwise preferences where reviewers gave them, otherwise from the consensus differences.
Judge scores, when a judge scored both versions, are compared the same way (kept apart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmops_core.metrics.significance import (
    headline,
    outcome_counts,
    paired_compare,
    verdict_sentence,
    win_tie_loss,
)
from llmops_core.metrics.version_report.ratings import (
    VersionRatingRows,
    criterion_seed,
    ratings_evidence,
)

Hashes = Mapping[int, tuple[int, str]]  # output id -> (version id, input hash)


@dataclass(frozen=True)
class Side:
    """One version of the comparison: its id and its label ("v3")."""

    id: int
    label: str


@dataclass(frozen=True)
class Options:
    """How the paired comparisons are made: bootstrap draws, seed, test level and power."""

    draws: int
    seed: int
    alpha: float = 0.05
    power: float = 0.8


def comparison_build(
    *,
    candidate: Side,
    baseline: Side,
    ratings: VersionRatingRows,
    hashes: Hashes,
    criteria_names: Sequence[str],
    judge_rows: Sequence[Mapping[str, Any]],
    preferences: Mapping[str, Any],
    options: Options,
) -> dict[str, Any]:
    """Return the comparison's verdicts, win rates, judge section and evidence as JSON data.

    ``criteria_names`` are the criteria of the rubric version both were rated under;
    ``judge_rows`` the judge scores of both versions' outputs; ``preferences`` the human
    pairwise preferences between them (``annotate.selectors.preference_outcomes``).
    """
    criteria: dict[str, Any] = {}
    pairs: set[str] = set()
    differences: dict[str, dict[str, float]] = {}
    for name in criteria_names:
        keys, a, b = paired(
            input_scores(ratings, hashes, candidate.id, name),
            input_scores(ratings, hashes, baseline.id, name),
        )
        criteria[name] = _compare(name, a, b, candidate, baseline, options)
        pairs.update(keys)
        differences[name] = dict(zip(keys, (a - b).tolist(), strict=True))
    verdicts = {name: c["verdict"] for name, c in criteria.items()}
    judge = judge_section(judge_rows, hashes, candidate, baseline, options)
    return {
        "criteria": criteria,
        "n_pairs": len(pairs),
        "headline": headline(verdicts, candidate=candidate.label, baseline=baseline.label),
        "verdicts": verdicts,
        "win_rate": win_rates(preferences, differences),
        "judge": judge,
        "judge_used": bool(judge["criteria"]),
        "evidence": ratings_evidence(ratings),
    }


def _compare(
    name: str,
    a: np.ndarray,
    b: np.ndarray,
    candidate: Side,
    baseline: Side,
    options: Options,
    *,
    subject: str | None = None,
) -> dict[str, Any]:
    """Return the paired comparison of one criterion's scores, with its sentence about
    ``subject`` (the criterion's name by default)."""
    result = paired_compare(
        a,
        b,
        seed=options.seed + criterion_seed(name),
        draws=options.draws,
        alpha=options.alpha,
        power=options.power,
    ).as_dict()
    result["text"] = verdict_sentence(
        subject or name, result, candidate=candidate.label, baseline=baseline.label
    )
    return result


def input_scores(
    ratings: VersionRatingRows, hashes: Hashes, version_id: int, criterion: str
) -> dict[str, float]:
    """Return {input hash: mean over the version's outputs of each output's mean rating}."""
    per_output: dict[int, list[float]] = {}
    for output, version, name, score in zip(
        ratings.output, ratings.version, ratings.criterion, ratings.score, strict=True
    ):
        if version == version_id and name == criterion:
            per_output.setdefault(output, []).append(score)
    per_input: dict[str, list[float]] = {}
    for output, scores in per_output.items():
        per_input.setdefault(hashes[output][1], []).append(float(np.mean(scores)))
    return {digest: float(np.mean(values)) for digest, values in per_input.items()}


def paired(
    a: Mapping[str, float], b: Mapping[str, float]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the keys both sides have, sorted, and each side's values in that order."""
    keys = sorted(set(a) & set(b))
    return keys, np.array([a[k] for k in keys]), np.array([b[k] for k in keys])


def win_rates(
    preferences: Mapping[str, Any], differences: Mapping[str, Mapping[str, float]]
) -> dict[str, Any]:
    """Return win/tie/loss of the candidate: from human preferences if any, else consensus."""
    if preferences["n"]:
        return {
            "source": "preferences",
            "overall": win_tie_loss(
                preferences["wins"], preferences["ties"], preferences["losses"]
            ),
            "criteria": {
                name: win_tie_loss(*counts) for name, counts in preferences["criteria"].items()
            },
            "preference_ids": preferences["ids"],
            "left_chosen": {"left": preferences["left_chosen"], "decided": preferences["decided"]},
        }
    per_criterion = {
        name: win_tie_loss(*outcome_counts(list(d.values()))) for name, d in differences.items()
    }
    totals: dict[str, float] = {}
    for d in differences.values():
        for key, value in d.items():
            totals[key] = totals.get(key, 0.0) + value
    return {
        "source": "consensus",
        "overall": win_tie_loss(*outcome_counts(list(totals.values()))),
        "criteria": per_criterion,
    }


def judge_section(
    rows: Sequence[Mapping[str, Any]],
    hashes: Hashes,
    candidate: Side,
    baseline: Side,
    options: Options,
) -> dict[str, Any]:
    """Compare judge scores of the two versions, per criterion, for the newest judge of both."""
    by_judge: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_judge.setdefault(
            row["judge_version_id"], {"judge": row["judge"], "run": 0, "scores": {}}
        )
        entry["run"] = max(entry["run"], row["run_id"])
        side = "a" if row["version_id"] == candidate.id else "b"
        entry["scores"].setdefault(row["criterion"], {"a": {}, "b": {}})[side][
            hashes[row["output_id"]][1]
        ] = float(row["score"])
    both = {
        pk: e for pk, e in by_judge.items() if any(s["a"] and s["b"] for s in e["scores"].values())
    }
    if not both:
        return {"judge_version_id": None, "judge": None, "criteria": {}}
    pk = max(both, key=lambda k: both[k]["run"])
    criteria = {}
    for name, sides in both[pk]["scores"].items():
        _, a, b = paired(sides["a"], sides["b"])
        criteria[name] = _compare(
            name, a, b, candidate, baseline, options, subject=f"{name} (judge)"
        )
    return {"judge_version_id": pk, "judge": both[pk]["judge"], "criteria": criteria}
