"""Judge-assisted comparison of two versions, from plain rows (``metrics.ppi`` computes).

Each version's outputs on a criterion are built as for its scorecard estimate (its own
labelled-set design, the same judge for both: the newest that scored both versions), keyed by
input hash, and ``compare_outputs`` pairs them on shared inputs or compares them unpaired.
The PPI++ difference comes with its verdict in words, beside the human-only one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmops_core.metrics.ppi import compare_outputs, comparison_sentence, estimate_outputs
from llmops_core.metrics.version_report.comparison import Hashes, Side
from llmops_core.metrics.version_report.estimates import (
    LabelledDesign,
    judge_tables,
    rating_groups,
    version_outputs,
)
from llmops_core.metrics.version_report.ratings import VersionRatingRows


def _invalid(
    sides: Sequence[tuple[Side, LabelledDesign, Any]],
) -> str | None:
    """Return why either version's human-rated outputs are not a random sample, or None."""
    for side, design, outputs in sides:
        if design.invalid:
            return f"{side.label}: {design.invalid}"
        check = estimate_outputs(outputs).sample_check
        if check.suspect:
            return f"{side.label}: {(check.message or '').rstrip('.')}"
    return None


def comparison_estimates(
    *,
    ratings: VersionRatingRows,
    hashes: Hashes,
    judge_rows: Sequence[Mapping[str, Any]],
    judge: Mapping[str, Any] | None,
    designs: Mapping[int, LabelledDesign],
    criteria: Sequence[str],
    candidate: Side,
    baseline: Side,
) -> dict[str, Any]:
    """Return the PPI++ difference (candidate minus baseline) of every criterion, in words too.

    ``judge`` ({judge_version_id, judge}) is the judge both versions are read with, None when
    no judge scored both; ``designs`` maps each version id to its labelled-set design.
    """
    inputs = {output: digest for output, (_, digest) in hashes.items()}
    blocks = []
    tables, groups = judge_tables(judge_rows), rating_groups(ratings)
    for name in criteria:
        sides = []
        for side in (candidate, baseline):
            scores = (
                tables.get((judge["judge_version_id"], name, side.id), {})
                if judge is not None
                else {}
            )
            outputs, _ = version_outputs(
                groups, designs[side.id], scores, criterion=name, version_id=side.id, inputs=inputs
            )
            sides.append((side, designs[side.id], outputs))
        comparison = compare_outputs(sides[0][2], sides[1][2])
        words = {"candidate": candidate.label, "baseline": baseline.label, "criterion": name}
        invalid = _invalid(sides)
        blocks.append(
            {
                "name": name,
                **comparison.as_dict(),
                "sentence": comparison_sentence(comparison, basis="ppi", **words),
                "human_sentence": comparison_sentence(comparison, basis="human_only", **words),
                "valid": invalid is None,
                "invalid_reason": invalid,
            }
        )
    return {
        "judge": dict(judge) if judge is not None else None,
        "designs": {
            "candidate": designs[candidate.id].as_dict(),
            "baseline": designs[baseline.id].as_dict(),
        },
        "confidence": 0.95,
        "criteria": blocks,
    }
