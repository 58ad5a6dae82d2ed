"""Reads of end-user feedback: per output, per prompt version, for the outputs filter, exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from llmops_core.models import Feedback, FeedbackKind

OUTPUT_FEEDBACK_LIMIT = 100
# The outputs filter's choices: which feedback an output must have.
FILTER_CHOICES = {
    "any": Q(),
    "down": Q(thumb=False),
    "up": Q(thumb=True),
    "comment": ~Q(comment=""),
    "correction": ~Q(correction=""),
}


@dataclass(frozen=True)
class FeedbackSummary:
    """A version's (or an output's) feedback in numbers; rates are None with a reason."""

    n: int
    up: int
    down: int
    scores: int
    score_mean: float | None
    comments: int
    corrections: int

    @property
    def thumbs(self) -> int:
        return self.up + self.down

    @property
    def down_rate(self) -> float | None:
        """Return the share of thumbs that were down (None when there are no thumbs)."""
        return self.down / self.thumbs if self.thumbs else None

    @property
    def down_rate_reason(self) -> str:
        return "" if self.thumbs else "no thumbs up or down yet"


_AGGREGATES: dict[str, Any] = {
    "n": Count("id"),
    "up": Count("id", filter=Q(thumb=True)),
    "down": Count("id", filter=Q(thumb=False)),
    "scores": Count("id", filter=Q(kind=FeedbackKind.SCORE)),
    "score_mean": Avg("score", filter=Q(kind=FeedbackKind.SCORE)),
    "comments": Count("id", filter=~Q(comment="")),
    "corrections": Count("id", filter=~Q(correction="")),
}


def _summary(row: Any) -> FeedbackSummary:
    return FeedbackSummary(**{name: row[name] for name in _AGGREGATES})


def feedback_summaries(*, version_ids: Sequence[int]) -> dict[int, FeedbackSummary]:
    """Return the feedback of each prompt version's outputs (versions without any left out)."""
    rows = (
        Feedback.objects.filter(output__prompt_version_id__in=list(version_ids))
        .values("output__prompt_version_id")
        .order_by()
        .annotate(**_AGGREGATES)
    )
    return {row["output__prompt_version_id"]: _summary(row) for row in rows}


def feedback_summary(*, version_id: int) -> FeedbackSummary:
    """Return the feedback of a prompt version's outputs (zeros when there is none)."""
    empty = FeedbackSummary(0, 0, 0, 0, None, 0, 0)
    return feedback_summaries(version_ids=[version_id]).get(version_id, empty)


@dataclass(frozen=True)
class FeedbackRow:
    """One piece of feedback as the output page shows it."""

    kind: str
    name: str
    thumb: bool | None
    score: float | None
    scale_min: float | None
    scale_max: float | None
    comment: str
    correction: str
    source: str
    end_user_id: str
    given_at: datetime


def output_feedback(
    *, output_id: int, limit: int = OUTPUT_FEEDBACK_LIMIT
) -> tuple[list[FeedbackRow], int]:
    """Return an output's latest feedback (at most ``limit``) and how much it has in all."""
    qs = Feedback.objects.filter(output_id=output_id)
    rows = [
        FeedbackRow(
            kind=f.kind,
            name=f.name,
            thumb=f.thumb,
            score=f.score,
            scale_min=f.scale_min,
            scale_max=f.scale_max,
            comment=f.comment,
            correction=f.correction,
            source=f.get_source_display(),
            end_user_id=f.end_user_id,
            given_at=f.client_created_at or f.created_at,
        )
        for f in qs.order_by("-created_at", "-id")[:limit]
    ]
    total = len(rows) if len(rows) < limit else qs.count()
    return rows, total


@dataclass(frozen=True)
class FeedbackCounts:
    """An output's feedback in the outputs list: thumbs up, thumbs down, everything."""

    up: int
    down: int
    n: int


def feedback_counts(*, output_ids: Sequence[int]) -> dict[int, FeedbackCounts]:
    """Return the feedback counts of each output that has feedback (one query)."""
    rows = (
        Feedback.objects.filter(output_id__in=list(output_ids))
        .values("output_id")
        .order_by()
        .annotate(up=_AGGREGATES["up"], down=_AGGREGATES["down"], n=_AGGREGATES["n"])
    )
    return {row["output_id"]: FeedbackCounts(row["up"], row["down"], row["n"]) for row in rows}


