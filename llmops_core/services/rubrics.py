"""Rubrics and their versions: the default rubric, and new versions when criteria change."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.errors import DomainError, NotAllowed
from llmops_core.hashing import content_hash
from llmops_core.io.jsontext import show
from llmops_core.models import Criterion, Project, Role, Rubric, RubricVersion
from llmops_core.selectors.projects import project_role, role_allows
from llmops_core.services.audit import audit_record


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    description: str
    anchors: dict[str, str] = field(default_factory=dict)
    scale_min: int = 1
    scale_max: int = 5

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "anchors": {str(k): v for k, v in sorted(self.anchors.items())},
        }


DEFAULT_RUBRIC_NAME = "default"
DEFAULT_CRITERIA: tuple[CriterionSpec, ...] = (
    CriterionSpec(
        name="fluency",
        description="Is the answer well written: grammatical, clear and easy to read?",
        anchors={
            "1": "Unreadable: broken sentences, garbled or mixed-up text.",
            "2": "Hard to read: frequent errors or awkward phrasing get in the way.",
            "3": "Understandable, but with noticeable errors or clumsy phrasing.",
            "4": "Clear and natural, with at most minor slips.",
            "5": "Polished: reads as if written by a skilled native writer.",
        },
    ),
    CriterionSpec(
        name="relevance",
        description="Does the answer address what the user actually asked?",
        anchors={
            "1": "Off-topic: does not address the request at all.",
            "2": "Mostly off-target: touches the topic but misses the question.",
            "3": "Partly answers: the main point is there but parts are missing or padded.",
            "4": "Answers the question, with small omissions or digressions.",
            "5": "Fully on point: answers exactly what was asked, nothing superfluous.",
        },
    ),
    CriterionSpec(
        name="factuality",
        description="Are the claims correct and supported by the input or common knowledge?",
        anchors={
            "1": "Mostly false or fabricated; would mislead the user.",
            "2": "Contains a significant error that undermines the answer.",
            "3": "Some unverifiable or minor incorrect claims; use with care.",
            "4": "Correct, with at most a trivial imprecision.",
            "5": "Entirely correct and verifiable; no unsupported claims.",
        },
    ),
)


# A level is a whole number; JSON object keys are text, so "3" (or " 3", "03") names level 3.
_LEVEL: Final = re.compile(r"\s*[+-]?[0-9]{1,6}\s*")
ANCHORS_EXAMPLE: Final = '{"1": "poor", "5": "excellent"}'


def anchors_clean(anchors: object) -> dict[str, str]:
    """Return anchors keyed by plain level numbers ("1", "5"), or raise ValueError saying why.

    Anchors are an object of level -> text; its keys arrive as text from JSON, so they are
    parsed, and stored in one spelling so that ``Criterion.anchor(level)`` finds them.
    """
    if not isinstance(anchors, Mapping):
        raise ValueError(
            f"{show(anchors)} is not an object of level -> text, e.g. {ANCHORS_EXAMPLE}"
        )
    clean: dict[str, str] = {}
    for key, text in anchors.items():
        if isinstance(key, bool) or not (
            isinstance(key, int) or (isinstance(key, str) and _LEVEL.fullmatch(key))
        ):
            raise ValueError(f"{show(key)} is not a level (a whole number)")
        level = str(int(key))
        if not isinstance(text, str):
            raise ValueError(f"level {level}: {show(text)} is not text")
        if level in clean:
            raise ValueError(f"level {level} is given twice")
        clean[level] = text
    return clean


def _validate_specs(specs: Sequence[CriterionSpec]) -> list[CriterionSpec]:
    """Return the specs with their anchors in plain form, or raise naming the criterion."""
    if not specs:
        raise DomainError("a rubric needs at least one criterion")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise DomainError(f"criterion names must be unique, got {names}")
    checked = []
    for spec in specs:
        if spec.scale_min >= spec.scale_max:
            raise DomainError(
                f'criterion "{spec.name}": scale {spec.scale_min}-{spec.scale_max} is empty'
            )
        try:
            anchors = anchors_clean(spec.anchors)
        except ValueError as exc:
            raise DomainError(f'criterion "{spec.name}", anchors: {exc}') from None
        for level in anchors:
            if not spec.scale_min <= int(level) <= spec.scale_max:
                raise DomainError(
                    f'criterion "{spec.name}": anchor for {level} is outside '
                    f"{spec.scale_min}-{spec.scale_max}"
                )
        checked.append(replace(spec, anchors=anchors))
    return checked


@transaction.atomic
def rubric_version_create(
    *,
    rubric: Rubric,
    criteria: Sequence[CriterionSpec],
    created_by: User | None = None,
    note: str = "",
) -> tuple[RubricVersion, bool]:
    """Return the version holding exactly ``criteria``, creating it if it is new."""
    criteria = _validate_specs(criteria)
    digest = content_hash([spec.as_dict() for spec in criteria])
    existing = RubricVersion.objects.filter(rubric=rubric, content_hash=digest).first()
    if existing is not None:
        return existing, False
    last = (
        RubricVersion.objects.select_for_update()
        .filter(rubric=rubric)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=(last or 0) + 1,
        content_hash=digest,
        created_by=created_by,
        note=note,
    )
    Criterion.objects.bulk_create(
        Criterion(
            rubric_version=version,
            name=spec.name,
            description=spec.description,
            scale_min=spec.scale_min,
            scale_max=spec.scale_max,
            anchors={str(k): v for k, v in spec.anchors.items()},
            position=i,
        )
        for i, spec in enumerate(criteria)
    )
    return version, True


@transaction.atomic
def rubric_create(
    *,
    project: Project,
    name: str,
    criteria: Sequence[CriterionSpec],
    description: str = "",
    created_by: User | None = None,
) -> RubricVersion:
    """Create a rubric with its first version and return that version."""
    if Rubric.objects.filter(project=project, name=name).exists():
        raise DomainError(f'project "{project.slug}" already has a rubric named "{name}"')
    rubric = Rubric.objects.create(project=project, name=name, description=description)
    version, _ = rubric_version_create(rubric=rubric, criteria=criteria, created_by=created_by)
    return version


def rubric_create_default(*, project: Project) -> RubricVersion:
    """Create the default fluency / relevance / factuality rubric (1-5, anchored)."""
    return rubric_create(
        project=project,
        name=DEFAULT_RUBRIC_NAME,
        criteria=DEFAULT_CRITERIA,
        description="Fluency, relevance and factuality on 1-5 with anchored levels.",
    )


@transaction.atomic
def rubric_revise(
    *, rubric: Rubric, criteria: Sequence[CriterionSpec], actor: User, note: str = ""
) -> tuple[RubricVersion, bool]:
    """Save ``criteria`` as a new version of ``rubric`` (leads and admins), and audit it.

    Ratings already made keep the version they were made under, and so do existing queues
    until a lead moves them; new queues offer the newest version first. Returns the version
    and whether it is new (False when a version with exactly these criteria exists).
    """
    role = project_role(user=actor, project=rubric.project)
    if not role_allows(role, Role.LEAD):
        raise NotAllowed(f'changing a rubric of "{rubric.project.slug}" needs the lead role')
    version, created = rubric_version_create(
        rubric=rubric, criteria=criteria, created_by=actor, note=note
    )
    if created:
        audit_record(
            actor=actor,
            action="rubric.version_create",
            obj=version,
            project=rubric.project,
            after={"rubric": rubric.name, "number": version.number, "note": note},
        )
    return version, created
