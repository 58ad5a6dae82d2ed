"""Turn a judge comparison report's JSON into table rows for the page and CSV downloads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from llmops_core.io.writers.csvfile import neutralise

METRICS = (
    ("spearman", "Spearman's rho"),
    ("kendall_tau_b", "Kendall's tau-b"),
    ("quadratic_kappa", "Quadratic weighted kappa"),
    ("exact", "Exact agreement (rounded consensus)"),
    ("within_1", "Within one point"),
    ("bias", "Mean bias (judge minus humans)"),
)
HEAT_LEVELS = 8


def _row(
    label: str, value: Any, ci: Mapping[str, Any] | None, reason: str | None = None, key: str = ""
) -> dict[str, Any]:
    ci = ci or {}
    return {
        "key": key,
        "label": label,
        "value": value,
        "low": ci.get("low"),
        "high": ci.get("high"),
        "reason": reason,
    }


def metric_rows(section: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return one criterion's headline numbers with their bootstrap intervals."""
    agreement = section["agreement"]
    rows = [
        _row(
            label, agreement.get(key), agreement["ci"].get(key), agreement["reasons"].get(key), key
        )
        for key, label in METRICS
    ]
    alpha = section["alpha"]
    for key, label in (
        ("humans", "Krippendorff's alpha, humans only"),
        ("with_judge", "Krippendorff's alpha, judge added as a reviewer"),
        ("change", "Change in alpha when the judge is added"),
    ):
        rows.append(
            _row(label, alpha[key]["value"], alpha[key]["ci"], alpha[key]["reason"], f"alpha_{key}")
        )
    length = section["length_bias"]
    for key, label in (
        ("judge", "Length vs judge score (Spearman)"),
        ("humans", "Length vs human consensus (Spearman)"),
        ("difference", "Length bias of the judge beyond the humans'"),
    ):
        rows.append(
            _row(
                label,
                length[key]["value"],
                length[key]["ci"],
                length[key]["reason"],
                f"length_{key}",
            )
        )
    return rows


def heat_rows(confusion: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the confusion table top row first, each cell with a shade class (no inline style)."""
    counts = confusion["counts"]
    peak = max((c for row in counts for c in row), default=0) or 1
    rows = []
    for level, row in reversed(list(zip(confusion["levels"], counts, strict=True))):
        cells = [
            {"count": c, "shade": min(HEAT_LEVELS, round(HEAT_LEVELS * c / peak))} for c in row
        ]
        rows.append({"level": level, "cells": cells})
    return rows


def criterion_views(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return each criterion's section ready for the template."""
    views = []
    for name, section in (results.get("criteria") or {}).items():
        views.append(
            {
                "name": name,
                "section": section,
                "metrics": metric_rows(section),
                "heat": heat_rows(section["confusion"]),
                "levels": section["confusion"]["levels"],
                "annotator": section["alternative_annotator"],
            }
        )
    return views


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    """Return CSV text; text cells are neutralised against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [neutralise(v) if isinstance(v, str) else ("" if v is None else v) for v in row]
        )
    return buffer.getvalue()


def metrics_csv(results: Mapping[str, Any]) -> str:
    """Return every per-criterion number with its interval, one row per metric."""
    rows = []
    for name, section in (results.get("criteria") or {}).items():
        n = section["agreement"]["n_items"]
        rows += [
            [name, r["key"], r["value"], r["low"], r["high"], n, r["reason"] or ""]
            for r in metric_rows(section)
        ]
        annotator = section["alternative_annotator"]
        rows.append(
            [
                name,
                "alternative_annotator_winning_rate",
                annotator["winning_rate"],
                None,
                None,
                annotator["n_tested"],
                annotator["sentence"],
            ]
        )
    for version in results.get("versions") or []:
        rows.append(
            [
                "*",
                f"cost_per_1000_items:{version['label']}",
                version["cost_per_1000_items"],
                None,
                None,
                version["paid_calls"],
                "",
            ]
        )
        rows.append(
            [
                "*",
                f"trust:{version['label']}",
                version["trust"],
                None,
                None,
                None,
                version["trust_metric"],
            ]
        )
    pairwise = results.get("pairwise") or {}
    for name, part in (pairwise.get("criteria") or {}).items():
        rows.append(
            [
                name,
                "position_bias_rate",
                part["position_bias_rate"],
                None,
                None,
                part["n_both_orders"],
                "",
            ]
        )
        rows.append(
            [
                name,
                "human_preference_agreement",
                part["human_agreement"],
                None,
                None,
                part["n_with_human"],
                pairwise.get("human_source", ""),
            ]
        )
    return _csv(["criterion", "metric", "value", "ci_low", "ci_high", "n", "note"], rows)


def disagreements_csv(results: Mapping[str, Any]) -> str:
    """Return the worst disagreements of every criterion, one row per item."""
    rows = []
    for name, section in (results.get("criteria") or {}).items():
        for w in section["worst"]:
            rows.append(
                [
                    name,
                    w["output_id"],
                    w["external_id"],
                    w["item_id"],
                    w["judge_score"],
                    round(w["human_mean"], 3),
                    round(w["gap"], 3),
                    json.dumps(w["human_scores"], ensure_ascii=False),
                    w["rationale"],
                    w["output_excerpt"],
                ]
            )
    header = [
        "criterion",
        "output_id",
        "external_id",
        "queue_item_id",
        "judge_score",
        "human_mean",
        "gap",
        "human_scores",
        "judge_rationale",
        "output_excerpt",
    ]
    return _csv(header, rows)
