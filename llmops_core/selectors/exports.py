"""Named reads for exports: job lists, and outputs with their ratings, streamed in blocks.

Ratings come only through the annotation app's selectors. ``export_output_stream`` reads them
ordered by output, a block of a few thousand at a time, and looks up everything else an export
row needs (output text, flags, judge scores, adjudications) once per block, so memory stays
flat whatever the size of the export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from annotate.selectors import (
    AnnotationRow,
    OutputFlags,
    PairwisePreferenceRow,
    RatingFilter,
    RatingRow,
    adjudicated_scores,
    export_annotation_rows,
    export_flags_by_output,
    export_output_boundaries,
    export_pairwise_preference_rows,
    export_queue_rows,
    export_rating_count,
    export_rating_rows,
    export_rubric_version_ids,
)
from llmops_core.models import Criterion, ExportJob, JudgeScore, ModelOutput, PromptVersion

__all__ = [
    "AnnotationRow",
    "CriterionInfo",
    "ExportChoices",
    "OutputFlags",
    "OutputInfo",
    "OutputRatings",
    "PairwisePreferenceRow",
    "RatingRow",
    "VersionInfo",
    "export_choices",
    "export_criteria",
    "export_job_get",
    "export_job_list",
    "export_judge_scores",
    "export_output_blocks",
    "export_output_boundaries",
    "export_outputs",
    "export_pairwise_preference_rows",
    "export_prompt_versions",
    "export_rating_count",
    "export_scope",
]


def export_job_list(*, project_id: int) -> QuerySet[ExportJob]:
    """Return the project's export jobs, newest first, without the (large) datasheet."""
    return (
        ExportJob.objects.filter(project_id=project_id)
        .select_related("requested_by")
        .defer("datasheet")
        .order_by("-id")
    )


def export_job_get(*, project_id: int, pk: int) -> ExportJob | None:
    """Return one export job of the project, datasheet included, or None."""
    return (
        ExportJob.objects.filter(project_id=project_id, pk=pk)
        .select_related("requested_by", "project")
        .first()
    )


@dataclass(frozen=True)
class OutputInfo:
    """The fields of a model output an export row carries."""

    id: int
    external_id: str
    input: Any
    input_hash: str
    output_text: str
    model_name: str
    prompt_version_id: int | None


@dataclass(frozen=True)
class VersionInfo:
    """A prompt version as exports describe it."""

    id: int
    template: str
    number: int
    template_text: str
    system_message: str
    model_name: str


@dataclass(frozen=True)
class CriterionInfo:
    """A criterion of a rubric version in scope, with its anchored scale."""

    id: int
    name: str
    description: str
    scale_min: int
    scale_max: int
    anchors: dict[str, str]
    rubric: str
    rubric_version: int
    rubric_version_id: int


def export_prompt_versions(*, project_id: int) -> dict[int, VersionInfo]:
    """Return every prompt version of the project by id (projects hold few versions)."""
    rows = (
        PromptVersion.objects.filter(template__project_id=project_id)
        .order_by("id")
        .values("id", "template__name", "number", "template_text", "system_message", "model_name")
    )
    return {
        row["id"]: VersionInfo(
            row["id"],
            row["template__name"],
            row["number"],
            row["template_text"],
            row["system_message"],
            row["model_name"],
        )
        for row in rows
    }


