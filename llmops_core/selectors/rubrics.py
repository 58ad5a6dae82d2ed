"""Named reads of rubrics: each rubric's latest version, its history, and its criteria's scales."""

from __future__ import annotations

from django.db.models import Max, Prefetch, QuerySet

from llmops_core.models import Criterion, Project, Rubric, RubricVersion


def rubric_latest_versions(*, project: Project) -> list[RubricVersion]:
    """Return the latest version of each of the project's rubrics, with criteria (3 queries)."""
    latest = (
        RubricVersion.objects.filter(rubric__project=project)
        .values("rubric_id")
        .annotate(top=Max("number"))
        .values_list("rubric_id", "top")
    )
    wanted = {rubric_id: top for rubric_id, top in latest}
    versions = (
        RubricVersion.objects.filter(rubric__project=project, rubric_id__in=list(wanted))
        .select_related("rubric", "created_by")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("position")))
        .order_by("rubric__name")
    )
    return [v for v in versions if wanted.get(v.rubric_id) == v.number]


def rubric_criteria_scales(*, project: Project) -> dict[str, tuple[int, int]]:
    """Return {criterion name: (scale min, scale max)} over each rubric's latest version.

    A name two rubrics share with different scales gets the widest range of the two.
    """
    scales: dict[str, tuple[int, int]] = {}
    for version in rubric_latest_versions(project=project):
        for c in version.criteria.all():
            low, high = scales.get(c.name, (c.scale_min, c.scale_max))
            scales[c.name] = (min(low, c.scale_min), max(high, c.scale_max))
    return scales


def rubric_get(*, project: Project, pk: int) -> Rubric | None:
    """Return rubric ``pk`` of ``project``, or None."""
    return Rubric.objects.filter(project=project, pk=pk).first()


def rubric_versions(*, rubric: Rubric) -> QuerySet[RubricVersion]:
    """Return the rubric's versions, newest first, with who made them (for its history)."""
    return rubric.versions.select_related("created_by").order_by("-number")


def rubric_version_get(*, rubric: Rubric, number: int) -> RubricVersion | None:
    """Return version ``number`` of the rubric with its criteria, or None."""
    return (
        rubric.versions.filter(number=number)
        .select_related("rubric", "created_by")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("position")))
        .first()
    )
