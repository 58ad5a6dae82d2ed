"""Named reads of the release gate: which other versions a first promotion is checked against."""

from __future__ import annotations

from annotate.selectors import RatingFilter, rating_counts_by_rubric_version
from llmops_core.models import ModelOutput, PromptVersion


def _rated(project_id: int, version_id: int) -> bool:
    flt = RatingFilter(project_id=project_id, prompt_version_ids=(version_id,))
    return sum(rating_counts_by_rubric_version(flt).values()) > 0


def gate_peer_versions(*, version: PromptVersion) -> list[PromptVersion]:
    """Return the template's other rated versions that answered an input ``version`` answered.

    Empty when ``version`` itself has no ratings. Whether the two were rated on the same inputs
    is then settled by their comparison (its number of paired inputs).
    """
    project_id = version.template.project_id
    if not _rated(project_id, version.pk):
        return []
    inputs = (
        ModelOutput.objects.filter(prompt_version_id=version.pk)
        .exclude(input_hash="")
        .values("input_hash")
    )
    sharing = ModelOutput.objects.filter(
        project_id=project_id,
        input_hash__in=inputs,
        prompt_version__template_id=version.template_id,
    ).values("prompt_version_id")
    others = (
        PromptVersion.objects.filter(template_id=version.template_id, pk__in=sharing)
        .exclude(pk=version.pk)
        .order_by("number")
    )
    return [other for other in others if _rated(project_id, other.pk)]
