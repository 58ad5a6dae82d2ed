"""The sections of one criterion's agreement report, each a JSON-ready dict."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray, describe_scale
from llmops_core.metrics.estimate import Estimate, no_pairs_reason
from llmops_core.metrics.icc import ICC_FORMS, icc_block, icc_forms
from llmops_core.metrics.items import contested_items, item_statistics
from llmops_core.metrics.judge import judge_agreement_counts
from llmops_core.metrics.kappa import (
    SINGLE_VALUE_SCALE,
    WEIGHT_KINDS,
    agreement_weights,
    fleiss_kappa,
    gwet_ac,
    modal_count,
    pairwise_tables,
    percent_agreement,
    weighted_kappa,
)
from llmops_core.metrics.krippendorff import LEVELS, alpha_bootstrap, alpha_estimate
from llmops_core.metrics.reviewers import ReviewerInputs, reviewer_table

Section = dict[str, object]


@dataclass(frozen=True)
class Options:
    """Report settings shared by every criterion."""

    scale: FloatArray | None
    judge: str | None
    draws: int
    seed: int
    confidence: float
    top_items: int


@dataclass(frozen=True)
class Criterion:
    """One criterion's human ratings, coded, plus the judge's value index per unit."""

    name: str
    unit: IntArray  # 0..n_units-1 over the items rated by a human or the judge
    unit_labels: list[object]
    rater: IntArray  # 0..n_raters-1 over the human reviewers of this criterion
    rater_labels: list[object]
    score: FloatArray
    vidx: IntArray
    values: FloatArray
    counts: IntArray  # units x values, humans only
    judge_index: IntArray | None  # per unit, -1 where the judge gave no score
    gold: FloatArray | None  # per human rating, NaN without gold
    week: IntArray | None  # per human rating, -1 without a timestamp

    @property
    def n_raters(self) -> int:
        """Return the number of human reviewers."""
        return len(self.rater_labels)


def _values(estimates: dict[str, Estimate]) -> tuple[Section, Section]:
    """Return the values of named estimates and the reasons of the undefined ones."""
    values: Section = {name: est.value for name, est in estimates.items()}
    reasons: Section = {n: e.reason for n, e in estimates.items() if e.reason is not None}
    return values, reasons


def _plain(label: object) -> object:
    """Return a JSON-friendly label (numpy scalars become Python values)."""
    return label.item() if isinstance(label, np.generic) else label


def _rng_pair(options: Options, name: str) -> tuple[np.random.Generator, np.random.Generator]:
    """Return independent generators for this criterion (alpha, judge), fixed by seed + name."""
    sequence = np.random.SeedSequence([options.seed, zlib.crc32(name.encode("utf-8"))])
    alpha_seq, judge_seq = sequence.spawn(2)
    return np.random.default_rng(alpha_seq), np.random.default_rng(judge_seq)


def criterion_report(data: Criterion, options: Options, week_labels: list[str]) -> Section:
    """Return every agreement metric of one criterion; undefined values explained in reasons."""
    alpha_rng, judge_rng = _rng_pair(options, data.name)
    per_unit = data.counts.sum(axis=1)
    out: Section = {
        "n_items": int((per_unit > 0).sum()),
        "n_ratings": int(data.score.size),
        "n_reviewers": data.n_raters,
        "n_items_rated_by_two_or_more": int((per_unit >= 2).sum()),
        "scale": data.values.tolist(),
        "scale_source": "declared" if options.scale is not None else "observed",
    }
    reasons: Section = {}
    for section in (
        _alpha_section(data, options, alpha_rng),
        _fleiss_section(data),
        _agreement_section(data),
        _cohen_section(data),
        _icc_section(data),
    ):
        section_reasons = section.pop("reasons", {})
        out.update(section)
        if isinstance(section_reasons, dict):
            reasons.update(section_reasons)
    out["reviewers"] = reviewer_table(
        ReviewerInputs(
            data.unit, data.rater, data.score, data.vidx, data.counts, data.values, data.n_raters
        ),
        [_plain(label) for label in data.rater_labels],
        gold=data.gold,
        week=data.week,
        week_labels=week_labels,
    )
    stats = item_statistics(data.unit, data.score, data.counts.shape[0])
    out["items"] = contested_items(stats, data.unit_labels, options.top_items)
    if data.judge_index is not None:
        out["judge"] = _judge_section(data, options, judge_rng)
    out["reasons"] = reasons
    return out


def _alpha_section(data: Criterion, options: Options, rng: np.random.Generator) -> Section:
    """Return alpha at every level of measurement with its bootstrap interval."""
    estimates: dict[str, Estimate] = {
        level: alpha_estimate(data.counts, level, data.values, data.n_raters) for level in LEVELS
    }
    intervals = alpha_bootstrap(
        data.counts, data.values, draws=options.draws, rng=rng, confidence=options.confidence
    )
    values, reasons = _values(estimates)
    ci: Section = {}
    for level, interval in intervals.items():
        entry = interval.as_dict()
        if interval.low is None and estimates[level].reason and options.draws > 0:
            entry["reason"] = estimates[level].reason
        ci[level] = entry
    section: Section = {"krippendorff_alpha": values, "krippendorff_alpha_ci": ci}
    if reasons:
        section["reasons"] = {"krippendorff_alpha": reasons}
    return section


def _fleiss_section(data: Criterion) -> Section:
    """Return Fleiss' kappa over the items rated by the most common number of reviewers."""
    per_unit = data.counts.sum(axis=1)
    k = modal_count(per_unit)
    if k is None:
        estimate = Estimate.undefined(no_pairs_reason(data.n_raters))
        chosen = 0
    else:
        rows = per_unit == k
        estimate, chosen = fleiss_kappa(data.counts[rows]), int(rows.sum())
    section: Section = {
        "fleiss_kappa": {
            "value": estimate.value,
            "raters_per_item": k,
            "n_items": chosen,
            "subset": "items rated by the most common number of reviewers (two or more)",
        }
    }
    if estimate.reason is not None:
        section["reasons"] = {"fleiss_kappa": estimate.reason}
    return section


