"""Named reads behind drift reports: a window's outputs as numbers, in bounded chunks.

Nothing here loads the outputs' texts wholesale. Lengths are SQL ``LENGTH`` of the output
and of the input's stored JSON text; refusals are matched in SQL (``REFUSAL_PATTERNS``, case
insensitive); only the vocabulary reads text, and only from a capped sample of outputs, each
cut to its first ``SAMPLE_CHARS`` characters. Rows stream with ``iterator(chunk_size=...)``
(a server-side cursor on PostgreSQL) over the (project, created_at) index.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from django.db.models import Case, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Length, Substr

from annotate.selectors import RatingFilter, rating_rows
from llmops_core.metrics.drift.refusals import REFUSAL_PATTERNS
from llmops_core.models import (
    JobStatus,
    JudgeScore,
    JudgeVersion,
    ModelOutput,
    OutputStatus,
    Project,
    Report,
    ReportKind,
)

CHUNK: Final = 5000
SAMPLE_CHARS: Final = 2000
PROGRESS_EVERY: Final = 20_000


@dataclass
class WindowNumbers:
    """One window's per-output numbers, in id order; NaN where an output has no value."""

    ids: array = field(default_factory=lambda: array("q"))
    output_length: array = field(default_factory=lambda: array("d"))
    input_length: array = field(default_factory=lambda: array("d"))
    latency_ms: array = field(default_factory=lambda: array("d"))
    cost: array = field(default_factory=lambda: array("d"))
    error: array = field(default_factory=lambda: array("d"))
    refusal: array = field(default_factory=lambda: array("d"))

    def column(self, name: str) -> np.ndarray:
        values = (
            np.frombuffer(getattr(self, name), dtype=np.float64) if len(self.ids) else np.empty(0)
        )
        return values[np.isfinite(values)]

    def id_array(self) -> np.ndarray:
        return np.frombuffer(self.ids, dtype=np.int64) if len(self.ids) else np.empty(0, np.int64)


def window_q(*, project_id: int, window: Any, prefix: str = "") -> Q:
    """Return the filter of a window's outputs (``prefix``: reached through a relation)."""
    p = prefix
    q = Q(**{f"{p}project_id": project_id, f"{p}created_at__gte": window.since})
    q &= Q(**{f"{p}created_at__lt": window.until})
    if window.prompt_version_id is not None:
        q &= Q(**{f"{p}prompt_version_id": window.prompt_version_id})
    if window.model_name:
        q &= Q(**{f"{p}model_name": window.model_name})
    return q


def refusal_q(prefix: str = "") -> Q:
    """Return the filter of outputs whose text matches a refusal pattern (case insensitive)."""
    q = Q()
    for pattern in REFUSAL_PATTERNS:
        q |= Q(**{f"{prefix}output_text__icontains": pattern})
    return q


def window_outputs(*, project_id: int, window: Any) -> QuerySet[ModelOutput]:
    return ModelOutput.objects.filter(window_q(project_id=project_id, window=window))


