"""Row shapes of each export kind: the columns, and pure builders from summarised outputs.

Column order is fixed (per-criterion columns follow the rubric's criterion order), so every
run writes the same header; the writers sort JSON keys, so nested values serialise the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_core.io.writers import Column, ColumnType
from llmops_core.selectors.exports import AnnotationRow
from llmops_core.services.exports.consensus import OutputSummary
from llmops_core.services.exports.context import ExportContext

# One letter per column type keeps the column lists readable at a glance.
S, I, F, B, T, J, M = (  # noqa: E741
    ColumnType.STRING,
    ColumnType.INT,
    ColumnType.FLOAT,
    ColumnType.BOOL,
    ColumnType.TIMESTAMP,
    ColumnType.JSON,
    ColumnType.MESSAGES,
)
# End-user feedback: counts on every row, and on consensus and SFT rows the feedback itself.
FEEDBACK_COUNT_COLUMNS = [
    Column("feedback_n", I),
    Column("feedback_up", I),
    Column("feedback_down", I),
]
FEEDBACK_COLUMNS = [*FEEDBACK_COUNT_COLUMNS, Column("feedback", J)]
OUTPUT_COLUMNS = [
    Column("output_id", I),
    Column("external_id", S),
    Column("input", J),
    Column("output", S),
    Column("prompt", S),
    Column("prompt_version", I),
    Column("prompt_version_id", I),
    Column("model", S),
]
RATING_COLUMNS = [
    Column("rating_id", I),
    Column("annotation_id", I),
    Column("item_id", I),
    Column("queue_id", I),
    Column("queue", S),
    *OUTPUT_COLUMNS,
    Column("reviewer", S),
    Column("criterion", S),
    Column("score", I),
    Column("scale_min", I),
    Column("scale_max", I),
    Column("comment", S),
    Column("flags", J),
    Column("active_ms", I),
    Column("created_at", T),
    Column("updated_at", T),
    Column("rubric", S),
    Column("rubric_version", I),
    Column("is_gold", B),
    Column("gold_score", F),
    Column("adjudicated_score", F),
    *FEEDBACK_COUNT_COLUMNS,
]
CRITERION_SUFFIXES = [
    ("mean", F),
    ("median", F),
    ("std", F),
    ("n", I),
    ("judge", F),
    ("adjudicated", F),
]
SFT_COLUMNS = [
    Column("messages", M),
    Column("output_id", I),
    Column("external_id", S),
    Column("prompt", S),
    Column("prompt_version", I),
    Column("model", S),
    Column("score", F),
    Column("scores", J),
    Column("n_reviewers", I),
    Column("agreement", F),
    *FEEDBACK_COLUMNS,
]

PREFERENCE_COLUMNS = [
    Column("prompt", M),
    Column("chosen", M),
    Column("rejected", M),
    Column("prompt_text", S),
    Column("chosen_text", S),
    Column("rejected_text", S),
    Column("chosen_output_id", I),
    Column("rejected_output_id", I),
    Column("chosen_external_id", S),
    Column("rejected_external_id", S),
    Column("chosen_prompt", S),
    Column("chosen_prompt_version", I),
    Column("rejected_prompt", S),
    Column("rejected_prompt_version", I),
    Column("chosen_model", S),
    Column("rejected_model", S),
    Column("chosen_score", F),
    Column("rejected_score", F),
    Column("margin", F),
    Column("chosen_scores", J),
    Column("rejected_scores", J),
    Column("chosen_n_reviewers", I),
    Column("rejected_n_reviewers", I),
    Column("rule", S),
    Column("source", S),
    Column("input_hash", S),
]


def consensus_columns(criteria: list[str]) -> list[Column]:
    """Return the consensus columns: the output, then wide columns per criterion, then totals."""
    wide = [
        Column(f"{name}_{suffix}", kind) for name in criteria for suffix, kind in CRITERION_SUFFIXES
    ]
    return [
        *OUTPUT_COLUMNS,
        Column("input_hash", S),
        Column("n_reviewers", I),
        Column("n_ratings", I),
        *wide,
        Column("score", F),
        Column("agreement", F),
        Column("disagreement", F),
        Column("flag_count", I),
        Column("flags", J),
        *FEEDBACK_COLUMNS,
    ]


def columns_for(context: ExportContext) -> list[Column]:
    """Return the columns of the context's export kind."""
    kind = context.spec.kind
    if kind == "ratings":
        return RATING_COLUMNS
    if kind == "consensus":
        return consensus_columns(context.criterion_names)
    if kind == "preferences":
        return PREFERENCE_COLUMNS
    return SFT_COLUMNS


def feedback_fields(summary: OutputSummary, *, listed: bool) -> dict[str, Any]:
    """Return the feedback columns of an output: counts, and with ``listed`` the list itself."""
    feedback = summary.feedback
    fields: dict[str, Any] = {
        "feedback_n": len(feedback),
        "feedback_up": sum(1 for f in feedback if f["thumb"] == "up"),
        "feedback_down": sum(1 for f in feedback if f["thumb"] == "down"),
    }
    if listed:
        fields["feedback"] = feedback
    return fields


