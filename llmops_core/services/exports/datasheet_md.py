"""Render an export datasheet (the JSON of ``datasheet.py``) as a README-style Markdown card.

Object keys are never relied on for order (the JSON may have been through PostgreSQL's jsonb).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NONE = "\u2013"  # an en dash marks an empty value
EXCLUSIONS = ("flagged", "min_ratings", "min_agreement")
PAIR_SOURCES = ("score_gap", "pairwise")
ALPHA = "\u03b1"


def _cell(value: Any) -> str:
    """Return a value as one Markdown table cell: pipes escaped, lines joined."""
    if value is None:
        return NONE
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return [*lines, ""]


def _level(key: str) -> tuple[int, str]:
    """Sort anchor levels numerically ("10" after "9"), any other key after them."""
    return (int(key), "") if key.lstrip("-").isdigit() else (1 << 30, key)


def _quote(text: str) -> list[str]:
    return [*[("> " + line) if line else ">" for line in text.splitlines()], ""]


def _summary(sheet: Mapping[str, Any]) -> list[str]:
    counts, file = sheet["counts"], sheet["file"]
    period = sheet["rating_period"]
    lines = [
        f"# {sheet['title']}",
        "",
        f"- **Kind / format:** {sheet['kind']} / {sheet['format']}",
        f"- **File:** `{file['name']}`: {file['rows']} rows, {file['bytes']} bytes",
        f"- **SHA-256:** `{file['sha256']}`",
        f"- **App version:** {sheet['app_version']}",
        f"- **Reviewers:** {counts['reviewers']} ({sheet['reviewer_names']})",
        f"- **Outputs / ratings:** {counts['outputs']} outputs, {counts['ratings']} ratings "
        f"(read {counts['outputs_read']} / {counts['ratings_read']} before output filters)",
        f"- **Rated between:** {period['first'] or NONE} and {period['last'] or NONE}",
    ]
    excluded = counts["outputs_excluded"]
    if any(excluded.values()):
        lines.append(
            "- **Outputs left out:** "
            + ", ".join(
                f"{excluded[reason]} by {reason}" for reason in EXCLUSIONS if excluded.get(reason)
            )
        )
    if "pairs" in counts:
        lines.append(
            "- **Pairs:** "
            + ", ".join(
                f"{counts['pairs'].get(source, 0)} from {source}" for source in PAIR_SOURCES
            )
        )
    return [*lines, ""]


def _agreement(sheet: Mapping[str, Any]) -> list[str]:
    agreement = sheet["agreement"]
    rows = [
        (
            c["criterion"],
            c["ratings"],
            c["reviewers"],
            c["items_rated_twice_or_more"],
            c["alpha_ordinal"],
            c["alpha_interval"],
            c["unanimous_share"],
            c["mean_score"],
        )
        for c in agreement["criteria"]
    ]
    lines = ["## Agreement per criterion", "", agreement["method"], ""]
    lines += _table(
        [
            "criterion",
            "ratings",
            "reviewers",
            "items rated twice or more",
            f"{ALPHA} ordinal",
            f"{ALPHA} interval",
            "unanimous share",
            "mean score",
        ],
        rows,
    )
    reasons = [
        f"- {c['criterion']}, {key}: {c['reasons'][key]}"
        for c in agreement["criteria"]
        for key in sorted(c.get("reasons", {}))
    ]
    return [*lines, *reasons, ""] if reasons else lines


def _rubrics(sheet: Mapping[str, Any]) -> list[str]:
    lines = ["## Rubric", ""]
    for rubric in sheet["rubrics"]:
        lines += [f"### {rubric['rubric']} (version {rubric['version']})", ""]
        for criterion in rubric["criteria"]:
            low, high = criterion["scale"]
            lines.append(f"**{criterion['name']}** ({low}-{high}): {criterion['description']}")
            lines.append("")
            lines += [
                f"- {level}: {criterion['anchors'][level]}"
                for level in sorted(criterion["anchors"], key=_level)
            ]
            lines.append("")
    return lines


def _versions(sheet: Mapping[str, Any]) -> list[str]:
    lines = ["## Prompt versions included", ""]
    lines += _table(
        ["prompt", "version", "model", "outputs"],
        [
            (v["prompt"], v["version"], v.get("model"), v["outputs"])
            for v in sheet["prompt_versions"]
        ],
    )
    for version in sheet["prompt_versions"]:
        if version["prompt"] is None:
            continue
        lines.append(f"### {version['prompt']} v{version['version']}")
        lines.append("")
        if version["system_message"]:
            lines += ["System message:", "", *_quote(version["system_message"])]
        lines += ["Template:", "", *_quote(version["template"])]
    return lines


def datasheet_markdown(sheet: Mapping[str, Any]) -> str:
    """Return the datasheet as Markdown."""
    lines = _summary(sheet)
    lines += ["## Filters", ""]
    lines += _table(
        ["filter", "value"], [(k, json.dumps(v)) for k, v in sorted(sheet["filters"].items())]
    )
    lines += ["## Queues", ""]
    lines += _table(
        ["queue", "overlap", "annotations"],
        [(q["name"], q["overlap"], q["annotations"]) for q in sheet["queues"]],
    )
    lines += ["## Reviewers per output", ""]
    lines += _table(
        ["reviewers", "outputs"],
        [(r["reviewers"], r["outputs"]) for r in sheet["reviewers_per_output"]],
    )
    lines += _agreement(sheet)
    lines += _rubrics(sheet)
    lines += _versions(sheet)
    lines += ["## Known caveats", ""]
    lines += [f"- {note}" for note in sheet["caveats"]] + [""]
    lines += ["## Columns", ""]
    lines += _table(["column", "type"], [(c["name"], c["type"]) for c in sheet["columns"]])
    if sheet.get("definitions"):
        lines += ["## Definitions", ""]
        lines += [f"- **{d['column']}**: {d['meaning']}" for d in sheet["definitions"]]
    return "\n".join(lines).rstrip() + "\n"