def window_numbers(
    *, project_id: int, window: Any, progress: Callable[[int], None] | None = None
) -> WindowNumbers:
    """Read a window's per-output numbers in one streamed query (no text leaves the database)."""
    rows = (
        window_outputs(project_id=project_id, window=window)
        .order_by()
        .annotate(
            out_len=Length("output_text"),
            in_len=Length(Cast("input", TextField())),
            failed=Case(
                When(status=OutputStatus.ERROR, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            refused=Case(
                When(refusal_q(), then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
        )
        .values_list("id", "out_len", "in_len", "latency_ms", "cost", "failed", "refused")
        .iterator(chunk_size=CHUNK)
    )
    numbers = WindowNumbers()
    nan = float("nan")
    for n, (pk, out_len, in_len, latency, cost, failed, refused) in enumerate(rows, 1):
        numbers.ids.append(pk)
        numbers.output_length.append(out_len or 0)
        numbers.input_length.append(in_len or 0)
        numbers.latency_ms.append(nan if latency is None else float(latency))
        numbers.cost.append(nan if cost is None else float(cost))
        numbers.error.append(failed)
        numbers.refusal.append(refused)
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
    return numbers


def sample_texts(*, ids: np.ndarray, chunk: int = 500) -> Iterator[str]:
    """Yield the first ``SAMPLE_CHARS`` characters of each output in ``ids``, chunk by chunk."""
    for start in range(0, ids.size, chunk):
        part = [int(i) for i in ids[start : start + chunk]]
        yield from (
            ModelOutput.objects.filter(pk__in=part)
            .order_by("id")
            .annotate(head=Substr("output_text", 1, SAMPLE_CHARS))
            .values_list("head", flat=True)
        )


def _per_output_means(
    rows: Iterator[tuple[int, str, float]], ids: np.ndarray
) -> dict[str, list[float]]:
    """Return each criterion's per-output mean scores, for outputs of the window only."""
    sums: dict[tuple[str, int], list[float]] = {}
    for output, criterion, score in rows:
        sums.setdefault((criterion, output), []).append(float(score))
    keys = list(sums)
    inside = np.isin(np.array([k[1] for k in keys], dtype=np.int64), ids)
    by_criterion: dict[str, list[float]] = {}
    for key, keep in zip(keys, inside, strict=True):
        if keep:
            values = sums[key]
            by_criterion.setdefault(key[0], []).append(sum(values) / len(values))
    return by_criterion


def window_human_scores(*, project_id: int, window: Any, ids: np.ndarray) -> dict[str, list[float]]:
    """Return each criterion's human scores per output of the window (mean of its ratings).

    Ratings come through the door (``annotate.selectors``), bounded by the window's id range
    and version, then kept only for the window's outputs.
    """
    if ids.size == 0:
        return {}
    flt = RatingFilter(
        project_id=project_id,
        prompt_version_ids=(window.prompt_version_id,) if window.prompt_version_id else (),
        output_id_min=int(ids.min()),
        output_id_max=int(ids.max()) + 1,
    )
    rows = ((r["output_id"], r["criterion"], r["score"]) for r in rating_rows(flt))
    return _per_output_means(rows, ids)


def window_judge_scores(
    *, project_id: int, window: Any, judge_version_id: int, ids: np.ndarray
) -> dict[str, list[float]]:
    """Return each criterion's judge scores per output of the window (its latest score)."""
    if ids.size == 0:
        return {}
    rows = (
        JudgeScore.objects.filter(
            window_q(project_id=project_id, window=window, prefix="output__"),
            run__judge_version_id=judge_version_id,
        )
        .order_by("id")
        .values_list("output_id", "criterion__name", "score")
        .iterator(chunk_size=CHUNK)
    )
    latest = {(criterion, output): float(score) for output, criterion, score in rows}
    return _per_output_means(((o, c, s) for (c, o), s in latest.items()), ids)


def judge_version_latest(*, project_id: int) -> JudgeVersion | None:
    """Return the judge version of the project's most recent judge score, if any."""
    row = (
        JudgeScore.objects.filter(run__project_id=project_id)
        .order_by("-id")
        .values_list("run__judge_version_id", flat=True)
        .first()
    )
    return None if row is None else JudgeVersion.objects.select_related("config").get(pk=row)


def drift_report_list(*, project: Project) -> QuerySet[Report]:
    """Return the project's drift reports, newest first, without their results."""
    return (
        Report.objects.filter(project=project, kind=ReportKind.DRIFT)
        .select_related("requested_by")
        .defer("results")
        .order_by("-id")
    )


def drift_report_get(*, project: Project, pk: int) -> Report | None:
    """Return drift report ``pk`` of ``project`` with its results, or None."""
    return (
        Report.objects.filter(project=project, kind=ReportKind.DRIFT, pk=pk)
        .select_related("project", "requested_by")
        .first()
    )


def drift_report_for_key(*, project_id: int, key: str) -> Report | None:
    """Return the newest drift report of the window key that has not failed, or None."""
    return (
        Report.objects.filter(project_id=project_id, kind=ReportKind.DRIFT, parameters__key=key)
        .exclude(status__in=[JobStatus.FAILED, JobStatus.CANCELLED])
        .defer("results")
        .order_by("-id")
        .first()
    )


def projects_with_outputs(*, since: Any, until: Any) -> list[Project]:
    """Return the projects with outputs created in ``[since, until)`` (one indexed probe each)."""
    return [
        project
        for project in Project.objects.order_by("pk")
        if ModelOutput.objects.filter(project=project, created_at__gte=since, created_at__lt=until)
        .order_by()
        .exists()
    ]
