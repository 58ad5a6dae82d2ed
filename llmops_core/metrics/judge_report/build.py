"""Assemble the judge comparison report from plain data (no database): every section as JSON."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from llmops_core.metrics.judge import judge_agreement
from llmops_core.metrics.judge_report.annotator import alternative_annotator
from llmops_core.metrics.judge_report.criterion import (
    alpha_change,
    calibration,
    consensus,
    criterion_seed,
    kappa_change,
    length_bias,
    paired_mask,
)
from llmops_core.metrics.judge_report.criterion import confusion as confusion_table
from llmops_core.metrics.judge_report.pairwise import pairwise_section
from llmops_core.metrics.judge_report.summary import summary_lines
from llmops_core.metrics.judge_report.types import (
    ComparisonData,
    CriterionScale,
    FloatArray,
    HumanMatrix,
    VersionScores,
)

WORST_PER_CRITERION = 10
VERSION_DRAWS = 200
TRUST_METRIC = {
    "pointwise": "quadratic kappa, mean over criteria",
    "pairwise": "agreement with human preferences",
}
Progress = Callable[[float], None]


def _human(data: ComparisonData, name: str) -> HumanMatrix:
    found = data.humans.get(name)
    return found or HumanMatrix([], np.full((0, len(data.items)), np.nan))


def judge_vector(version: VersionScores, name: str, items: list[int]) -> FloatArray:
    """Return the version's score of each item on one criterion (NaN where it gave none)."""
    scores = version.scores.get(name, {})
    return np.array([scores[o][0] if o in scores else np.nan for o in items], dtype=np.float64)


def _worst(
    data: ComparisonData,
    crit: CriterionScale,
    judge: FloatArray,
    human: HumanMatrix,
    limit: int = WORST_PER_CRITERION,
) -> list[dict[str, Any]]:
    """Return the items where the judge is furthest from the human consensus, worst first."""
    mean = consensus(human.scores)
    paired = np.flatnonzero(paired_mask(judge, mean))
    rated = np.isfinite(human.scores).sum(axis=0)
    gap = judge - mean
    order = sorted(paired, key=lambda i: (-abs(gap[i]), -rated[i], data.items[i]))
    subject_scores = data.subject.scores.get(crit.name, {})
    rows = []
    for i in order[:limit]:
        output_id = data.items[i]
        info = data.outputs[output_id]
        rows.append(
            {
                "output_id": output_id,
                "external_id": info.external_id,
                "item_id": info.item_id,
                "queue_id": info.queue_id,
                "judge_score": int(judge[i]),
                "human_mean": float(mean[i]),
                "gap": float(gap[i]),
                "human_scores": [
                    {"reviewer": name, "score": int(score)}
                    for name, score in zip(human.reviewers, human.scores[:, i], strict=True)
                    if np.isfinite(score)
                ],
                "rationale": subject_scores.get(output_id, (0, ""))[1][:2000],
                "input_excerpt": info.input_excerpt,
                "output_excerpt": info.output_excerpt,
                "words": info.words,
            }
        )
    return rows


def _pointwise_criterion(
    data: ComparisonData, crit: CriterionScale, *, draws: int, seed: int
) -> dict[str, Any]:
    """Return every pointwise section of one criterion."""
    human = _human(data, crit.name)
    judge = judge_vector(data.subject, crit.name, data.items)
    values = crit.values
    mean = consensus(human.scores)
    words = np.array([data.outputs[o].words for o in data.items], dtype=np.float64)
    own_seed = criterion_seed(seed, crit.name)
    return {
        "scale": [crit.scale_min, crit.scale_max],
        "n_reviewers": len(human.reviewers),
        "agreement": judge_agreement(
            judge, human.scores, scale=list(values), draws=draws, seed=own_seed
        ).as_dict(),
        "confusion": confusion_table(judge, mean, values),
        "calibration": calibration(judge, mean, values),
        "alpha": alpha_change(human.scores, judge, values, draws=draws, seed=own_seed),
        "alternative_annotator": alternative_annotator(
            human.scores, judge, human.reviewers, values
        ),
        "length_bias": length_bias(judge, mean, words, seed=own_seed),
        "worst": _worst(data, crit, judge, human),
    }


def _means_by_output(data: ComparisonData) -> dict[str, dict[int, float]]:
    """Return the human consensus of every rated output, per criterion."""
    result = {}
    for crit in data.criteria:
        mean = consensus(_human(data, crit.name).scores)
        result[crit.name] = {
            o: float(m) for o, m in zip(data.items, mean, strict=True) if np.isfinite(m)
        }
    return result


