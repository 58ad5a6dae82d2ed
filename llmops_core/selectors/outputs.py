"""The one filter over a project's model outputs, and the reads of the outputs pages.

``outputs_filter`` is used by the outputs page, ``GET /api/projects/<slug>/outputs/`` and queue
creation (through ``output_ids_for_filter``); ``llmops_core.forms.outputs`` turns query
parameters (or a queue request's ``filter`` object) into an ``OutputFilter``. Fields combine
with AND; the values of one field with OR.

"Rated" and "in these queues" live in the annotation app, which hands them over as id lists
(``annotate.selectors``), so those two filters cost one query each and an ``IN`` list as long
as the project's rated or queued outputs: human-rated and queued outputs, not every output.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from annotate.selectors import output_ids_queued, output_ids_rated
from llmops_core.models import (
    Criterion,
    ImportJobOutput,
    JudgeScore,
    ModelOutput,
    Project,
    PromptTemplate,
    PromptVersion,
)
from llmops_core.selectors.feedback import feedback_output_ids
from llmops_core.selectors.projects import output_list


@dataclass(frozen=True)
class OutputFilter:
    """Which outputs of a project to show or queue. Empty fields mean "no restriction"."""

    q: str = ""
    prompts: tuple[str, ...] = ()
    version_ids: tuple[int, ...] = ()
    models: tuple[str, ...] = ()
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    rated: bool | None = None
    queue_ids: tuple[int, ...] = ()
    no_queue: bool = False
    judge_criterion: str = ""
    judge_min: int | None = None
    judge_max: int | None = None
    # The outputs the rows of this import stand for (created by it or already there).
    import_id: int | None = None
    # End-user feedback the output must have: "any", "down", "up", "comment", "correction".
    feedback: str = ""
    # The criteria named ``judge_criterion`` in the project's rubrics (resolved by the form).
    judge_criterion_ids: tuple[int, ...] = field(default=(), compare=False)

    @property
    def narrows(self) -> bool:
        """Return whether any field restricts the outputs."""
        return any(
            (
                self.q,
                self.prompts,
                self.version_ids,
                self.models,
                self.created_from,
                self.created_to,
                self.rated is not None,
                self.queue_ids,
                self.no_queue,
                self.judge_criterion,
                self.import_id is not None,
                self.feedback,
            )
        )


def _start_of(day: dt.date) -> dt.datetime:
    """Return midnight starting ``day`` in the site's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _search(q: str) -> Q:
    """Match ``q`` in the output text, the external id or the input (a JSON value).

    The input is searched as its JSON text, which escapes quotes and backslashes (and, as
    SQLite stores it, non-ASCII letters), so the escaped forms of ``q`` are searched too.
    """
    match = Q(output_text__icontains=q) | Q(external_id__icontains=q)
    forms = {q, json.dumps(q)[1:-1], json.dumps(q, ensure_ascii=False)[1:-1]}
    for form in sorted(forms):
        match |= Q(input_text__icontains=form)
    return match


def _latest_judge_score(criterion_ids: Sequence[int]) -> Subquery:
    """Return the output's score on the criterion from the latest judge run that scored it."""
    latest = (
        JudgeScore.objects.filter(output=OuterRef("pk"), criterion_id__in=list(criterion_ids))
        .order_by("-run_id", "-id")
        .values("score")[:1]
    )
    return Subquery(latest, output_field=IntegerField())


def _queue_q(project_id: int, flt: OutputFilter) -> Q:
    """Return the condition "in one of these queues, or (with ``no_queue``) in none"."""
    cond = Q(pk__in=[])
    if flt.queue_ids:
        cond |= Q(pk__in=output_ids_queued(project_id=project_id, queue_ids=flt.queue_ids))
    if flt.no_queue:
        cond |= ~Q(pk__in=output_ids_queued(project_id=project_id))
    return cond