def export_criteria(*, rubric_version_ids: Sequence[int]) -> list[CriterionInfo]:
    """Return the criteria of the given rubric versions, by version id then position."""
    rows = (
        Criterion.objects.filter(rubric_version_id__in=list(rubric_version_ids))
        .order_by("rubric_version_id", "position", "id")
        .values(
            "id",
            "name",
            "description",
            "scale_min",
            "scale_max",
            "anchors",
            "rubric_version__rubric__name",
            "rubric_version__number",
            "rubric_version_id",
        )
    )
    return [
        CriterionInfo(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            scale_min=row["scale_min"],
            scale_max=row["scale_max"],
            anchors={str(k): str(v) for k, v in sorted((row["anchors"] or {}).items())},
            rubric=row["rubric_version__rubric__name"],
            rubric_version=row["rubric_version__number"],
            rubric_version_id=row["rubric_version_id"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ExportChoices:
    """What a project's export filters may name: queues, prompt versions, criteria."""

    queues: list[tuple[int, str]]
    versions: list[tuple[int, str]]
    criteria: list[str]


def export_choices(*, project_id: int) -> ExportChoices:
    """Return the project's queues, prompt versions and criterion names, for filters."""
    versions = [
        (v.id, f"{v.template} v{v.number}")
        for v in sorted(
            export_prompt_versions(project_id=project_id).values(),
            key=lambda v: (v.template, v.number),
        )
    ]
    criteria = (
        Criterion.objects.filter(rubric_version__rubric__project_id=project_id)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return ExportChoices(
        queues=[(q["id"], q["name"]) for q in export_queue_rows(project_id)],
        versions=versions,
        criteria=list(criteria),
    )


def export_scope(flt: RatingFilter) -> tuple[list[CriterionInfo], list[dict[str, Any]]]:
    """Return the criteria of the rubric versions rated under ``flt``, and the project's queues."""
    criteria = export_criteria(rubric_version_ids=export_rubric_version_ids(flt))
    return criteria, export_queue_rows(flt.project_id)


def export_outputs(*, output_ids: Sequence[int]) -> dict[int, OutputInfo]:
    """Return the outputs with the given ids."""
    rows = ModelOutput.objects.filter(pk__in=list(output_ids)).values_list(
        "id",
        "external_id",
        "input",
        "input_hash",
        "output_text",
        "model_name",
        "prompt_version_id",
    )
    return {row[0]: OutputInfo(*row) for row in rows}


def export_judge_scores(*, output_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Return the judge's score per output and criterion, from the latest run that scored it."""
    rows = (
        JudgeScore.objects.filter(output_id__in=list(output_ids))
        .order_by("output_id", "criterion__name", "run_id")
        .values_list("output_id", "criterion__name", "score")
    )
    scores: dict[int, dict[str, float]] = {}
    for output_id, criterion, score in rows:
        scores.setdefault(output_id, {})[criterion] = float(score)  # later runs overwrite
    return scores


@dataclass
class OutputRatings:
    """One output with its ratings in scope, their annotations, and what else is known."""

    output: OutputInfo
    ratings: list[RatingRow]
    annotations: dict[int, AnnotationRow] = field(default_factory=dict)
    flags: OutputFlags | None = None
    judge: dict[str, float] = field(default_factory=dict)
    adjudicated: dict[tuple[int, str], float] = field(default_factory=dict)


def export_output_blocks(
    flt: RatingFilter,
    *,
    by_input: bool = False,
    real_names: bool = False,
    block_ratings: int = 5000,
) -> Iterator[list[OutputRatings]]:
    """Yield blocks of rated outputs in scope, each with its ratings and annotations.

    Outputs come ordered by id (or by input hash, then id, with ``by_input``); a block holds
    whole outputs and about ``block_ratings`` ratings.
    """
    rows = export_rating_rows(flt, by_input=by_input, chunk_size=block_ratings)
    for block in _blocks(rows, block_ratings):
        yield _enrich(flt, block, real_names, contiguous=not by_input)


def _blocks(rows: Iterator[RatingRow], size: int) -> Iterator[dict[int, list[RatingRow]]]:
    """Group rows by output into blocks of at least ``size`` ratings, never splitting an output."""
    block: dict[int, list[RatingRow]] = {}
    count = 0
    current: int | None = None
    for row in rows:
        if row.output_id != current:
            if count >= size:
                yield block
                block, count = {}, 0
            current = row.output_id
            block[current] = []
        block[current].append(row)
        count += 1
    if block:
        yield block


def _enrich(
    flt: RatingFilter, block: dict[int, list[RatingRow]], real_names: bool, *, contiguous: bool
) -> list[OutputRatings]:
    """Look up the block's outputs, annotations, flags, judge scores and adjudications.

    A block read in output id order holds every rating in scope of the outputs between its
    first and last id, so the annotation, flag and adjudication reads use that id range
    instead of a list of ids (which Django prepares value by value).
    """
    ids = list(block)
    outputs = export_outputs(output_ids=ids)
    if contiguous:
        ranged = dataclasses.replace(flt, output_id_min=min(ids), output_id_max=max(ids) + 1)
        annotations = export_annotation_rows(ranged, output_ids=None, real_names=real_names)
        adjudication_filter = RatingFilter(
            project_id=flt.project_id,
            queue_ids=flt.queue_ids,
            output_id_min=min(ids),
            output_id_max=max(ids) + 1,
        )
    else:
        annotations = export_annotation_rows(flt, output_ids=ids, real_names=real_names)
        adjudication_filter = RatingFilter(
            project_id=flt.project_id, queue_ids=flt.queue_ids, output_ids=ids
        )
    flags = export_flags_by_output(
        project_id=flt.project_id, output_ids=ids, queue_ids=flt.queue_ids, contiguous=contiguous
    )
    judge = export_judge_scores(output_ids=ids)
    by_item: dict[int, dict[tuple[int, str], float]] = {}
    for key, score in adjudicated_scores(adjudication_filter).items():
        by_item.setdefault(key[0], {})[key] = score
    result = []
    for output_id, ratings in block.items():
        mine = {r.annotation_id: annotations[r.annotation_id] for r in ratings}
        final: dict[tuple[int, str], float] = {}
        for item_id in {a.item_id for a in mine.values()}:
            final.update(by_item.get(item_id, {}))
        result.append(
            OutputRatings(
                output=outputs[output_id],
                ratings=ratings,
                annotations=mine,
                flags=flags.get(output_id),
                judge=judge.get(output_id, {}),
                adjudicated=final,
            )
        )
    return result
