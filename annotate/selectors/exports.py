"""Named reads of annotation tables for exports, as plain rows, streamed in a stable order.

``annotate.selectors.ratings`` streams ratings by id; exports need them grouped by output (or by
input, for preference pairs) so that one output's ratings can be aggregated and written before
the next is read, with flat memory. Everything here returns dicts, tuples and ints.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from annotate.models import Annotation, PairwisePreference, Queue
from annotate.selectors.ratings import RatingFilter, rating_queryset


class RatingRow(NamedTuple):
    """One rating: its annotation holds who, when, comment and flags."""

    id: int
    annotation_id: int
    criterion_id: int
    score: int
    output_id: int
    input_hash: str = ""


@dataclass(frozen=True, slots=True)
class AnnotationRow:
    """One reviewer's annotation of a queue item, as exports describe it."""

    id: int
    item_id: int
    queue_id: int
    is_gold: bool
    reviewer_id: int
    rubric_version_id: int
    active_ms: int
    comment: str
    flags: list[str]
    created_at: datetime
    updated_at: datetime
    reviewer: str | None = None  # the username, only for real-name exports


def export_rating_rows(
    flt: RatingFilter, *, by_input: bool = False, chunk_size: int = 5000
) -> Iterator[RatingRow]:
    """Yield the filter's ratings ordered by output id (or by input hash, then output id).

    The order keeps every output's ratings together, so a consumer can aggregate one output
    at a time. Rows hold ids and the score only: annotation fields are read once per
    annotation by ``export_annotation_rows``, not once per criterion.
    """
    fields = ["id", "annotation_id", "criterion_id", "score", "annotation__item__output_id"]
    order = ["annotation__item__output_id", "id"]
    if by_input:
        fields.append("annotation__item__output__input_hash")
        order.insert(0, "annotation__item__output__input_hash")
    queryset = rating_queryset(flt).order_by(*order).values_list(*fields)
    yield from itertools.starmap(RatingRow, queryset.iterator(chunk_size=chunk_size))


ANNOTATION_FIELDS = (
    "id",
    "item_id",
    "item__queue_id",
    "item__is_gold",
    "reviewer_id",
    "rubric_version_id",
    "active_ms",
    "comment",
    "flags",
    "created_at",
    "updated_at",
)


def export_annotation_rows(
    flt: RatingFilter, *, output_ids: Sequence[int] | None, real_names: bool = False
) -> dict[int, AnnotationRow]:
    """Return the filter's annotations of the given outputs (None: of all its outputs), by id.

    A block of outputs read in id order passes None with the block's id range in the filter:
    a range costs the database what an IN list does, without the list.
    """
    fields = [*ANNOTATION_FIELDS, "reviewer__username"] if real_names else ANNOTATION_FIELDS
    rows = Annotation.objects.filter(flt.annotation_q())
    if output_ids is not None:
        rows = rows.filter(item__output_id__in=list(output_ids))
    values: Any = rows.values_list(*fields)  # tuples, in the order of AnnotationRow's fields
    return {row[0]: AnnotationRow(*row) for row in values}


def export_rating_count(flt: RatingFilter) -> int:
    """Return how many ratings the filter covers (the denominator of an export's progress)."""
    return rating_queryset(flt).count()


