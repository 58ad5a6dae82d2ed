"""Version comparisons: a candidate prompt version against a baseline on the same inputs.

Outputs of the two versions are paired by ``input_hash``. For every criterion each output's
consensus is the mean of its ratings (over reviewers and queues), an input's score is the mean
over that version's outputs for it, and the paired differences (candidate minus baseline) go
through ``metrics.significance``: a seeded bootstrap interval of the mean difference, the
Wilcoxon signed-rank test, a verdict and the paired inputs still needed. Win/tie/loss comes from
human pairwise preferences where reviewers gave them, otherwise from the consensus differences.
Judge scores, when a judge scored both versions, are compared the same way (kept apart).
Human preferences are read through ``annotate.selectors.preferences`` (plain counts).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
from django.db import transaction

from annotate.selectors import (
    RatingsSnapshot,
    preference_outcomes,
)
from llmops_core.errors import DomainError
from llmops_core.hashing import canonical_json
from llmops_core.metrics.significance import (
    headline,
    outcome_counts,
    paired_compare,
    verdict_sentence,
    win_tie_loss,
)
from llmops_core.models import PromptVersion, Report, ReportKind
from llmops_core.selectors.prompts import (
    label_version,
)
from llmops_core.selectors.versions import (
    rubric_version_summary,
    version_fingerprint,
    version_judge_scores,
    version_output_hashes,
    version_ratings,
    version_report_latest,
    version_reports_unfinished,
    version_rubric_version_ids,
    versions_with_outputs,
)
from llmops_core.services.scorecards import (
    Actor,
    actor_user,
    bootstrap_draws,
    criterion_seed,
    report_needs_refresh,
    scorecard_compute,
    scorecards_refresh,
    version_report_enqueue,
    version_report_run,
)


def _label(version: PromptVersion) -> str:
    return f"v{version.number}"


@transaction.atomic
def comparison_request(
    *,
    candidate: PromptVersion,
    baseline: PromptVersion | None = None,
    requested_by: Actor = None,
    trigger: str = "manual",
) -> tuple[Report, bool]:
    """Ask for a comparison of ``candidate`` with ``baseline`` (default: production).

    A comparison of the same pair still pending or running is returned instead of a new one.
    """
    template = candidate.template
    if baseline is None:
        baseline = label_version(template=template)
        if baseline is None:
            raise DomainError(
                f'prompt "{template.name}" has no production version to compare '
                f"v{candidate.number} with; pick a baseline version"
            )
    if baseline.template_id != candidate.template_id:
        raise DomainError(
            f'field "baseline": v{baseline.number} is not a version of "{template.name}"'
        )
    if baseline.pk == candidate.pk:
        raise DomainError(f'field "baseline": v{candidate.number} cannot be compared with itself')
    PromptVersion.objects.select_for_update().filter(pk=candidate.pk).first()
    existing = version_reports_unfinished(
        kind=ReportKind.VERSION_COMPARISON, version=candidate, baseline=baseline
    ).first()
    if existing is not None:
        return existing, False
    report = Report.objects.create(
        project_id=template.project_id,
        kind=ReportKind.VERSION_COMPARISON,
        subject_version=candidate,
        baseline_version=baseline,
        requested_by=actor_user(requested_by),
        title=f"{template.name}: v{candidate.number} vs v{baseline.number}",
        parameters={
            "trigger": trigger,
            "bootstrap_draws": bootstrap_draws(),
            "seed": 0,
            "alpha": 0.05,
            "power": 0.8,
        },
    )
    version_report_enqueue(report_id=report.pk)
    return report, True


def comparison_compute(*, report_id: int) -> Report | None:
    """Compute comparison ``report_id`` from a fresh read; return the row (None if finished)."""
    return version_report_run(
        report_id=report_id, kind=ReportKind.VERSION_COMPARISON, build=_build_comparison
    )


def version_report_compute(*, report_id: int) -> Report | None:
    """Compute a scorecard or a comparison, whichever ``report_id`` is."""
    kind = Report.objects.filter(pk=report_id).values_list("kind", flat=True).first()
    if kind == ReportKind.SCORECARD:
        return scorecard_compute(report_id=report_id)
    if kind == ReportKind.VERSION_COMPARISON:
        return comparison_compute(report_id=report_id)
    return None


def _build_comparison(report: Report) -> tuple[dict[str, Any], str, dict[str, Any]]:
    candidate, baseline = report.subject_version, report.baseline_version
    if candidate is None or baseline is None:
        raise DomainError(f"comparison {report.pk}: one of its prompt versions is gone")
    fingerprints = {
        "candidate": version_fingerprint(version=candidate),
        "baseline": version_fingerprint(version=baseline),
    }
    params = report.parameters
    results = comparison_results(
        candidate=candidate,
        baseline=baseline,
        draws=int(params.get("bootstrap_draws", bootstrap_draws())),
        seed=int(params.get("seed", 0)),
        alpha=float(params.get("alpha", 0.05)),
        power=float(params.get("power", 0.8)),
    )
    fingerprint = json.loads(canonical_json(fingerprints))
    counts = {
        "ratings": results["evidence"]["n_ratings"],
        "pairs": results["n_pairs"],
        "reviewers": len(results["evidence"]["reviewers"]),
        "fingerprint": fingerprint,
    }
    digest = hashlib.sha256(
        canonical_json(
            {
                "ratings": results["evidence"]["ratings_sha256"],
                "judge": results["judge"],
                "preferences": results["win_rate"],
            }
        ).encode()
    ).hexdigest()
    return results, digest, counts


def _common_rubric(
    project_id: int, candidate: PromptVersion, baseline: PromptVersion
) -> tuple[int | None, list[str]]:
    """Return the latest rubric version both versions were rated under, and notes."""
    mine = version_rubric_version_ids(project_id=project_id, version_ids=[candidate.pk])
    theirs = set(version_rubric_version_ids(project_id=project_id, version_ids=[baseline.pk]))
    common = [pk for pk in mine if pk in theirs]
    if common:
        return common[-1], []
    if mine and theirs:
        return None, [
            "The two versions were never rated under the same rubric version, so "
            "their human ratings cannot be compared."
        ]
    return None, []


def input_scores(
    ratings: RatingsSnapshot, hashes: dict[int, tuple[int, str]], version_id: int, criterion: str
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


def _paired(a: dict[str, float], b: dict[str, float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    keys = sorted(set(a) & set(b))
    return keys, np.array([a[k] for k in keys]), np.array([b[k] for k in keys])


def comparison_results(
    *,
    candidate: PromptVersion,
    baseline: PromptVersion,
    draws: int,
    seed: int,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict[str, Any]:
    """Return the comparison of ``candidate`` with ``baseline`` as JSON-ready data (reads only)."""
    project_id = candidate.template.project_id
    rubric_id, notes = _common_rubric(project_id, candidate, baseline)
    ids = [candidate.pk, baseline.pk]
    ratings = (
        version_ratings(project_id=project_id, version_ids=ids, rubric_version_id=rubric_id)
        if rubric_id is not None
        else RatingsSnapshot()
    )
    hashes = version_output_hashes(version_ids=ids)
    rubric = rubric_version_summary(rubric_version_id=rubric_id)
    names = (_label(candidate), _label(baseline))
    options: dict[str, Any] = {"draws": draws, "alpha": alpha, "power": power}
    criteria: dict[str, Any] = {}
    pairs: set[str] = set()
    differences: dict[str, dict[str, float]] = {}
    for crit in (rubric or {}).get("criteria", []):
        name = crit["name"]
        keys, a, b = _paired(
            input_scores(ratings, hashes, candidate.pk, name),
            input_scores(ratings, hashes, baseline.pk, name),
        )
        result = paired_compare(a, b, seed=seed + criterion_seed(name), **options).as_dict()
        result["text"] = verdict_sentence(name, result, candidate=names[0], baseline=names[1])
        criteria[name] = result
        pairs.update(keys)
        differences[name] = dict(zip(keys, (a - b).tolist(), strict=True))
    verdicts = {name: c["verdict"] for name, c in criteria.items()}
    judge = judge_section(candidate, baseline, hashes, seed=seed, **options)
    return {
        "candidate": {"id": candidate.pk, "number": candidate.number},
        "baseline": {"id": baseline.pk, "number": baseline.number},
        "template": candidate.template.name,
        "rubric_version": rubric,
        "criteria": criteria,
        "n_pairs": len(pairs),
        "headline": headline(verdicts, candidate=names[0], baseline=names[1]),
        "verdicts": verdicts,
        "win_rate": win_rates(candidate, baseline, differences),
        "judge": judge,
        "judge_used": bool(judge["criteria"]),
        "evidence": ratings_evidence(ratings),
        "parameters": {
            "bootstrap_draws": draws,
            "seed": seed,
            "alpha": alpha,
            "power": power,
            "confidence": 0.95,
            "pairing": "input_hash",
        },
        "notes": notes,
    }


def ratings_evidence(ratings: RatingsSnapshot) -> dict[str, Any]:
    """Return exactly which ratings a comparison rests on: annotations, reviewers, a hash."""
    return {
        "n_ratings": ratings.n_ratings,
        "ratings_sha256": ratings.sha256,
        "rubric_version_id": ratings.rubric_version_id,
        "annotation_ids": sorted(set(ratings.annotation)),
        "reviewers": [
            {"id": pk, "username": name} for pk, name in sorted(ratings.reviewers().items())
        ],
    }


def win_rates(
    candidate: PromptVersion, baseline: PromptVersion, differences: dict[str, dict[str, float]]
) -> dict[str, Any]:
    """Return win/tie/loss of the candidate: from human preferences if any, else consensus."""
    prefs = preference_outcomes(candidate_id=candidate.pk, baseline_id=baseline.pk)
    if prefs["n"]:
        return {
            "source": "preferences",
            "overall": win_tie_loss(prefs["wins"], prefs["ties"], prefs["losses"]),
            "criteria": {name: win_tie_loss(*counts) for name, counts in prefs["criteria"].items()},
            "preference_ids": prefs["ids"],
            "left_chosen": {"left": prefs["left_chosen"], "decided": prefs["decided"]},
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
    candidate: PromptVersion,
    baseline: PromptVersion,
    hashes: dict[int, tuple[int, str]],
    *,
    seed: int,
    draws: int,
    alpha: float,
    power: float,
) -> dict[str, Any]:
    """Compare judge scores of the two versions, per criterion, for the newest judge of both."""
    rows = version_judge_scores(version_ids=[candidate.pk, baseline.pk])
    by_judge: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_judge.setdefault(
            row["judge_version_id"], {"judge": row["judge"], "run": 0, "scores": {}}
        )
        entry["run"] = max(entry["run"], row["run_id"])
        side = "a" if row["version_id"] == candidate.pk else "b"
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
        _, a, b = _paired(sides["a"], sides["b"])
        result = paired_compare(
            a, b, seed=seed + criterion_seed(name), draws=draws, alpha=alpha, power=power
        ).as_dict()
        result["text"] = verdict_sentence(
            f"{name} (judge)", result, candidate=_label(candidate), baseline=_label(baseline)
        )
        criteria[name] = result
    return {"judge_version_id": pk, "judge": both[pk]["judge"], "criteria": criteria}


def comparisons_refresh(*, limit: int = 500) -> list[int]:
    """Recompute comparisons against production whose versions' data changed since."""
    requested: list[int] = []
    for version in versions_with_outputs()[:limit]:
        production = label_version(template=version.template)
        if production is None or production.pk == version.pk:
            continue
        latest = version_report_latest(
            version=version, kind=ReportKind.VERSION_COMPARISON, baseline=production, finished=False
        )
        if latest is None:
            continue  # comparisons are asked for by leads; only existing ones are kept fresh
        current = json.loads(
            canonical_json(
                {
                    "candidate": version_fingerprint(version=version),
                    "baseline": version_fingerprint(version=production),
                }
            )
        )
        if report_needs_refresh(latest, current):
            report, created = comparison_request(
                candidate=version, baseline=production, trigger="schedule"
            )
            requested.extend([report.pk] if created else [])
    return requested


def version_reports_refresh() -> dict[str, list[int]]:
    """Refresh stale scorecards and comparisons (the periodic task's one call)."""
    return {"scorecards": scorecards_refresh(), "comparisons": comparisons_refresh()}
