"""Builders of a two-version study: one file of outputs per prompt version, on shared inputs."""

from __future__ import annotations

from typing import Any

from llmops_core.hashing import content_hash
from llmops_core.models import ModelOutput, Project, PromptVersion
from llmops_core.services.prompts import prompt_template_create, prompt_version_create


def two_versions(project: Project, name: str = "faq") -> tuple[PromptVersion, PromptVersion]:
    """Create a template with versions 1 and 2 in ``project``."""
    template = prompt_template_create(project=project, name=name)
    v1 = prompt_version_create(template=template, template_text="{{ q }}", model_name="m1")[0]
    v2 = prompt_version_create(template=template, template_text="Q: {{ q }}", model_name="m1")[0]
    return v1, v2


def import_file(
    project: Project, version: PromptVersion, questions: int, model: str = "m1", **extra: Any
) -> list[int]:
    """Store one output of ``version`` per question, as one imported file would; return ids."""
    outputs = []
    for n in range(questions):
        question = {"question": f"Question {n}?"}
        outputs.append(
            ModelOutput(
                project=project,
                external_id=f"v{version.pk}-{model}-{n}",
                prompt_version=version,
                input=question,
                input_hash=content_hash(question),
                output_text=f"Answer {n} by v{version.number}.",
                model_name=model,
                **extra,
            )
        )
    return [o.pk for o in ModelOutput.objects.bulk_create(outputs)]
