"""What an export looks up once before streaming: criteria, queues, versions, gold, names."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from annotate.selectors import RatingFilter, gold_scores
from llmops_core.llm.errors import PromptError
from llmops_core.llm.prompts import input_as_text, render_prompt, validate_messages
from llmops_core.models import Project
from llmops_core.selectors.exports import (
    AnnotationRow,
    CriterionInfo,
    OutputInfo,
    VersionInfo,
    export_prompt_versions,
    export_scope,
)
from llmops_core.services.exports.spec import ExportSpec

Message = dict[str, str]


def reviewer_pseudonym(project_id: int, user_id: int) -> str:
    """Return the reviewer's stable pseudonym in a project: the same in every export.

    It is a keyed hash (HMAC-SHA256 with the site's SECRET_KEY) of project and user, so it
    cannot be reversed without the key and does not link one reviewer across projects.
    """
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"{project_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return "reviewer-" + digest[:10]


@dataclass
class ExportContext:
    """An export's spec plus the small lookups every row needs."""

    spec: ExportSpec
    project: Project
    rating_filter: RatingFilter
    criteria: list[CriterionInfo]
    criteria_by_id: dict[int, CriterionInfo]
    criterion_names: list[str]
    scales: dict[str, tuple[int, int]]
    queues: dict[int, dict[str, Any]]
    versions: dict[int, VersionInfo]
    rubric_versions: dict[int, tuple[str, int]]
    gold: dict[tuple[int, str], float]
    _pseudonyms: dict[int, str] = field(default_factory=dict)
    render_fallbacks: int = 0

    def reviewer(self, annotation: AnnotationRow) -> str:
        """Return the name an annotation's reviewer gets in the export."""
        if self.spec.real_names:
            return str(annotation.reviewer)
        user_id = annotation.reviewer_id
        if user_id not in self._pseudonyms:
            self._pseudonyms[user_id] = reviewer_pseudonym(self.project.pk, user_id)
        return self._pseudonyms[user_id]

    def prompt_messages(self, output: OutputInfo, version: VersionInfo | None) -> list[Message]:
        """Return the chat the output answered: its version's system message and template.

        Without a version, or when the input does not fit the template, the input itself is
        the user turn (chat inputs stay chat turns); the datasheet counts those fallbacks.
        """
        if version is not None:
            try:
                rendered = render_prompt(
                    version.template_text, output.input, system=version.system_message
                )
                return [{"role": m["role"], "content": m["content"]} for m in rendered]
            except PromptError:
                self.render_fallbacks += 1
        return input_messages(output.input)


def input_messages(value: Any) -> list[Message]:
    """Return an input as chat turns: chat inputs as they are, anything else as one user turn."""
    if isinstance(value, list):
        try:
            return [{"role": m["role"], "content": m["content"]} for m in validate_messages(value)]
        except PromptError:
            pass
    return [{"role": "user", "content": input_as_text(value) if value is not None else ""}]


def export_context(spec: ExportSpec) -> ExportContext:
    """Load the lookups for ``spec``: criteria in scope, queues, prompt versions, gold scores."""
    project = Project.objects.get(pk=spec.project_id)
    flt = spec.filters.rating_filter(project.pk)
    criteria, queues = export_scope(flt)
    names: list[str] = []
    scales: dict[str, tuple[int, int]] = {}
    for criterion in criteria:
        if criterion.name not in scales:
            names.append(criterion.name)
            scales[criterion.name] = (criterion.scale_min, criterion.scale_max)
        low, high = scales[criterion.name]
        scales[criterion.name] = (min(low, criterion.scale_min), max(high, criterion.scale_max))
    return ExportContext(
        spec=spec,
        project=project,
        rating_filter=flt,
        criteria=criteria,
        criteria_by_id={c.id: c for c in criteria},
        criterion_names=names,
        scales=scales,
        queues={q["id"]: q for q in queues},
        versions=export_prompt_versions(project_id=project.pk),
        rubric_versions={c.rubric_version_id: (c.rubric, c.rubric_version) for c in criteria},
        gold=gold_scores(flt),
    )