def _agreement_section(data: Criterion) -> Section:
    """Return percent agreement and Gwet's AC1/AC2 on the scale's values."""
    exact, within = percent_agreement(data.counts, data.values, data.n_raters)
    percent, percent_reasons = _values({"exact": exact, "within_1": within})
    ac1 = gwet_ac(data.counts, agreement_weights(data.values, "none"), data.n_raters)
    ac2 = {
        kind: gwet_ac(data.counts, agreement_weights(data.values, kind), data.n_raters)
        for kind in ("linear", "quadratic")
    }
    ac2_values, ac2_reasons = _values(ac2)
    reasons: Section = {}
    if percent_reasons:
        reasons["percent_agreement"] = percent_reasons
    if ac1.reason is not None:
        reasons["gwet_ac1"] = ac1.reason
    if ac2_reasons:
        reasons["gwet_ac2"] = ac2_reasons
    return {
        "percent_agreement": percent,
        "gwet_ac1": ac1.value,
        "gwet_ac2": ac2_values,
        "reasons": reasons,
    }


def _cohen_section(data: Criterion) -> Section:
    """Return Cohen's kappa (unweighted, linear, quadratic) for every pair that overlaps."""
    tables = pairwise_tables(data.unit, data.rater, data.vidx, data.values.size)
    kappas: dict[str, FloatArray] = {}
    for kind in WEIGHT_KINDS:
        weights = agreement_weights(data.values, kind)
        kappas[kind] = (
            weighted_kappa(tables.tables, weights)
            if weights is not None
            else np.full(tables.rater_a.size, np.nan)
        )
    overlap = tables.n
    pairs = []
    for index in range(overlap.size):
        pair: Section = {
            "a": _plain(data.rater_labels[int(tables.rater_a[index])]),
            "b": _plain(data.rater_labels[int(tables.rater_b[index])]),
            "n": int(overlap[index]),
        }
        pair_reasons = {}
        for kind in WEIGHT_KINDS:
            value = float(kappas[kind][index])
            pair[kind] = value if np.isfinite(value) else None
            if pair[kind] is None:
                pair_reasons[kind] = _kappa_reason(data.values, kind)
        if pair_reasons:
            pair["reasons"] = pair_reasons
        pairs.append(pair)
    return _cohen_summary(data, pairs, kappas)


def _kappa_reason(values: FloatArray, kind: str) -> str:
    """Return why a pair's kappa is undefined."""
    if kind != "none" and values.size < 2:
        return SINGLE_VALUE_SCALE
    return "both reviewers gave every shared item the same single category (chance agreement 1)"


def _cohen_summary(data: Criterion, pairs: list[Section], kappas: dict[str, FloatArray]) -> Section:
    """Return the Cohen section: the pairs and the unweighted mean of their defined kappas."""
    mean: Section = {}
    reasons: Section = {}
    for kind, values in kappas.items():
        finite = values[np.isfinite(values)]
        mean[kind] = float(finite.mean()) if finite.size else None
        if not finite.size:
            reasons[kind] = (
                no_pairs_reason(data.n_raters) if not pairs else "no pair has a defined kappa"
            )
    n_possible = data.n_raters * (data.n_raters - 1) // 2
    section: Section = {
        "cohen_kappa": {
            "pairs": pairs,
            "mean": mean,
            "n_pairs": len(pairs),
            "n_pairs_without_overlap": n_possible - len(pairs),
        }
    }
    if reasons:
        section["reasons"] = {"cohen_kappa": {"mean": reasons}}
    return section


def _icc_section(data: Criterion) -> Section:
    """Return the six ICC forms and the design of the complete block they use."""
    n_units = data.counts.shape[0]
    block = icc_block(data.unit, data.rater, data.score, n_units, data.n_raters)
    if isinstance(block, str):
        estimates = dict.fromkeys(ICC_FORMS, Estimate.undefined(block))
        design: Section = {"mode": None, "raters_per_item": None, "n_items": 0}
    else:
        estimates = icc_forms(block.matrix)
        design = {
            "mode": block.mode,
            "raters_per_item": block.raters_per_item,
            "n_items": int(block.matrix.shape[0]),
            "reviewers": None
            if block.reviewers is None
            else [_plain(data.rater_labels[int(r)]) for r in block.reviewers],
            "note": block.note(),
        }
    values, reasons = _values(estimates)
    section: Section = {"icc": values, "icc_design": design}
    if reasons:
        section["reasons"] = {"icc": reasons}
    return section


def _judge_section(data: Criterion, options: Options, rng: np.random.Generator) -> Section:
    """Return the judge-vs-humans metrics with bootstrap intervals."""
    assert data.judge_index is not None
    result = judge_agreement_counts(
        data.counts,
        data.judge_index,
        data.values,
        draws=options.draws,
        rng=rng,
        confidence=options.confidence,
    ).as_dict()
    result["judge"] = options.judge
    result["scale"] = describe_scale(data.values)
    return result
