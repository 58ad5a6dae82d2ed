"""Named reads behind the Langfuse-compatible prompt API: one version's metadata, a page of prompts.

Which version a label points at is read from the database on every request (a label moved or
removed is seen at once by every web process, whatever the cache); the version's content is
served from ``services.serving``'s cache by the API. ``latest`` is Langfuse's reserved label:
here it is not stored, it always names a template's newest version.

A version's ``updated_at`` is, as in Langfuse, when it last changed in a way the API shows:
its creation, or the last label move onto or off it (promotion rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from llmops_core.models import (
    Project,
    Promotion,
    PromptLabel,
    PromptTag,
    PromptTemplate,
    PromptVersion,
)

LATEST = "latest"


@dataclass(frozen=True)
class LangfuseVersionMeta:
    """A version as the API shows it, besides its content: labels, tags, dates, creator."""

    project_slug: str
    template_id: int
    name: str
    chat: bool
    version_id: int
    number: int
    note: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    labels: list[str]
    tags: list[str]


@dataclass
class LangfusePromptMeta:
    """One prompt of a list page: its matching versions, their labels, the newest one's config."""

    name: str
    chat: bool
    versions: list[int] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    last_updated_at: datetime | None = None
    last_model: str = ""
    last_parameters: dict[str, Any] = field(default_factory=dict)


def _updated_at() -> Greatest:
    """Return the expression of a version's last change: created, or a label moved on or off."""
    moves = (
        Promotion.objects.filter(Q(to_version=OuterRef("pk")) | Q(from_version=OuterRef("pk")))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return Greatest("created_at", Coalesce(Subquery(moves), "created_at"))


def _latest_number() -> Subquery:
    newest = PromptVersion.objects.filter(template=OuterRef("template")).order_by("-number")
    return Subquery(newest.values("number")[:1])


def _with_latest(labels: list[str], number: int, latest: int) -> list[str]:
    return sorted({*labels, LATEST} if number == latest else set(labels))


def langfuse_prompt_get(
    *, project: Project, name: str, label: str | None = None, number: int | None = None
) -> LangfuseVersionMeta | None:
    """Return the version of prompt ``name`` a label (or number) names now, or None.

    Two queries: the version (label resolved in the database), then its labels and tags.
    """
    versions = PromptVersion.objects.filter(template__project=project, template__name=name)
    if number is not None:
        versions = versions.filter(number=number)
    elif label == LATEST:
        versions = versions.order_by("-number")
    else:
        versions = versions.filter(labels__name=label)
    row = (
        versions.annotate(updated=_updated_at(), latest=_latest_number())
        .values(
            "pk",
            "number",
            "note",
            "created_at",
            "updated",
            "latest",
            "template_id",
            "template__name",
            "template__chat",
            "created_by__username",
        )
        .first()
    )
    if row is None:
        return None
    # One query for both: a union (without the models' default ordering, which it refuses).
    names = PromptLabel.objects.filter(version_id=row["pk"]).order_by()
    tags = PromptTag.objects.filter(template_id=row["template_id"]).order_by()
    found = list(
        names.values_list("name", Value("label")).union(
            tags.values_list("name", Value("tag")), all=True
        )
    )
    return LangfuseVersionMeta(
        project_slug=project.slug,
        template_id=row["template_id"],
        name=row["template__name"],
        chat=row["template__chat"],
        version_id=row["pk"],
        number=row["number"],
        note=row["note"],
        created_at=row["created_at"],
        updated_at=row["updated"],
        created_by=row["created_by__username"],
        labels=_with_latest(
            [n for n, kind in found if kind == "label"], row["number"], row["latest"]
        ),
        tags=sorted(n for n, kind in found if kind == "tag"),
    )


def langfuse_version_get(*, project: Project, name: str, number: int) -> PromptVersion | None:
    """Return version ``number`` of prompt ``name`` in ``project`` (with its template), or None."""
    return (
        PromptVersion.objects.select_related("template__project")
        .filter(template__project=project, template__name=name, number=number)
        .first()
    )


@dataclass(frozen=True)
class LangfuseListFilter:
    """The list's filters; each narrows the versions before they are grouped into prompts."""

    name: str | None = None
    label: str | None = None
    tag: str | None = None
    number: int | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None


def _matching_versions(project: Project, flt: LangfuseListFilter) -> QuerySet[PromptVersion]:
    versions = PromptVersion.objects.filter(template__project=project).annotate(
        updated=_updated_at(), latest=_latest_number()
    )
    if flt.name:
        versions = versions.filter(template__name=flt.name)
    if flt.number is not None:
        versions = versions.filter(number=flt.number)
    if flt.tag:
        versions = versions.filter(template__tags__name=flt.tag)
    if flt.label == LATEST:
        versions = versions.filter(number=F("latest"))
    elif flt.label:
        versions = versions.filter(labels__name=flt.label)
    if flt.updated_from is not None:
        versions = versions.filter(updated__gte=flt.updated_from)
    if flt.updated_to is not None:
        versions = versions.filter(updated__lt=flt.updated_to)
    return versions


def langfuse_prompt_list(
    *, project: Project, flt: LangfuseListFilter, page: int, limit: int
) -> tuple[list[LangfusePromptMeta], int]:
    """Return one page of the project's prompts (by name) with their matching versions, and
    how many prompts match in all.

    Five queries whatever the page holds: the count, the page's templates, their matching
    versions, those versions' labels, the templates' tags.
    """
    versions = _matching_versions(project, flt)
    templates = PromptTemplate.objects.filter(pk__in=versions.values("template_id"))
    total = templates.count()
    start = (page - 1) * limit
    page_rows = list(
        templates.order_by("name").values_list("pk", "name", "chat")[start : start + limit]
    )
    if not page_rows:
        return [], total
    prompts = {pk: LangfusePromptMeta(name=name, chat=chat) for pk, name, chat in page_rows}
    newest_has_system: dict[int, bool] = {}
    rows = (
        versions.filter(template_id__in=prompts)
        .annotate(
            has_system=Case(
                When(system_message="", then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("template_id", "number")
        .values_list(
            "pk",
            "template_id",
            "number",
            "updated",
            "latest",
            "has_system",
            "model_name",
            "parameters",
        )
    )
    template_of: dict[int, int] = {}
    for pk, template_id, number, updated, latest, has_system, model, parameters in rows:
        meta = prompts[template_id]
        template_of[pk] = template_id
        meta.versions.append(number)
        if number == latest:
            meta.labels.append(LATEST)
        if meta.last_updated_at is None or updated > meta.last_updated_at:
            meta.last_updated_at = updated
        # Rows come oldest first: what is left after the loop is the newest matching version's.
        meta.last_model, meta.last_parameters = model, parameters
        newest_has_system[template_id] = has_system
    for version_id, label in PromptLabel.objects.filter(version_id__in=template_of).values_list(
        "version_id", "name"
    ):
        prompts[template_of[version_id]].labels.append(label)
    for template_id, tag in PromptTag.objects.filter(template_id__in=prompts).values_list(
        "template_id", "name"
    ):
        prompts[template_id].tags.append(tag)
    for template_id, meta in prompts.items():
        # One type per prompt, as in Langfuse: the newest matching version's.
        meta.chat = meta.chat or newest_has_system.get(template_id, False)
        meta.labels = sorted(set(meta.labels))
        meta.tags = sorted(meta.tags)
    return [prompts[pk] for pk, _, _ in page_rows], total
