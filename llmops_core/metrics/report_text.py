"""Render an agreement report as a plain-text summary for the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmops_core.metrics.coding import describe_scale

Report = Mapping[str, Any]


def _number(value: object, digits: int = 3) -> str:
    """Return a number rounded for reading, or "n/a" for an undefined value."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _interval(ci: Mapping[str, Any] | None) -> str:
    """Return "[low, high]" of a bootstrap interval, or an empty string."""
    if not ci or ci.get("low") is None:
        return ""
    return f" [{ci['low']:.3f}, {ci['high']:.3f}]"


def _flatten(reasons: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Return "metric: reason" lines from a nested reasons object."""
    lines: list[str] = []
    for key, value in reasons.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            lines.extend(_flatten(value, f"{name}."))
        else:
            lines.append(f"  n/a {name}: {value}")
    return lines


def _summary_lines(c: Report) -> list[str]:
    """Return the coefficient lines of one criterion."""
    alpha, ci = c["krippendorff_alpha"], c["krippendorff_alpha_ci"]
    fleiss, cohen, icc = c["fleiss_kappa"], c["cohen_kappa"], c["icc"]
    levels = "  ".join(f"{k} {_number(v)}{_interval(ci.get(k))}" for k, v in alpha.items())
    subset = (
        f" ({fleiss['raters_per_item']} reviewers per item, {fleiss['n_items']} items)"
        if fleiss["raters_per_item"] is not None
        else ""
    )
    return [
        f"  Krippendorff's alpha  {levels}",
        f"  Fleiss' kappa         {_number(fleiss['value'])}{subset}",
        f"  Percent agreement     exact {_number(c['percent_agreement']['exact'])}  "
        f"within 1 {_number(c['percent_agreement']['within_1'])}",
        f"  Gwet                  AC1 {_number(c['gwet_ac1'])}  "
        f"AC2 linear {_number(c['gwet_ac2']['linear'])}  "
        f"quadratic {_number(c['gwet_ac2']['quadratic'])}",
        f"  Cohen's kappa         mean of {cohen['n_pairs']} pairs: "
        + "  ".join(f"{k} {_number(v)}" for k, v in cohen["mean"].items()),
        "  ICC                   " + "  ".join(f"{k} {_number(v)}" for k, v in icc.items()),
        f"                        ({c['icc_design'].get('note', 'no complete block')})",
    ]


def _reviewer_lines(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the per-reviewer table."""
    lines = [
        "  Reviewers (vs the others' consensus)",
        f"    {'reviewer':<20} {'ratings':>7} {'compared':>8} {'exact':>6} {'within1':>7} "
        f"{'bias':>6} {'mae':>6} {'gold':>6}",
    ]
    for row in rows:
        gold = row.get("gold", {}) or {}
        lines.append(
            f"    {str(row['reviewer'])[:20]:<20} {row['n_ratings']:>7} {row['n_compared']:>8} "
            f"{_number(row['exact'], 2):>6} {_number(row['within_1'], 2):>7} "
            f"{_number(row['bias'], 2):>6} {_number(row['mae'], 2):>6} "
            f"{_number(gold.get('exact'), 2) if gold else '':>6}"
        )
    return lines


def _item_lines(items: Mapping[str, Any], limit: int = 10) -> list[str]:
    """Return the most contested items."""
    lines = [
        f"  Items: {items['n_items']} rated, {items['n_rated_by_two_or_more']} by two or more, "
        f"{items['n_with_disagreement']} with disagreement; most contested:"
    ]
    for item in items["most_contested"][:limit]:
        scores = ", ".join(f"{s:g}" for s in item["scores"])
        lines.append(
            f"    {str(item['item'])[:30]:<30} mean {item['mean']:.2f}  median "
            f"{item['median']:g}  std {item['std']:.2f}  scores {scores}"
        )
    return lines


def _judge_lines(judge: Mapping[str, Any]) -> list[str]:
    """Return the judge-vs-humans lines."""
    names = ("spearman", "kendall_tau_b", "quadratic_kappa", "exact", "within_1", "bias")
    parts = [f"{n} {_number(judge[n])}{_interval(judge['ci'].get(n))}" for n in names]
    return [
        f"  Judge {judge['judge']!r} on {judge['n_items']} items:",
        "    " + "  ".join(parts[:3]),
        "    " + "  ".join(parts[3:]),
        f"    alpha_with_judge (ordinal) {_number(judge['alpha_with_judge'])}"
        f"{_interval(judge['ci'].get('alpha_with_judge'))}",
    ]


def render_report(report: Report) -> str:
    """Return a readable multi-line summary of an agreement report."""
    lines: list[str] = []
    for name, c in report["criteria"].items():
        source = c["scale_source"]
        lines.append(
            f"Criterion {name}: {c['n_items']} items, {c['n_ratings']} ratings, "
            f"{c['n_reviewers']} reviewers, scale {describe_scale(c['scale'])} ({source})"
        )
        lines.extend(_summary_lines(c))
        lines.extend(_reviewer_lines(c["reviewers"]))
        lines.extend(_item_lines(c["items"]))
        if "judge" in c:
            lines.extend(_judge_lines(c["judge"]))
            lines.extend(_flatten(c["judge"]["reasons"], "judge."))
        lines.extend(_flatten(c["reasons"]))
        lines.append("")
    if not report["criteria"]:
        lines.append("No ratings.")
    return "\n".join(lines)
