"""Named reads of the queue builder: which outputs a choice of versions, models and ids takes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from annotate.models import QueueItem
from llmops_core.models import ModelOutput, Project

MAX_ARMS_SHOWN = 50


@dataclass(frozen=True)
class OutputChoice:
    """Outputs chosen by prompt version OR model OR id: any one of them takes an output."""

    version_ids: tuple[int, ...] = ()
    model_names: tuple[str, ...] = ()
    output_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.version_ids or self.model_names or self.output_ids)


@dataclass(frozen=True)
class ChoiceSummary:
    """How many outputs a choice takes, and how many of each prompt version and model."""

    count: int
    arms: list[tuple[str, str, int]]  # (prompt version, model, outputs), largest first


def outputs_chosen(*, project: Project, choice: OutputChoice) -> QuerySet[ModelOutput]:
    """Return the project's outputs of any chosen version, of any chosen model, or listed."""
    if not choice:
        return ModelOutput.objects.none()
    taken = Q(pk__in=choice.output_ids) if choice.output_ids else Q()
    if choice.version_ids:
        taken |= Q(prompt_version_id__in=choice.version_ids)
    if choice.model_names:
        taken |= Q(model_name__in=choice.model_names)
    return ModelOutput.objects.filter(taken, project=project)


def output_ids_chosen(*, project: Project, choice: OutputChoice) -> list[int]:
    """Return the chosen outputs' ids: the listed ones first, as listed, then by id."""
    found = set(outputs_chosen(project=project, choice=choice).values_list("pk", flat=True))
    listed = [i for i in dict.fromkeys(choice.output_ids) if i in found]
    return listed + sorted(found - set(listed))


def outputs_chosen_summary(*, project: Project, choice: OutputChoice) -> ChoiceSummary:
    """Return how many outputs the choice takes, by prompt version and model (two queries)."""
    chosen = outputs_chosen(project=project, choice=choice)
    rows = (
        chosen.values("prompt_version__template__name", "prompt_version__number", "model_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "prompt_version__template__name", "prompt_version__number", "model_name")
    )
    arms = [
        (
            _version_label(r["prompt_version__template__name"], r["prompt_version__number"]),
            r["model_name"] or "no model",
            r["n"],
        )
        for r in rows[:MAX_ARMS_SHOWN]
    ]
    return ChoiceSummary(count=chosen.count(), arms=arms)


def queue_arms(*, queue_id: int) -> list[tuple[str, str, int]]:
    """Return the prompt versions and models in a queue: (version, model, items), largest first."""
    rows = (
        QueueItem.objects.filter(queue_id=queue_id)
        .values(
            "output__prompt_version__template__name",
            "output__prompt_version__number",
            "output__model_name",
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "output__prompt_version__template__name", "output__prompt_version__number")
    )
    return [
        (
            _version_label(
                r["output__prompt_version__template__name"], r["output__prompt_version__number"]
            ),
            r["output__model_name"] or "no model",
            r["n"],
        )
        for r in rows[:MAX_ARMS_SHOWN]
    ]


def _version_label(template: str | None, number: int | None) -> str:
    return f"{template} v{number}" if number is not None else "no prompt version"


def output_ids_missing(*, project: Project, output_ids: Collection[int]) -> list[int]:
    """Return the ids among ``output_ids`` that are not outputs of the project, in order."""
    found = set(
        ModelOutput.objects.filter(project=project, pk__in=output_ids).values_list("pk", flat=True)
    )
    return [i for i in output_ids if i not in found]


def project_model_names(*, project: Project, limit: int = 200) -> list[str]:
    """Return the model names the project's outputs were made with, sorted."""
    names = (
        ModelOutput.objects.filter(project=project)
        .exclude(model_name="")
        .values_list("model_name", flat=True)
        .distinct()
        .order_by("model_name")
    )
    return list(names[:limit])
