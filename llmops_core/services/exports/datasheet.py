"""The datasheet of an export: what was rated, by how many, how far reviewers agree, caveats.

It is built only from the export's spec, the data it read and the file it wrote (never the
clock), so re-running an export on unchanged data reproduces the datasheet too. Whatever has an
order is a list: PostgreSQL's jsonb does not keep the order of object keys.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from llmops_core.io.writers import WriteResult
from llmops_core.io.writers.columns import isoformat
from llmops_core.models import ExportKind
from llmops_core.services.exports.pipeline import ExportRun

SCHEMA = "llm-feedback-workbench/export-datasheet/1"
FEW_PAIRED_ITEMS = 30
AGREEMENT_METHOD = (
    "Krippendorff's alpha (ordinal and interval) per criterion over the ratings of the "
    "exported outputs; a unit is an output in one queue, and items rated once add nothing. "
    "It is computed exactly from every rating as the export streams (no sampling)."
)


# What the derived columns mean, listed in the datasheet for the columns an export has.
DEFINITIONS = {
    "reviewer": "A stable pseudonym per project (keyed hash), unless real names were asked.",
    "active_ms": "Time the reviewer actively spent on the item (tab visible), milliseconds.",
    "adjudicated_score": "The final score an adjudicator gave the item on this criterion.",
    "gold_score": "The known score of a gold item, used to check reviewers.",
    "n_reviewers": "Reviewers whose scores count for the output (annotations with ratings).",
    "score": "The mean over criteria of each criterion's score: the adjudicated score where "
    "there is one, else the mean rating (SFT: the score under the chosen rule).",
    "agreement": "1 minus the mean over criteria of (standard deviation / half the scale "
    "width), over criteria rated twice or more: 1 when reviewers agree, 0 when "
    "they split between the ends of the scale; empty with one reviewer.",
    "disagreement": "The largest spread (max - min, in points) over the output's criteria.",
    "flag_count": "Annotations that flagged the output (unsafe, broken, personal data, other).",
    "margin": "Score gap between chosen and rejected under the rule (pairwise: share of votes "
    "for chosen minus share for rejected).",
    "source": "score_gap (consensus scores of outputs of one input) or pairwise (reviewers' "
    "A-vs-B choices).",
    "messages": "Chat turns: the prompt version's system message and rendered template, then "
    "the output as the assistant turn.",
    "feedback_n": "End-user feedback the application sent about the output (any kind).",
    "feedback_up": "Of that feedback, thumbs up.",
    "feedback_down": "Of that feedback, thumbs down.",
    "feedback": "The end-user feedback itself, oldest first: kind (thumbs, score, comment, "
    "correction), thumb (up or down), score with its scale, comment, correction, source (api, "
    "otlp, langfuse) and given_at (the client's time, else when it arrived); never the end "
    "user's id.",
}


def app_version() -> str:
    """Return the installed version of the app."""
    try:
        return metadata.version("llm-feedback-workbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def datasheet_build(run: ExportRun, result: WriteResult, *, file_name: str) -> dict[str, Any]:
    """Return the datasheet of a finished export as JSON-ready data."""
    context, stats, spec = run.context, run.stats, run.spec
    kind = ExportKind(spec.kind)
    return {
        "schema": SCHEMA,
        "title": f"{context.project.name}: {kind.label}",
        "project": {"slug": context.project.slug, "name": context.project.name},
        "kind": spec.kind,
        "format": spec.format,
        "file": {
            "name": file_name,
            "rows": result.rows,
            "bytes": result.bytes,
            "sha256": result.sha256,
        },
        "app_version": app_version(),
        "filters": spec.filters.as_dict(spec.kind),
        "reviewer_names": "real usernames" if spec.real_names else "pseudonyms",
        "counts": _counts(run, result),
        "rating_period": {
            "first": isoformat(stats.first_rating) if stats.first_rating else None,
            "last": isoformat(stats.last_rating) if stats.last_rating else None,
        },
        "reviewers_per_output": [
            {"reviewers": n, "outputs": count}
            for n, count in sorted(stats.reviewers_per_output.items())
        ],
        "queues": [
            {
                "id": qid,
                "name": context.queues[qid]["name"],
                "overlap": context.queues[qid]["overlap"],
                "annotations": count,
            }
            for qid, count in sorted(stats.queues.items())
            if qid in context.queues
        ],
        "prompt_versions": _versions(run),
        "rubrics": _rubrics(run),
        "agreement": {
            "method": AGREEMENT_METHOD,
            "criteria": [
                {"criterion": name, **stats.criteria[name].as_dict()}
                for name in context.criterion_names
                if name in stats.criteria
            ],
        },
        "columns": [{"name": c.name, "type": c.type.value} for c in run.columns],
        "definitions": [
            {"column": c.name, "meaning": DEFINITIONS[c.name]}
            for c in run.columns
            if c.name in DEFINITIONS
        ],
        "caveats": _caveats(run, result),
    }


def _counts(run: ExportRun, result: WriteResult) -> dict[str, Any]:
    stats = run.stats
    counts: dict[str, Any] = {
        "rows": result.rows,
        "ratings_read": stats.ratings_read,
        "outputs_read": stats.outputs_read,
        "outputs_excluded": {
            reason: stats.excluded[reason] for reason in ("flagged", "min_ratings", "min_agreement")
        },
        "outputs": stats.outputs,
        "ratings": stats.ratings,
        "reviewers": len(stats.reviewers),
        "flagged_outputs": stats.flagged,
        "outputs_with_judge_scores": stats.with_judge,
        "outputs_with_adjudication": stats.with_adjudication,
        "gold_items": len(stats.gold_items),
    }
    if run.spec.kind == ExportKind.PREFERENCES:
        counts["pairs"] = {
            "score_gap": stats.notes["pairs_score_gap"],
            "pairwise": stats.notes["pairs_pairwise"],
        }
    return counts


def _versions(run: ExportRun) -> list[dict[str, Any]]:
    versions = run.context.versions
    result: list[dict[str, Any]] = []
    for version_id, outputs in sorted(run.stats.versions.items()):
        version = versions.get(version_id)
        if version is None:
            result.append({"id": None, "prompt": None, "version": None, "outputs": outputs})
            continue
        result.append(
            {
                "id": version.id,
                "prompt": version.template,
                "version": version.number,
                "model": version.model_name,
                "outputs": outputs,
                "system_message": version.system_message,
                "template": version.template_text,
            }
        )
    return result


def _rubrics(run: ExportRun) -> list[dict[str, Any]]:
    rubrics: dict[int, dict[str, Any]] = {}
    for criterion in run.context.criteria:
        entry = rubrics.setdefault(
            criterion.rubric_version_id,
            {"rubric": criterion.rubric, "version": criterion.rubric_version, "criteria": []},
        )
        entry["criteria"].append(
            {
                "name": criterion.name,
                "description": criterion.description,
                "scale": [criterion.scale_min, criterion.scale_max],
                "anchors": criterion.anchors,
            }
        )
    return [rubrics[key] for key in sorted(rubrics)]


def _caveats(run: ExportRun, result: WriteResult) -> list[str]:
    """Return what a reader of the data should know before using it."""
    spec, stats, context = run.spec, run.stats, run.context
    notes = [
        "Reviewers appear under real usernames, as an admin asked."
        if spec.real_names
        else "Reviewers appear as pseudonyms (a keyed hash of project and user): stable across "
        "this project's exports, not linkable to other projects.",
    ]
    if result.rows == 0:
        notes.append("The export is empty: no rating matched the filters.")
    single = stats.reviewers_per_output.get(1, 0)
    if single:
        notes.append(
            f"{single} output(s) have one reviewer: their consensus is one person's "
            "rating and their agreement is empty."
        )
    few = [
        name
        for name, tally in sorted(stats.criteria.items())
        if tally.pairable_units < FEW_PAIRED_ITEMS
    ]
    if few:
        notes.append(
            f"Fewer than {FEW_PAIRED_ITEMS} items were rated twice or more on "
            f"{', '.join(few)}: alpha there is uncertain."
        )
    if len(context.rubric_versions) > 1:
        notes.append(
            f"Ratings span {len(context.rubric_versions)} rubric versions; criteria of "
            "the same name are pooled."
        )
    if stats.flagged and not spec.filters.exclude_flagged:
        notes.append(
            f"{stats.flagged} output(s) were flagged by a reviewer (unsafe, broken, "
            "personal data, other) and are included; see the flags columns."
        )
    if stats.gold_items:
        notes.append(
            f"{len(stats.gold_items)} gold item(s) (known answers used to check "
            "reviewers) are included; is_gold marks them in the ratings export."
        )
    if stats.with_adjudication:
        notes.append(
            "Where an item was adjudicated, its final score replaces the mean rating "
            "in scores, rankings and thresholds."
        )
    if stats.with_judge:
        notes.append("Judge scores come from the latest judge run that scored each output.")
    if len(stats.input_kinds) > 1:
        notes.append(
            "Inputs mix text and structured values: load the input column from CSV or "
            "Parquet (JSON text) if a JSON Lines loader cannot infer one type."
        )
    notes.extend(_kind_caveats(run))
    if spec.format in ("csv", "parquet"):
        notes.append("Nested values (input, flags, scores) are JSON text in CSV and Parquet.")
    if spec.format == "csv":
        notes.append(
            "Text cells starting with =, +, -, @, tab or carriage return are prefixed "
            "with a single quote so spreadsheets do not run them as formulas."
        )
    return notes


def _kind_caveats(run: ExportRun) -> list[str]:
    spec, filters, context = run.spec, run.spec.filters, run.context
    notes = []
    if spec.kind in (ExportKind.PREFERENCES, ExportKind.SFT):
        notes.append(
            "Agreement and counts describe every output the rows were drawn from "
            "(after the filters), not only those that made a pair or passed the "
            "threshold."
        )
    if spec.kind == ExportKind.PREFERENCES:
        notes.append(
            f'Pairs with source "score_gap" come from consensus scores of outputs of the same '
            f"input: rule {filters.rule!r}, minimum margin {filters.min_margin:g}."
        )
        if run.stats.notes["pairs_pairwise"]:
            notes.append(
                'Pairs with source "pairwise" come from reviewers\' blind A-vs-B choices: a '
                "strict majority picks the chosen output, the scores are the shares of votes "
                "and the output filters (reviewers, agreement, flags) do not apply to them."
            )
        else:
            notes.append(
                "No human pairwise preference (A vs B) matched the filters, so every pair "
                "comes from score gaps."
            )
        notes.append(
            "Pairs across prompt versions use the input itself as the prompt, since "
            "each side answered a different template; same-version pairs use the "
            "version's rendered chat."
        )
    if spec.kind == ExportKind.SFT:
        notes.append(
            f"Rows are outputs whose score under rule {filters.rule!r} is at least "
            f"{filters.sft_threshold:g}; messages hold the prompt version's system "
            "message and rendered template, then the output."
        )
    if context.render_fallbacks:
        notes.append(
            f"{context.render_fallbacks} prompt(s) could not be rendered from their "
            "template and use the input as the user turn instead."
        )
    return notes