def output_fields(summary: OutputSummary) -> dict[str, Any]:
    """Return the output columns of a summarised output."""
    output, version = summary.source.output, summary.version
    return {
        "output_id": output.id,
        "external_id": output.external_id,
        "input": output.input,
        "output": output.output_text,
        "prompt": version.template if version else None,
        "prompt_version": version.number if version else None,
        "prompt_version_id": output.prompt_version_id,
        "model": output.model_name,
    }


def raw_label_rows(summary: OutputSummary, context: ExportContext) -> Iterator[dict[str, Any]]:
    """Yield one row per rating of the output (annotation fields are built once each)."""
    output = {**output_fields(summary), **feedback_fields(summary, listed=False)}
    annotations = summary.source.annotations
    bases: dict[int, dict[str, Any]] = {}
    for rating in summary.source.ratings:
        base = bases.get(rating.annotation_id)
        if base is None:
            base = bases[rating.annotation_id] = _annotation_fields(
                annotations[rating.annotation_id], output, context
            )
        criterion = context.criteria_by_id[rating.criterion_id]
        key = (base["item_id"], criterion.name)
        yield {
            **base,
            "rating_id": rating.id,
            "criterion": criterion.name,
            "score": rating.score,
            "scale_min": criterion.scale_min,
            "scale_max": criterion.scale_max,
            "gold_score": context.gold.get(key) if base["is_gold"] else None,
            "adjudicated_score": summary.source.adjudicated.get(key),
        }


def _annotation_fields(
    annotation: AnnotationRow, output: dict[str, Any], context: ExportContext
) -> dict[str, Any]:
    rubric, rubric_version = context.rubric_versions.get(annotation.rubric_version_id, (None, None))
    return {
        **output,
        "annotation_id": annotation.id,
        "item_id": annotation.item_id,
        "queue_id": annotation.queue_id,
        "queue": context.queues.get(annotation.queue_id, {}).get("name"),
        "reviewer": context.reviewer(annotation),
        "comment": annotation.comment,
        "flags": annotation.flags or [],
        "active_ms": annotation.active_ms,
        "created_at": annotation.created_at,
        "updated_at": annotation.updated_at,
        "rubric": rubric,
        "rubric_version": rubric_version,
        "is_gold": annotation.is_gold,
    }


def consensus_row(summary: OutputSummary, context: ExportContext) -> dict[str, Any]:
    """Return the one consensus row of an output."""
    row = {
        **output_fields(summary),
        "input_hash": summary.source.output.input_hash,
        "n_reviewers": summary.n_reviewers,
        "n_ratings": len(summary.source.ratings),
    }
    for name in context.criterion_names:
        consensus = summary.criteria.get(name)
        if consensus is None:
            row[f"{name}_n"] = 0
            continue
        row.update(
            {
                f"{name}_mean": consensus.mean,
                f"{name}_median": consensus.median,
                f"{name}_std": consensus.std,
                f"{name}_n": consensus.n,
                f"{name}_judge": consensus.judge,
                f"{name}_adjudicated": consensus.adjudicated,
            }
        )
    flags = summary.source.flags
    row.update(
        {
            "score": summary.score,
            "agreement": summary.agreement,
            "disagreement": summary.disagreement,
            "flag_count": summary.flag_count,
            "flags": list(flags.names) if flags else [],
            **feedback_fields(summary, listed=True),
        }
    )
    return row


def rule_score(summary: OutputSummary, rule: str) -> float | None:
    """Return the score a rule ranks an output by: a criterion's, the mean, or the lowest."""
    if rule.startswith("criterion:"):
        consensus = summary.criteria.get(rule.split(":", 1)[1])
        return consensus.score if consensus else None
    if not summary.criteria:
        return None
    if rule == "all":
        return min(c.score for c in summary.criteria.values())
    return summary.score


def sft_row(summary: OutputSummary, context: ExportContext) -> dict[str, Any] | None:
    """Return the SFT row of an output whose score passes the threshold, else None.

    With the "all" rule every criterion must pass, which is the lowest criterion passing.
    """
    score = rule_score(summary, context.spec.filters.rule)
    if score is None or score < context.spec.filters.sft_threshold:
        return None
    output, version = summary.source.output, summary.version
    messages = context.prompt_messages(output, version)
    messages.append({"role": "assistant", "content": output.output_text})
    return {
        "messages": messages,
        "output_id": output.id,
        "external_id": output.external_id,
        "prompt": version.template if version else None,
        "prompt_version": version.number if version else None,
        "model": output.model_name,
        "score": score,
        "scores": summary.scores(),
        "n_reviewers": summary.n_reviewers,
        "agreement": summary.agreement,
        **feedback_fields(summary, listed=True),
    }
