"""Named reads of prompt templates: versions with labels and diffs, label moves, serving.

What the version pages, the promotion API and the serving API read; scorecards and comparisons
of versions are read in ``llmops_core.selectors.versions``.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, NamedTuple

from django.db.models import BigIntegerField, Count, Max, OuterRef, QuerySet, Subquery, Value

from llmops_core.models import Project, Promotion, PromptLabel, PromptTemplate, PromptVersion
from llmops_core.selectors.versions import (
    scorecards_latest,
)

PRODUCTION = "production"


def label_version(*, template: PromptTemplate, label: str = PRODUCTION) -> PromptVersion | None:
    """Return the version ``label`` (in any case) points at, or None."""
    row = (
        PromptLabel.objects.select_related("version")
        .filter(template=template, name=label.lower())
        .first()
    )
    return row.version if row else None


def template_get(*, project: Project, name: str) -> PromptTemplate | None:
    return PromptTemplate.objects.filter(project=project, name=name).first()


def template_version_get(*, template: PromptTemplate, number: int) -> PromptVersion | None:
    return (
        PromptVersion.objects.select_related("template__project", "parent")
        .filter(template=template, number=number)
        .first()
    )


def promotion_list(*, template: PromptTemplate) -> QuerySet[Promotion]:
    """Return the template's label moves, newest first, without their (large) evidence."""
    return (
        Promotion.objects.filter(template=template)
        .select_related("actor", "from_version", "to_version")
        .defer("evidence")
        .order_by("-created_at", "-id")
    )


def promotion_get(*, project: Project, pk: int) -> Promotion | None:
    return (
        Promotion.objects.filter(template__project=project, pk=pk)
        .select_related("template", "actor", "from_version", "to_version")
        .first()
    )


def template_versions_with_labels(*, template: PromptTemplate) -> QuerySet[PromptVersion]:
    """Return the template's versions, newest first, with their labels and authors."""
    return (
        PromptVersion.objects.filter(template=template)
        .select_related("created_by", "parent")
        .prefetch_related("labels")
        .order_by("-number")
    )


class ServingCandidate(NamedTuple):
    """A template the user may be asking for, with the version a lookup resolves to now."""

    project_id: int
    slug: str
    role: str | None
    template_id: int
    version_id: int | None


def serving_candidates(
    *, user: Any, name: str, label: str | None = None, number: int | None = None
) -> list[ServingCandidate]:
    """Return the user's templates named ``name``, each with the version ``label`` points at
    (or version ``number``) as the database has it now; None where there is none.

    Read on every request, so that a label move is served by every web process at once. One
    query: the label or version is a subquery on its unique index. Superusers see every
    project (as admins).
    """
    if not user.is_authenticated:
        return []
    version_id: Subquery | Value
    if label is not None:
        target = PromptLabel.objects.filter(template=OuterRef("pk"), name=label)
        version_id = Subquery(target.values("version_id")[:1])
    elif number is not None:
        numbered = PromptVersion.objects.filter(template=OuterRef("pk"), number=number)
        version_id = Subquery(numbered.values("pk")[:1])
    else:
        version_id = Value(None, output_field=BigIntegerField())
    templates = PromptTemplate.objects.filter(name=name).annotate(serving_version_id=version_id)
    if getattr(user, "is_superuser", False):
        every = templates.values_list("project_id", "project__slug", "pk", "serving_version_id")
        return [ServingCandidate(p, slug, "admin", t, v) for p, slug, t, v in every]
    mine = templates.filter(project__memberships__user=user).values_list(
        "project_id", "project__slug", "project__memberships__role", "pk", "serving_version_id"
    )
    return [ServingCandidate(p, slug, role, t, v) for p, slug, role, t, v in mine]


def _text_lines(version: PromptVersion | None, field_name: str) -> list[str]:
    if version is None:
        return []
    if field_name == "parameters":
        return json.dumps(version.parameters, indent=2, sort_keys=True).splitlines()
    if field_name == "model_name":
        return [version.model_name]
    return str(getattr(version, field_name)).splitlines()


def version_diff(*, parent: PromptVersion | None, version: PromptVersion) -> list[dict[str, Any]]:
    """Return the unified diff of each changed field, as ``{"field", "lines": [(op, text)]}``.

    ``op`` is ``+``, ``-``, a space (context) or ``@`` (hunk header). Plain text, escaped by
    whoever shows it.
    """
    changes = []
    for field_name in ("system_message", "template_text", "model_name", "parameters"):
        before, after = _text_lines(parent, field_name), _text_lines(version, field_name)
        if before == after:
            continue
        diff = list(difflib.unified_diff(before, after, lineterm="", n=2))[2:]
        lines = [("@", line) if line.startswith("@@") else (line[0], line[1:]) for line in diff]
        changes.append({"field": field_name, "lines": lines})
    return changes


def template_history(*, template: PromptTemplate) -> dict[str, Any]:
    """Return every version (labels, scorecard means, diff to parent) and every label move."""
    versions = list(template_versions_with_labels(template=template))
    cards = scorecards_latest(versions=versions)
    by_pk = {v.pk: v for v in versions}
    rows = []
    for version in versions:
        card = cards.get(version.pk)
        parent = by_pk.get(version.parent_id) if version.parent_id else None
        rows.append(
            {
                "version": version,
                "labels": sorted(label.name for label in version.labels.all()),
                "scorecard": card,
                "diff": version_diff(parent=parent, version=version),
                "means": {c["name"]: c["human"]["mean"] for c in card.results["criteria"]}
                if card
                else {},
            }
        )
    return {
        "template": template,
        "versions": rows,
        "promotions": list(promotion_list(template=template)[:200]),
    }


def template_list_with_counts(*, project: Project) -> QuerySet[PromptTemplate]:
    """Return the project's templates by name, with their labels, version count and newest."""
    return (
        PromptTemplate.objects.filter(project=project)
        .prefetch_related("labels__version")
        .annotate(version_count=Count("versions"), latest_number=Max("versions__number"))
        .order_by("name")
    )
