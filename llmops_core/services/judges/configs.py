"""Judges and their immutable, content-hashed versions (prompt, model, parameters, mode, rubric)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.errors import DomainError
from llmops_core.hashing import content_hash
from llmops_core.llm.datatypes import Criterion as JudgeCriterion
from llmops_core.llm.prompts import template_variables
from llmops_core.models import (
    JudgeConfig,
    JudgeMode,
    JudgeVersion,
    LLMEndpoint,
    Project,
    RubricVersion,
)
from llmops_core.services.audit import audit_record

RESPONSE_FORMATS = ("json_schema", "json_object", "text")
TEMPLATE_VARIABLES = {
    JudgeMode.POINTWISE: {"input", "output", "criteria"},
    JudgeMode.PAIRWISE: {"input", "output_a", "output_b", "criteria"},
}
# Parameters the machinery sets itself, or that would break whole-reply recording.
RESERVED_PARAMETERS = {"model", "messages", "response_format", "stream", "stream_options", "n"}


def judge_criteria(rubric_version: RubricVersion) -> list[JudgeCriterion]:
    """Return the rubric version's criteria as the judge prompts take them, in rubric order."""
    criteria = []
    for c in rubric_version.criteria.order_by("position", "id"):
        anchors = {int(level): str(text) for level, text in (c.anchors or {}).items() if text}
        try:
            criteria.append(
                JudgeCriterion(c.name, c.description, c.scale_min, c.scale_max, anchors)
            )
        except ValueError as exc:
            raise DomainError(f"rubric {rubric_version}: {exc}") from exc
    if not criteria:
        raise DomainError(f"rubric {rubric_version} has no criteria")
    return criteria


def _check_parameters(parameters: dict[str, Any]) -> None:
    """Raise naming the first parameter a judge cannot use."""
    reserved = sorted(RESERVED_PARAMETERS & set(parameters))
    if reserved:
        raise DomainError(f'field "parameters": {", ".join(reserved)} are set by the judge itself')
    temperature = parameters.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not math.isfinite(temperature)
        or not 0 <= temperature <= 2
    ):
        raise DomainError(f'field "temperature": {temperature!r} is not a number within 0-2')


def _check_template(template: str, mode: str) -> None:
    """Raise if the judge's user template names a variable its mode does not provide."""
    unknown = sorted(set(template_variables(template)) - TEMPLATE_VARIABLES[JudgeMode(mode)])
    if unknown:
        allowed = ", ".join(f"{{{{ {n} }}}}" for n in sorted(TEMPLATE_VARIABLES[JudgeMode(mode)]))
        raise DomainError(
            f'field "prompt_template": unknown variable(s) {", ".join(unknown)}; use {allowed}'
        )


def judge_version_hash(
    *,
    prompt_template: str,
    system_message: str,
    model_name: str,
    parameters: dict[str, Any],
    mode: str,
    response_format: str,
    rubric_version_id: int,
    endpoint_id: int | None,
) -> str:
    """Return the content hash that identifies a judge version (and keys its call cache)."""
    return content_hash(
        {
            "prompt_template": prompt_template,
            "system_message": system_message,
            "model_name": model_name,
            "parameters": parameters,
            "mode": mode,
            "response_format": response_format,
            "rubric_version": rubric_version_id,
            "endpoint": endpoint_id,
        }
    )


@transaction.atomic
def judge_create(
    *,
    project: Project,
    name: str,
    description: str = "",
    actor: User | None = None,
    first_version: Mapping[str, Any] | None = None,
) -> JudgeConfig:
    """Create a judge in ``project``; its versions hold the prompt, model and parameters.

    ``first_version`` (``judge_version_create`` keywords) is created with it, all or nothing:
    a version the rules refuse leaves no judge behind.
    """
    if not re.fullmatch(r"[-a-zA-Z0-9_]{1,120}", name):
        raise DomainError(f'field "name": {name!r} must be 1-120 letters, digits, - or _')
    if JudgeConfig.objects.filter(project=project, name=name).exists():
        raise DomainError(f'project "{project.slug}" already has a judge named "{name}"')
    judge = JudgeConfig.objects.create(project=project, name=name, description=description)
    audit_record(
        actor=actor, action="judge.create", obj=judge, project=project, after={"name": name}
    )
    if first_version is not None:
        judge_version_create(judge=judge, created_by=actor, **first_version)
    return judge


@transaction.atomic
def judge_version_create(
    *,
    judge: JudgeConfig,
    model_name: str,
    rubric_version: RubricVersion,
    mode: str = JudgeMode.POINTWISE,
    response_format: str = "json_schema",
    prompt_template: str = "",
    system_message: str = "",
    parameters: dict[str, Any] | None = None,
    endpoint: LLMEndpoint | None = None,
    created_by: User | None = None,
) -> tuple[JudgeVersion, bool]:
    """Return the version with this content, creating it (numbered next) when it is new."""
    parameters = dict(parameters or {})
    if not model_name.strip():
        raise DomainError('field "model_name": a judge needs a model')
    if mode not in JudgeMode.values:
        raise DomainError(f'field "mode": {mode!r} is not pointwise or pairwise')
    if response_format not in RESPONSE_FORMATS:
        raise DomainError(
            f'field "response_format": {response_format!r} is not one of '
            f"{', '.join(RESPONSE_FORMATS)}"
        )
    if rubric_version.rubric.project_id != judge.project_id:
        raise DomainError('field "rubric_version": the rubric belongs to another project')
    if endpoint is not None and endpoint.project_id != judge.project_id:
        raise DomainError('field "endpoint": the endpoint belongs to another project')
    _check_parameters(parameters)
    _check_template(prompt_template, mode)
    judge_criteria(rubric_version)
    digest = judge_version_hash(
        prompt_template=prompt_template,
        system_message=system_message,
        model_name=model_name,
        parameters=parameters,
        mode=mode,
        response_format=response_format,
        rubric_version_id=rubric_version.pk,
        endpoint_id=endpoint.pk if endpoint else None,
    )
    # Lock the judge row so two writers cannot take the same number.
    JudgeConfig.objects.select_for_update().filter(pk=judge.pk).first()
    existing = JudgeVersion.objects.filter(config=judge, content_hash=digest).first()
    if existing is not None:
        return existing, False
    latest = JudgeVersion.objects.filter(config=judge).order_by("-number").first()
    version = JudgeVersion.objects.create(
        config=judge,
        number=(latest.number if latest else 0) + 1,
        prompt_template=prompt_template,
        system_message=system_message,
        model_name=model_name,
        parameters=parameters,
        mode=mode,
        response_format=response_format,
        rubric_version=rubric_version,
        endpoint=endpoint,
        content_hash=digest,
        created_by=created_by,
    )
    audit_record(
        actor=created_by,
        action="judge.version",
        obj=version,
        project=judge.project,
        after={"judge": judge.name, "number": version.number, "model": model_name},
    )
    return version, True
