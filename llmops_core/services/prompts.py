"""Prompt templates, immutable versions and movable labels.

Every writer of a template's versions, labels and version reports (new versions, label moves
and promotions, scorecard and comparison requests) locks the template row first, with
``prompt_template_lock``. Taken in one order, those locks queue the writers of one prompt
instead of deadlocking them (each also touches version rows, which different writers reached
in different orders).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.errors import DomainError
from llmops_core.hashing import content_hash
from llmops_core.models import (
    Project,
    Promotion,
    PromptLabel,
    PromptTemplate,
    PromptVersion,
)
from llmops_core.services.audit import audit_record
from llmops_core.services.traces.links import prompt_refs_link


def prompt_version_hash(
    *, template_text: str, system_message: str, model_name: str, parameters: dict[str, Any]
) -> str:
    """Return the content hash that identifies a prompt version's content."""
    return content_hash(
        {
            "template_text": template_text,
            "system_message": system_message,
            "model_name": model_name,
            "parameters": parameters,
        }
    )


def prompt_template_lock(*, template_id: int) -> None:
    """Lock the template row until the transaction ends: the first lock of every prompt writer.

    ``FOR NO KEY UPDATE`` on PostgreSQL: writers of the prompt wait for each other, while rows
    that merely reference the template (its outputs' versions, reports) can still be inserted.
    """
    PromptTemplate.objects.select_for_update(no_key=True).filter(pk=template_id).first()


@transaction.atomic
def prompt_template_create(*, project: Project, name: str, description: str = "") -> PromptTemplate:
    """Create a prompt template in ``project``."""
    if PromptTemplate.objects.filter(project=project, name=name).exists():
        raise DomainError(f'project "{project.slug}" already has a prompt named "{name}"')
    return PromptTemplate.objects.create(project=project, name=name, description=description)


@transaction.atomic
def prompt_version_create(
    *,
    template: PromptTemplate,
    template_text: str,
    model_name: str,
    system_message: str = "",
    parameters: dict[str, Any] | None = None,
    parent: PromptVersion | None = None,
    note: str = "",
    created_by: User | None = None,
) -> tuple[PromptVersion, bool]:
    """Return the version with this content, creating it (numbered next) if it is new."""
    parameters = parameters or {}
    if not template_text.strip():
        raise DomainError('field "template_text": a prompt version needs a template')
    if not model_name.strip():
        raise DomainError('field "model_name": a prompt version needs a model')
    digest = prompt_version_hash(
        template_text=template_text,
        system_message=system_message,
        model_name=model_name,
        parameters=parameters,
    )
    # Also keeps two writers from taking the same number.
    prompt_template_lock(template_id=template.pk)
    existing = PromptVersion.objects.filter(template=template, content_hash=digest).first()
    if existing is not None:
        return existing, False
    latest = PromptVersion.objects.filter(template=template).order_by("-number").first()
    version = PromptVersion.objects.create(
        template=template,
        number=(latest.number if latest else 0) + 1,
        template_text=template_text,
        system_message=system_message,
        model_name=model_name,
        parameters=parameters,
        content_hash=digest,
        parent=parent or latest,
        note=note,
        created_by=created_by,
    )
    # Outputs of spans that named this version before it existed; after the commit, so that a
    # span stored meanwhile is seen by this link or links itself (services.traces.links).
    project_id, name, number = template.project_id, template.name, version.number
    transaction.on_commit(
        lambda: prompt_refs_link(project_id=project_id, name=name, number=number), robust=True
    )
    return version, True


@transaction.atomic
def prompt_label_set(
    *,
    version: PromptVersion,
    label: str,
    actor: User | None = None,
    gate_result: dict[str, Any] | None = None,
    gate_passed: bool | None = None,
    evidence: dict[str, Any] | None = None,
    override_reason: str = "",
) -> Promotion:
    """Point ``label`` of the version's template at ``version`` and record the move.

    Labels are lower case: "Production" is the label "production".
    """
    label = label.lower()
    template = version.template
    prompt_template_lock(template_id=template.pk)
    current = PromptLabel.objects.select_for_update().filter(template=template, name=label).first()
    from_version = current.version if current else None
    if current is None:
        PromptLabel.objects.create(template=template, name=label, version=version)
    elif current.version_id != version.pk:
        current.version = version
        current.save(update_fields=["version", "updated_at"])
    promotion = Promotion.objects.create(
        template=template,
        label=label,
        from_version=from_version,
        to_version=version,
        actor=actor,
        gate_passed=gate_passed,
        gate_result=gate_result or {},
        evidence=evidence or {},
        override_reason=override_reason,
    )
    audit_record(
        actor=actor,
        action="prompt.label",
        obj=promotion,
        project=template.project,
        before={"label": label, "version": from_version.number if from_version else None},
        after={"label": label, "version": version.number, "override_reason": override_reason},
    )
    return promotion