def _version_row(
    data: ComparisonData,
    version: VersionScores,
    criteria: dict[str, Any],
    *,
    seed: int,
    means: dict[str, dict[int, float]],
) -> dict[str, Any]:
    """Return one judge version's agreement and cost, for cost-vs-trust and the trend."""
    per_criterion: dict[str, dict[str, Any]] = {}
    if version.mode == "pairwise":
        section = pairwise_section(version.pairs, means)
        trust = section["human_agreement"]
        for name, part in section["criteria"].items():
            per_criterion[name] = {
                "human_agreement": part["human_agreement"],
                "position_bias_rate": part["position_bias_rate"],
            }
    else:
        for crit in data.criteria:
            if version.is_subject and crit.name in criteria:
                agreement = criteria[crit.name]["agreement"]
            else:
                agreement = judge_agreement(
                    judge_vector(version, crit.name, data.items),
                    _human(data, crit.name).scores,
                    scale=list(crit.values),
                    draws=VERSION_DRAWS,
                    seed=criterion_seed(seed, crit.name),
                ).as_dict()
            per_criterion[crit.name] = {
                k: agreement.get(k)
                for k in ("n_items", "quadratic_kappa", "spearman", "within_1", "exact", "bias")
            }
        kappas = [
            c["quadratic_kappa"] for c in per_criterion.values() if c["quadratic_kappa"] is not None
        ]
        trust = float(np.mean(kappas)) if kappas else None
    return {
        "version_id": version.version_id,
        "label": version.label,
        "judge": version.judge,
        "number": version.number,
        "model": version.model,
        "mode": version.mode,
        "is_subject": version.is_subject,
        "run_ids": version.run_ids,
        "cost_per_1000_items": version.cost.per_1000_items,
        "paid_calls": version.cost.paid_calls,
        "unpriced_calls": version.cost.unpriced_calls,
        "tokens_in": version.cost.tokens_in,
        "tokens_out": version.cost.tokens_out,
        "trust_metric": TRUST_METRIC.get(version.mode, ""),
        "trust": trust,
        "criteria": per_criterion,
    }


def _paired_changes(
    data: ComparisonData, *, draws: int, seed: int
) -> dict[int, dict[str, dict[str, Any]]]:
    """Return, per pointwise version of the subject's judge, its paired kappa change per
    criterion from the version before it (keyed by version number)."""
    mine = sorted(
        (v for v in data.versions if v.judge == data.subject.judge and v.mode == "pointwise"),
        key=lambda v: v.number,
    )
    changes: dict[int, dict[str, dict[str, Any]]] = {}
    for before, after in itertools.pairwise(mine):
        per_criterion = {}
        for crit in data.criteria:
            mean = consensus(_human(data, crit.name).scores)
            per_criterion[crit.name] = kappa_change(
                judge_vector(before, crit.name, data.items),
                judge_vector(after, crit.name, data.items),
                mean,
                crit.values,
                draws=min(draws, VERSION_DRAWS),
                seed=criterion_seed(seed, crit.name),
            )
        changes[after.number] = per_criterion
    return changes


def _trend(
    rows: list[dict[str, Any]], judge: str, changes: dict[int, dict[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Return the subject judge's versions in order, with each one's change from the last."""
    mine = sorted((r for r in rows if r["judge"] == judge), key=lambda r: r["number"])
    trend: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    for row in mine:
        entry: dict[str, Any] = {
            "number": row["number"],
            "label": row["label"],
            "trust": row["trust"],
            "mode": row["mode"],
            "criteria": {},
        }
        for name, values in row["criteria"].items():
            key = "quadratic_kappa" if row["mode"] == "pointwise" else "human_agreement"
            value = values.get(key)
            before = previous.get("criteria", {}).get(name, {}).get("value")
            change = value - before if value is not None and before is not None else None
            entry["criteria"][name] = {"metric": key, "value": value, "change": change}
            paired = changes.get(row["number"], {}).get(name)
            if paired is not None and change is not None:
                entry["criteria"][name].update(
                    change_ci=paired["ci"],
                    significant=paired["significant"],
                    paired_items=paired["n_items"],
                )
        if previous and row["trust"] is not None and previous["trust"] is not None:
            entry["trust_change"] = row["trust"] - previous["trust"]
        trend.append(entry)
        previous = entry
    return trend


def build_report(
    data: ComparisonData, *, draws: int = 1000, seed: int = 0, progress: Progress | None = None
) -> dict[str, Any]:
    """Return the judge comparison report: per criterion, pairwise, versions, summary."""
    subject = data.subject
    step = 1.0 / (len(data.criteria) + 2)
    criteria: dict[str, Any] = {}
    if subject.mode == "pointwise":
        for index, crit in enumerate(data.criteria):
            criteria[crit.name] = _pointwise_criterion(data, crit, draws=draws, seed=seed)
            if progress is not None:
                progress((index + 1) * step)
    means = _means_by_output(data)
    pairwise = pairwise_section(subject.pairs, means) if subject.mode == "pairwise" else None
    versions = [_version_row(data, v, criteria, seed=seed, means=means) for v in data.versions]
    if progress is not None:
        progress(1.0 - step)
    results: dict[str, Any] = {
        "judge": {
            "version_id": subject.version_id,
            "label": subject.label,
            "judge": subject.judge,
            "number": subject.number,
            "model": subject.model,
            "mode": subject.mode,
            "run_ids": subject.run_ids,
        },
        "n_items": len(data.items),
        "n_ratings": data.n_ratings,
        "n_judged": sum(1 for o in data.items if any(o in s for s in subject.scores.values())),
        "criteria": criteria,
        "pairwise": pairwise,
        "versions": versions,
        "trend": _trend(versions, subject.judge, _paired_changes(data, draws=draws, seed=seed)),
        "parameters": {"bootstrap_draws": draws, "seed": seed},
    }
    results["summary"] = summary_lines(results)
    return results