def feedback_output_ids(*, project_id: int, which: str) -> QuerySet[Feedback, Any]:
    """Return (as a subquery) the ids of the project's outputs with feedback of kind ``which``."""
    return (
        Feedback.objects.filter(FILTER_CHOICES[which], project_id=project_id)
        .exclude(output__isnull=True)
        .values("output_id")
    )


def feedback_for_outputs(*, output_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Return each output's feedback as plain dicts, oldest first (for exports).

    The end user's id stays out: exports leave the workbench, and it names a person.
    """
    fields = ("kind", "name", "score", "scale_min", "scale_max", "comment", "correction", "source")
    rows = (
        Feedback.objects.filter(output_id__in=list(output_ids))
        .order_by("output_id", "created_at", "id")
        .values("output_id", "thumb", "client_created_at", "created_at", *fields)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        thumb = row["thumb"]
        found.setdefault(row["output_id"], []).append(
            {
                **{name: row[name] for name in fields},
                "thumb": None if thumb is None else ("up" if thumb else "down"),
                "given_at": (row["client_created_at"] or row["created_at"]).isoformat(),
            }
        )
    return found


def feedback_down_rate(project: Any, end: datetime, window: timedelta, flt: Any) -> float | None:
    """Return the share of thumbs that were down among feedback received in [end - window, end).

    The signature of an alert metric (``services.alerts.metrics``): ``flt`` narrows to a prompt
    version (``prompt_version_id``) and a model (``model_name``) when it names them. None when
    the window holds no thumbs. Feedback still waiting for its span counts once attached.
    Runs on the ``(project, created_at)`` index.
    """
    qs = Feedback.objects.filter(
        project=project,
        created_at__gte=end - window,
        created_at__lt=end,
        thumb__isnull=False,
        output__isnull=False,
    )
    version = getattr(flt, "prompt_version_id", None)
    if version is not None:
        qs = qs.filter(output__prompt_version_id=version)
    model = getattr(flt, "model_name", "")
    if model:
        qs = qs.filter(output__model_name=model)
    counts = qs.aggregate(n=Count("id"), down=Count("id", filter=Q(thumb=False)))
    return counts["down"] / counts["n"] if counts["n"] else None


def feedback_down_flags(*, output_ids: Sequence[int]) -> list[int]:
    """Return 1 for each output with a thumbs down, else 0, in the order of ``output_ids``.

    A drift signal (``services.drift.signals``): the share of outputs that got a thumbs down.
    Read in chunks, so a window of a million outputs stays within a database's parameter limit.
    """
    ids = [int(i) for i in output_ids]
    down: set[int] = set()
    for start in range(0, len(ids), 5000):
        counts = feedback_counts(output_ids=ids[start : start + 5000])
        down.update(output for output, count in counts.items() if count.down)
    return [1 if i in down else 0 for i in ids]


def feedback_in_window(
    *,
    project_id: int,
    start: datetime,
    end: datetime,
    version: int | None = None,
    model: str | None = None,
) -> list[dict[str, Any]]:
    """Return the feedback given in ``[start, end)`` per prompt version, busiest first.

    For the monitoring page and API: ``version`` 0 keeps outputs of no version, a model name
    keeps that model's outputs. One grouped query on the ``(project, created_at)`` index;
    feedback still waiting for its span is left out until it is attached.
    """
    qs = Feedback.objects.filter(
        project_id=project_id, created_at__gte=start, created_at__lt=end, output__isnull=False
    )
    if version == 0:
        qs = qs.filter(output__prompt_version__isnull=True)
    elif version is not None:
        qs = qs.filter(output__prompt_version_id=version)
    if model:
        qs = qs.filter(output__model_name=model)
    rows = (
        qs.values(
            "output__prompt_version_id",
            "output__prompt_version__template__name",
            "output__prompt_version__number",
        )
        .order_by()
        .annotate(**_AGGREGATES)
    )
    found = []
    for row in rows:
        summary = _summary(row)
        found.append(
            {
                "version_id": row["output__prompt_version_id"],
                "prompt": row["output__prompt_version__template__name"],
                "version": row["output__prompt_version__number"],
                "n": summary.n,
                "up": summary.up,
                "down": summary.down,
                "down_rate": summary.down_rate,
                "down_rate_reason": summary.down_rate_reason,
                "scores": summary.scores,
                "score_mean": summary.score_mean,
                "comments": summary.comments,
                "corrections": summary.corrections,
            }
        )
    return sorted(found, key=lambda r: (-r["n"], r["prompt"] or "", r["version"] or 0))
