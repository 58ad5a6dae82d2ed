"""Shape a report's results into rows the report page's tables print as they are.

Templates cannot index a dict by a variable, so every table is built here as lists of
already-formatted cells; "n/a" cells carry the reason the value is undefined.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ALPHA_LEVELS = ("nominal", "ordinal", "interval", "ratio")
ICC_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")


@dataclass(frozen=True)
class Cell:
    """A formatted value, with why it is undefined (empty when it is defined)."""

    text: str
    reason: str = ""
    css: str = ""


@dataclass
class Row:
    label: str
    cells: list[Cell] = field(default_factory=list)
    link: str = ""
    note: str = ""


def number(value: Any, digits: int = 3) -> str:
    """Return a value rounded for reading, or "n/a"."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _cell(value: Any, reason: Any = "", ci: dict[str, Any] | None = None) -> Cell:
    text = number(value)
    if value is not None and ci and ci.get("low") is not None:
        text += f" [{ci['low']:.2f}, {ci['high']:.2f}]"
    return Cell(text, str(reason or "") if value is None else "")


def _metric_lines(s: dict[str, Any]) -> Iterator[tuple[str, Cell]]:
    """Yield (metric label, cell) for every coefficient of one criterion."""
    reasons = s.get("reasons", {})
    for level in ALPHA_LEVELS:
        yield (
            f"Krippendorff's alpha ({level}), 95% CI",
            _cell(
                s["krippendorff_alpha"][level],
                reasons.get("krippendorff_alpha", {}).get(level),
                s["krippendorff_alpha_ci"].get(level),
            ),
        )
    fleiss = s["fleiss_kappa"]
    yield "Fleiss' kappa", _cell(fleiss["value"], reasons.get("fleiss_kappa"))
    for key, label in (("exact", "exact"), ("within_1", "within 1")):
        yield (
            f"Percent agreement ({label})",
            _cell(s["percent_agreement"][key], reasons.get("percent_agreement", {}).get(key)),
        )
    yield "Gwet's AC1", _cell(s["gwet_ac1"], reasons.get("gwet_ac1"))
    for kind in ("linear", "quadratic"):
        yield (
            f"Gwet's AC2 ({kind})",
            _cell(s["gwet_ac2"][kind], reasons.get("gwet_ac2", {}).get(kind)),
        )
    for kind, label in (("none", "unweighted"), ("linear", "linear"), ("quadratic", "quadratic")):
        yield (
            f"Cohen's kappa, mean of pairs ({label})",
            _cell(
                s["cohen_kappa"]["mean"][kind],
                reasons.get("cohen_kappa", {}).get("mean", {}).get(kind),
            ),
        )
    for form in ICC_FORMS:
        yield form, _cell(s["icc"][form], reasons.get("icc", {}).get(form))
    yield "Items rated by two or more", Cell(str(s["n_items_rated_by_two_or_more"]))


def metric_rows(results: dict[str, Any], order: list[str]) -> list[Row]:
    """Return every metric as a row, one column per criterion."""
    criteria = results.get("criteria") or {}
    names = [n for n in order if n in criteria]
    table: dict[str, Row] = {}
    for name in names:
        for label, cell in _metric_lines(criteria[name]):
            table.setdefault(label, Row(label)).cells.append(cell)
    return list(table.values())


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _signed(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _gold_cells(results: dict[str, Any]) -> dict[str, Cell]:
    """Return each reviewer's gold accuracy cell, or nothing when the report has no gold."""
    gold = ((results.get("summary") or {}).get("reviewers") or {}).get("gold") or []
    return {
        g["reviewer"]: Cell("n/a", "this reviewer rated no gold item")
        if g["exact"] is None
        else Cell(f"{_percent(g['exact'])} of {g['n']}")
        for g in gold
    }


def reviewer_table(results: dict[str, Any], order: list[str]) -> list[Row]:
    """Return one row per reviewer: ratings, agreement and bias on each criterion, then gold
    accuracy when the report has gold items."""
    rows = []
    gold = _gold_cells(results)
    for entry in results.get("reviewers") or []:
        row = Row(str(entry["reviewer"]), [Cell(str(entry.get("n_items", entry["n_ratings"])))])
        for name in order:
            cell = entry["criteria"].get(name)
            if cell is None:
                row.cells += [Cell("-"), Cell("-")]
                continue
            reason = " ".join(str(v) for v in (cell.get("reasons") or {}).values())
            within = _percent(cell.get("within_1"))
            row.cells.append(Cell(f"{_percent(cell.get('exact'))} ({within} ±1)", reason))
            bias = cell.get("bias")
            css = "" if bias is None or abs(bias) < 0.25 else "bias-high"
            row.cells.append(Cell(_signed(bias), reason if bias is None else "", css))
        if gold:
            row.cells.append(gold.get(row.label, Cell("n/a", "this reviewer rated no gold item")))
        rows.append(row)
    return rows


def contested_table(results: dict[str, Any], order: list[str]) -> list[Row]:
    """Return the most contested items with each criterion's scores and spread."""
    rows = []
    for entry in results.get("contested") or []:
        row = Row(f"#{entry['item_id']}", link=(entry.get("links") or {}).get("ratings", ""))
        row.note = f"output {entry['output_id']}" + (
            f", queue {entry['queue_id']}" if entry.get("queue_id") else ""
        )
        for name in order:
            cell = entry["criteria"].get(name)
            if cell is None:
                row.cells.append(Cell("-"))
                continue
            scores = " ".join(f"{s:g}" for s in cell["scores"])
            text = f"{scores} (sd {cell['std']:.2f})"
            if "adjudicated" in cell:
                text += f" → {cell['adjudicated']:g}"
            row.cells.append(Cell(text, css="spread" if cell["range"] >= 2 else ""))
        rows.append(row)
    return rows


def snapshot_rows(report_counts: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the data snapshot's counts as (label, value) pairs."""
    rubric = report_counts.get("rubric_version") or {}
    labels = [
        ("ratings", "Ratings"),
        ("items", "Items"),
        ("reviewers", "Reviewers"),
        ("criteria", "Criteria"),
        ("annotations", "Annotations"),
        ("flagged", "Flagged annotations"),
        ("skipped", "Skips"),
        ("gold_items", "Gold items"),
        ("first_rating_at", "First rating"),
        ("last_rating_at", "Last rating"),
    ]
    rows = [(label, str(report_counts.get(key, "-"))) for key, label in labels]
    if rubric:
        rows.insert(4, ("Rubric version", f"{rubric.get('rubric')} v{rubric.get('number')}"))
    return rows
