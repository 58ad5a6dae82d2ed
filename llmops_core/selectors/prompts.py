"""Named reads of prompt templates: versions with labels and diffs, label moves, serving.

What the version pages, the promotion API and the serving API read; scorecards and comparisons
of versions are read in ``llmops_core.selectors.versions``.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.db.models import QuerySet

from llmops_core.models import Project, Promotion, PromptLabel, PromptTemplate, PromptVersion
from llmops_core.selectors.versions import (
    scorecards_latest,
)

PRODUCTION = "production"


def label_version(*, template: PromptTemplate, label: str = PRODUCTION) -> PromptVersion | None:
    """Return the version ``label`` points at, or None."""
    row = (
        PromptLabel.objects.select_related("version").filter(template=template, name=label).first()
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


def serving_candidates(*, user: Any, name: str) -> list[tuple[int, str, str | None, int]]:
    """Return (project id, slug, role, template id) of the user's projects with prompt ``name``.

    Superusers see every project (as admins). One query.
    """
    if not user.is_authenticated:
        return []
    projects = Project.objects.filter(prompt_templates__name=name)
    if getattr(user, "is_superuser", False):
        rows = projects.values_list("pk", "slug", "prompt_templates__id")
        return [(pk, slug, "admin", template_id) for pk, slug, template_id in rows]
    return list(
        projects.filter(memberships__user=user).values_list(
            "pk", "slug", "memberships__role", "prompt_templates__id"
        )
    )


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