def outputs_filter(*, project: Project, flt: OutputFilter) -> QuerySet[ModelOutput]:
    """Return the project's outputs matching ``flt``, newest first, with their prompt version."""
    qs = output_list(project=project)
    if flt.q:
        qs = qs.annotate(input_text=Cast("input", TextField())).filter(_search(flt.q))
    if flt.prompts:
        qs = qs.filter(prompt_version__template__name__in=list(flt.prompts))
    if flt.version_ids:
        qs = qs.filter(prompt_version_id__in=list(flt.version_ids))
    if flt.models:
        qs = qs.filter(model_name__in=list(flt.models))
    if flt.created_from is not None:
        qs = qs.filter(created_at__gte=_start_of(flt.created_from))
    if flt.created_to is not None:
        qs = qs.filter(created_at__lt=_start_of(flt.created_to + dt.timedelta(days=1)))
    if flt.rated is not None:
        rated = Q(pk__in=output_ids_rated(project_id=project.pk))
        qs = qs.filter(rated if flt.rated else ~rated)
    if flt.queue_ids or flt.no_queue:
        qs = qs.filter(_queue_q(project.pk, flt))
    if flt.import_id is not None:
        rows = ImportJobOutput.objects.filter(job_id=flt.import_id, job__project_id=project.pk)
        qs = qs.filter(pk__in=rows.values("output_id"))
    if flt.feedback:
        qs = qs.filter(pk__in=feedback_output_ids(project_id=project.pk, which=flt.feedback))
    if flt.judge_criterion:
        qs = qs.annotate(judge_score=_latest_judge_score(flt.judge_criterion_ids)).filter(
            judge_score__isnull=False
        )
        if flt.judge_min is not None:
            qs = qs.filter(judge_score__gte=flt.judge_min)
        if flt.judge_max is not None:
            qs = qs.filter(judge_score__lte=flt.judge_max)
    return qs.order_by("-id")


def output_ids_for_filter(*, project: Project, flt: OutputFilter) -> list[int]:
    """Return the ids of the outputs matching ``flt``, oldest first (the order queues take)."""
    return list(
        outputs_filter(project=project, flt=flt).order_by("id").values_list("id", flat=True)
    )


def output_judge_scores(*, output_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Return each output's judge score per criterion, from the latest run that scored it."""
    rows = (
        JudgeScore.objects.filter(output_id__in=list(output_ids))
        .order_by("output_id", "run_id", "id")
        .values_list("output_id", "criterion__name", "score")
    )
    scores: dict[int, dict[str, int]] = {}
    for output_id, criterion, score in rows:
        scores.setdefault(output_id, {})[criterion] = score  # later runs overwrite
    return scores


@dataclass(frozen=True)
class JudgeScoreRow:
    """One judge score of an output, with the judge and run that gave it."""

    criterion: str
    score: int
    rationale: str
    judge: str
    run_id: int
    latest: bool


def output_judge_score_rows(*, output_id: int) -> list[JudgeScoreRow]:
    """Return every judge score of an output by criterion, latest run first within each."""
    rows = (
        JudgeScore.objects.filter(output_id=output_id)
        .order_by("criterion__name", "-run_id", "-id")
        .values_list(
            "criterion__name",
            "score",
            "rationale",
            "run__judge_version__config__name",
            "run__judge_version__number",
            "run_id",
        )
    )
    seen: set[str] = set()
    found = []
    for criterion, score, rationale, judge, number, run_id in rows:
        found.append(
            JudgeScoreRow(
                criterion, score, rationale, f"{judge} v{number}", run_id, criterion not in seen
            )
        )
        seen.add(criterion)
    return found


CHOICES_LIMIT = 500


def output_template_names(*, project: Project) -> list[str]:
    """Return the names of the project's prompt templates (at most ``CHOICES_LIMIT``)."""
    templates = PromptTemplate.objects.filter(project=project).order_by("name")
    return list(templates.values_list("name", flat=True)[:CHOICES_LIMIT])


def output_version_choices(*, project: Project) -> list[tuple[int, str]]:
    """Return the project's prompt versions as (id, "template vN"), by template, newest first."""
    versions = (
        PromptVersion.objects.filter(template__project=project)
        .order_by("template__name", "-number")
        .values_list("id", "template__name", "number")[:CHOICES_LIMIT]
    )
    return [(pk, f"{name} v{number}") for pk, name, number in versions]


def output_model_names(*, project: Project) -> list[str]:
    """Return the model names of the project's outputs, sorted."""
    models = (
        ModelOutput.objects.filter(project=project)
        .exclude(model_name="")
        .order_by("model_name")
        .values_list("model_name", flat=True)
        .distinct()[:CHOICES_LIMIT]
    )
    return list(models)


@dataclass(frozen=True)
class CriterionScale:
    """A criterion name of the project's rubrics, its widest scale and the criteria so named."""

    name: str
    scale_min: int
    scale_max: int
    ids: tuple[int, ...]


def output_criterion_scales(*, project: Project) -> dict[str, CriterionScale]:
    """Return the criteria of every rubric version of the project, by name."""
    found: dict[str, CriterionScale] = {}
    rows = Criterion.objects.filter(rubric_version__rubric__project=project).order_by("name", "id")
    for pk, name, low, high in rows.values_list("id", "name", "scale_min", "scale_max"):
        old = found.get(name)
        if old is not None:
            low, high = min(low, old.scale_min), max(high, old.scale_max)
        found[name] = CriterionScale(name, low, high, (*(old.ids if old else ()), pk))
    return found
