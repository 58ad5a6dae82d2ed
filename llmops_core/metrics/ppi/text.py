"""Render judge-assisted estimates (the JSON of ``estimate_ratings``) as a readable table."""

from __future__ import annotations

from typing import Any

ROWS = (("human_only", "human only"), ("judge_only", "judge only"), ("ppi", "PPI++"))


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _interval(block: dict[str, Any]) -> str:
    if block["low"] is None:
        return "n/a"
    return f"[{block['low']:.3f}, {block['high']:.3f}]"


def _counts(key: str, block: dict[str, Any]) -> str:
    if key != "ppi":
        return f"n={block['n']}"
    parts = [f"{block['n_human']} human + {block['n_judge']} judge-only"]
    parts.append("lambda n/a" if block["lambda"] is None else f"lambda {block['lambda']:.3f}")
    if block["effective_n"] is not None:
        parts.append(f"effective n {block['effective_n']:.1f}")
    return ", ".join(parts)


def _criterion(title: str, estimate: dict[str, Any], level: int) -> list[str]:
    """Return the lines of one criterion's table."""
    lines = [title, f"  {'estimate':<11} {'mean':>7}  {f'{level}% CI':<18} counts"]
    reasons: list[str] = []
    for key, label in ROWS:
        block = estimate[key]
        lines.append(
            f"  {label:<11} {_number(block['mean']):>7}  {_interval(block):<18} "
            f"{_counts(key, block)}"
        )
        for why in (block["reason"], block.get("note")):
            if why:
                reasons.append(f"  {label}: {why}")
    check = estimate["sample_check"]
    if check["suspect"]:
        reasons.append(f"  warning: {check['message']}")
    lines.extend(reasons)
    lines.extend(f"  note: {note}" for note in estimate["notes"][1:])
    return lines


def render_estimates(report: dict[str, Any]) -> str:
    """Return the estimates as text: one small table per criterion (and version)."""
    level = round(100 * report["confidence"])
    lines = [
        f"Judge-assisted estimates (judge: {report['judge']}, {level}% CLT intervals, "
        f"sampling: {report['sampling']})"
    ]
    if "versions" in report:
        sections = [
            (f"version {version} / {criterion}", estimate)
            for version, block in report["versions"].items()
            for criterion, estimate in block["criteria"].items()
        ]
    else:
        sections = list(report["criteria"].items())
    first_notes: list[str] = []
    for title, estimate in sections:
        lines.append("")
        lines.extend(_criterion(title, estimate, level))
        first_notes = estimate["notes"][:1]
    lines.extend(["", *first_notes])
    return "\n".join(lines) + "\n"