def export_output_boundaries(flt: RatingFilter, *, parts: int, total: int) -> list[int]:
    """Return up to ``parts - 1`` output ids that split the filter's ratings into equal parts.

    Ratings of one output never straddle a boundary (a part is a half-open range of output
    ids), so each part can be exported on its own and the parts concatenated in order.
    """
    ordered = (
        rating_queryset(flt)
        .order_by("annotation__item__output_id")
        .values_list("annotation__item__output_id", flat=True)
    )
    bounds: list[int] = []
    for k in range(1, parts):
        found = ordered[k * total // parts : k * total // parts + 1]
        bound = next(iter(found), None)
        if bound is not None and (not bounds or bound > bounds[-1]):
            bounds.append(bound)
    return bounds


def export_rubric_version_ids(flt: RatingFilter) -> list[int]:
    """Return the rubric versions of the annotations the filter covers, in id order."""
    rows = (
        Annotation.objects.filter(flt.annotation_q())
        .order_by("rubric_version_id")
        .values_list("rubric_version_id", flat=True)
        .distinct()
    )
    return list(rows)


def export_queue_rows(project_id: int) -> list[dict[str, Any]]:
    """Return the project's queues (id, name, overlap, rubric version), ordered by id."""
    rows = (
        Queue.objects.filter(project_id=project_id)
        .order_by("id")
        .values("id", "name", "overlap", "rubric_version_id", "guidelines")
    )
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class OutputFlags:
    """The flags reviewers raised on one output: how many annotations, and which flags."""

    count: int
    names: tuple[str, ...]


def export_flags_by_output(
    *,
    project_id: int,
    output_ids: Sequence[int],
    queue_ids: Sequence[int] = (),
    contiguous: bool = False,
) -> dict[int, OutputFlags]:
    """Return the flags raised on each of ``output_ids`` (outputs without flags are absent).

    Flags describe the output, so they are read from every annotation of the project (or of
    the given queues), whatever its date or whether it carries scores. ``contiguous`` reads
    the id range of ``output_ids`` (the result may hold outputs beyond the list).
    """
    if not output_ids:
        return {}
    rows = Annotation.objects.filter(item__queue__project_id=project_id).exclude(flags=[])
    if contiguous:  # every output in [min, max] is wanted or harmless: a range, not a list
        rows = rows.filter(
            item__output_id__gte=min(output_ids), item__output_id__lte=max(output_ids)
        )
    else:
        rows = rows.filter(item__output_id__in=list(output_ids))
    if queue_ids:
        rows = rows.filter(item__queue_id__in=list(queue_ids))
    counts: dict[int, int] = defaultdict(int)
    names: dict[int, set[str]] = defaultdict(set)
    for output_id, flags in rows.values_list("item__output_id", "flags"):
        counts[output_id] += 1
        names[output_id].update(str(flag) for flag in flags or [])
    return {oid: OutputFlags(counts[oid], tuple(sorted(names[oid]))) for oid in counts}


@dataclass(frozen=True)
class PairwisePreferenceRow:
    """One reviewer's pairwise judgement: output A against output B, on a criterion or overall."""

    output_a_id: int
    output_b_id: int
    preferred: str  # "A", "B" or "tie"
    reviewer_id: int
    criterion: str | None = None


def export_pairwise_preference_rows(flt: RatingFilter) -> Iterator[PairwisePreferenceRow]:
    """Yield reviewers' pairwise preferences, ordered by pair (output A has the lower id).

    Each preference gives one overall row, then one row per criterion the reviewer judged.
    The filter's queues, prompt versions (both outputs) and dates apply to the preferences.
    """
    rows = PairwisePreference.objects.filter(queue__project_id=flt.project_id)
    if flt.queue_ids:
        rows = rows.filter(queue_id__in=list(flt.queue_ids))
    if flt.prompt_version_ids:
        versions = list(flt.prompt_version_ids)
        rows = rows.filter(
            output_a__prompt_version_id__in=versions, output_b__prompt_version_id__in=versions
        )
    if flt.since is not None:
        rows = rows.filter(created_at__gte=flt.since)
    if flt.until is not None:
        rows = rows.filter(created_at__lt=flt.until)
    values = rows.order_by("output_a_id", "output_b_id", "id").values_list(
        "output_a_id", "output_b_id", "choice", "reviewer_id", "criteria"
    )
    for output_a, output_b, choice, reviewer, criteria in values.iterator(chunk_size=5000):
        yield PairwisePreferenceRow(output_a, output_b, choice, reviewer)
        for name in sorted(criteria or {}):
            yield PairwisePreferenceRow(output_a, output_b, str(criteria[name]), reviewer, name)
