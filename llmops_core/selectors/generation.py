"""Named reads of datasets and generation runs, scoped by project."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from llmops_core.models import (
    Dataset,
    DatasetRow,
    GenerationRun,
    JudgeVersion,
    LLMEndpoint,
    Project,
    PromptVersion,
)


def dataset_list(*, project: Project) -> QuerySet[Dataset]:
    """Return the project's datasets, newest version first within a name."""
    return Dataset.objects.filter(project=project).order_by("name", "-version")


def dataset_get(*, project: Project, pk: int) -> Dataset | None:
    return Dataset.objects.filter(project=project, pk=pk).first()


def dataset_rows(*, dataset: Dataset) -> QuerySet[DatasetRow]:
    return DatasetRow.objects.filter(dataset=dataset).order_by("index")


def generation_run_list(*, project: Project) -> QuerySet[GenerationRun]:
    """Return the project's generation runs, newest first, with what their lists show."""
    return (
        GenerationRun.objects.filter(project=project)
        .select_related("prompt_version__template", "dataset", "requested_by", "endpoint")
        .order_by("-id")
    )


def generation_run_get(*, project: Project, pk: int) -> GenerationRun | None:
    return generation_run_list(project=project).filter(pk=pk).first()


def generation_choices(*, project: Project) -> dict[str, list[tuple[int, str]]]:
    """Return what a run can be made of: prompt versions, endpoints, judge versions."""
    versions = (
        PromptVersion.objects.filter(template__project=project)
        .select_related("template")
        .order_by("template__name", "-number")[:500]
    )
    endpoints = LLMEndpoint.objects.filter(project=project).order_by("name")
    judges = (
        JudgeVersion.objects.filter(config__project=project)
        .select_related("config")
        .order_by("config__name", "-number")[:200]
    )
    return {
        "versions": [(v.pk, f"{v.template.name} v{v.number}") for v in versions],
        "endpoints": [(e.pk, e.name) for e in endpoints.only("pk", "name")],
        "judges": [(j.pk, f"{j.config.name} v{j.number}") for j in judges],
    }


def generation_lookup(*, project: Project, field: str, pk: Any) -> Any:
    """Return the project's prompt version, endpoint or judge version ``pk`` (None if not)."""
    models: dict[str, tuple[Any, str]] = {
        "version": (PromptVersion, "template__project"),
        "endpoint": (LLMEndpoint, "project"),
        "judge_version": (JudgeVersion, "config__project"),
    }
    model, path = models[field]
    return model.objects.filter(**{path: project, "pk": pk}).first()
