"""The downloads of an agreement report: its JSON document and a long-format CSV.

The CSV has one row per (criterion, metric, variant) plus reviewer, reviewer-pair and contested
item rows, all with the same columns, so it loads into a spreadsheet or a data frame as one
table. Text cells a spreadsheet would run as a formula get a leading quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from llmops_core.io.writers.csvfile import neutralise
from llmops_core.models import Report

CSV_COLUMNS = (
    "section",
    "criterion",
    "metric",
    "variant",
    "reviewer",
    "other_reviewer",
    "item_id",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "note",
)
REVIEWER_METRICS = ("exact", "within_1", "pairwise_exact", "mae", "bias", "pearson")

Row = dict[str, Any]


def report_document(report: Report) -> dict[str, Any]:
    """Return the JSON download: what the report is, the data it read, and its results."""
    return {
        "report": {
            "id": report.pk,
            "kind": report.kind,
            "title": report.title,
            "status": report.status,
            "parameters": report.parameters,
            "requested_by": report.requested_by.get_username() if report.requested_by else None,
            "created_at": report.created_at.isoformat(),
            "finished_at": report.finished_at.isoformat() if report.finished_at else None,
            "attempts": report.attempts,
            "snapshot_hash": report.snapshot_hash,
            "snapshot_counts": report.snapshot_counts,
        },
        "results": report.results,
    }


def report_csv(results: dict[str, Any]) -> str:
    """Return the report as CSV text (CRLF line ends, formula-safe text cells)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(results):
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """Return one CSV cell: numbers as they are, text neutralised, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return neutralise(str(value))


def csv_rows(results: dict[str, Any]) -> Iterator[Row]:
    """Yield every row of the long CSV, criterion by criterion in rubric order."""
    criteria = results.get("criteria") or {}
    verdicts = {v["criterion"]: v for v in (results.get("summary") or {}).get("criteria", [])}
    for name in results.get("criteria_order") or sorted(criteria):
        if name not in criteria:
            continue
        section = criteria[name]
        if name in verdicts:
            yield {
                "section": "verdict",
                "criterion": name,
                "metric": "agreement_level",
                "variant": verdicts[name]["level"],
                "value": verdicts[name]["alpha"],
                "ci_low": verdicts[name]["ci_low"],
                "ci_high": verdicts[name]["ci_high"],
                "n": verdicts[name]["n_items"],
                "note": verdicts[name]["text"],
            }
        yield from _metric_rows(name, section)
        yield from _pair_rows(name, section)
        yield from _reviewer_rows(name, section)
    for entry in results.get("contested") or []:
        for name, cell in entry["criteria"].items():
            yield {
                "section": "contested_item",
                "criterion": name,
                "metric": "std",
                "item_id": entry["item_id"],
                "value": cell["std"],
                "n": len(cell["scores"]),
                "note": "scores " + " ".join(f"{s:g}" for s in cell["scores"]),
            }


def _metric_rows(name: str, s: dict[str, Any]) -> Iterator[Row]:
    """Yield the agreement coefficients of one criterion."""
    reasons = s.get("reasons", {})
    base = {"section": "metric", "criterion": name}
    overlap = s["n_items_rated_by_two_or_more"]
    for level, value in s["krippendorff_alpha"].items():
        ci = s["krippendorff_alpha_ci"].get(level, {})
        yield {
            **base,
            "metric": "krippendorff_alpha",
            "variant": level,
            "value": value,
            "ci_low": ci.get("low"),
            "ci_high": ci.get("high"),
            "n": overlap,
            "note": reasons.get("krippendorff_alpha", {}).get(level),
        }
    fleiss = s["fleiss_kappa"]
    yield {
        **base,
        "metric": "fleiss_kappa",
        "value": fleiss["value"],
        "n": fleiss["n_items"],
        "note": reasons.get("fleiss_kappa"),
    }
    for variant, value in s["percent_agreement"].items():
        yield {
            **base,
            "metric": "percent_agreement",
            "variant": variant,
            "value": value,
            "n": overlap,
            "note": reasons.get("percent_agreement", {}).get(variant),
        }
    yield {
        **base,
        "metric": "gwet_ac1",
        "value": s["gwet_ac1"],
        "n": overlap,
        "note": reasons.get("gwet_ac1"),
    }
    for variant, value in s["gwet_ac2"].items():
        yield {
            **base,
            "metric": "gwet_ac2",
            "variant": variant,
            "value": value,
            "n": overlap,
            "note": reasons.get("gwet_ac2", {}).get(variant),
        }
    cohen = s["cohen_kappa"]
    for variant, value in cohen["mean"].items():
        yield {
            **base,
            "metric": "cohen_kappa_mean",
            "variant": variant,
            "value": value,
            "n": cohen["n_pairs"],
            "note": reasons.get("cohen_kappa", {}).get("mean", {}).get(variant),
        }
    for form, value in s["icc"].items():
        yield {
            **base,
            "metric": "icc",
            "variant": form,
            "value": value,
            "n": s["icc_design"].get("n_items"),
            "note": reasons.get("icc", {}).get(form),
        }


def _pair_rows(name: str, s: dict[str, Any]) -> Iterator[Row]:
    """Yield Cohen's kappa of every reviewer pair."""
    for pair in s["cohen_kappa"]["pairs"]:
        for variant in ("none", "linear", "quadratic"):
            yield {
                "section": "reviewer_pair",
                "criterion": name,
                "metric": "cohen_kappa",
                "variant": variant,
                "reviewer": pair["a"],
                "other_reviewer": pair["b"],
                "value": pair.get(variant),
                "n": pair["n"],
                "note": (pair.get("reasons") or {}).get(variant),
            }


def _reviewer_rows(name: str, s: dict[str, Any]) -> Iterator[Row]:
    """Yield each reviewer's agreement with the others' consensus, and their rating count."""
    for entry in s["reviewers"]:
        base = {"section": "reviewer", "criterion": name, "reviewer": entry["reviewer"]}
        yield {**base, "metric": "n_ratings", "value": entry["n_ratings"], "n": entry["n_ratings"]}
        reasons = entry.get("reasons") or {}
        for metric in REVIEWER_METRICS:
            yield {
                **base,
                "metric": metric,
                "variant": "vs_consensus",
                "value": entry.get(metric),
                "n": entry["n_compared"],
                "note": reasons.get(metric),
            }
