"""Named reads of the LLMOps core, scoped by user and role."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from llmops_core.models import (
    ROLE_RANK,
    ImportJob,
    Membership,
    ModelOutput,
    Project,
    PromptTemplate,
    PromptVersion,
    Role,
    Rubric,
)

AnyUser = User | AnonymousUser


def project_role(*, user: AnyUser, project: Project) -> str | None:
    """Return the user's role in ``project`` (superusers are admins everywhere), or None."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )


def role_allows(role: str | None, required: str) -> bool:
    """Return whether ``role`` is ``required`` or above it."""
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[required]


def project_list_for_user(*, user: AnyUser) -> QuerySet[Project]:
    """Return the projects ``user`` belongs to (all of them for superusers)."""
    if not user.is_authenticated:
        return Project.objects.none()
    if getattr(user, "is_superuser", False):
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user).distinct()


def project_get_for_user(*, user: AnyUser, slug: str) -> Project | None:
    """Return the project ``slug`` (in any case) if ``user`` may see it."""
    return project_list_for_user(user=user).filter(slug=slug.lower()).first()


def project_and_role_for_user(*, user: AnyUser, slug: str) -> tuple[Project | None, str | None]:
    """Return the project ``slug`` (in any case) if ``user`` may see it, and their role in it.

    One query: every API request asks this first.
    """
    if not user.is_authenticated:
        return None, None
    if getattr(user, "is_superuser", False):
        return Project.objects.filter(slug=slug.lower()).first(), Role.ADMIN
    # A raw query: building the join through the ORM cost more than running it.
    found = list(
        Project.objects.raw(
            f"SELECT p.*, m.role AS member_role FROM {Project._meta.db_table} p "  # noqa: S608
            f"INNER JOIN {Membership._meta.db_table} m ON m.project_id = p.id "
            "WHERE p.slug = %s AND m.user_id = %s",
            [slug.lower(), user.pk],
        )
    )
    if not found:
        return None, None
    return found[0], str(found[0].member_role)  # type: ignore[attr-defined]


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )


def output_list(
    *,
    project: Project,
    prompt_version_id: int | None = None,
    prompt: str | None = None,
    model_name: str | None = None,
) -> QuerySet[ModelOutput]:
    """Return the project's outputs, optionally narrowed to a prompt (version) or model."""
    qs = ModelOutput.objects.filter(project=project).select_related("prompt_version__template")
    if prompt_version_id is not None:
        qs = qs.filter(prompt_version_id=prompt_version_id)
    if prompt:
        qs = qs.filter(prompt_version__template__name=prompt)
    if model_name:
        qs = qs.filter(model_name=model_name)
    return qs


def prompt_template_list(*, project: Project) -> QuerySet[PromptTemplate]:
    return PromptTemplate.objects.filter(project=project).prefetch_related("labels__version")


def prompt_version_list(*, template: PromptTemplate) -> QuerySet[PromptVersion]:
    return PromptVersion.objects.filter(template=template).prefetch_related("labels")


def prompt_version_by_label(*, template: PromptTemplate, label: str) -> PromptVersion | None:
    """Return the version ``label`` (in any case) points at, or None."""
    return PromptVersion.objects.filter(template=template, labels__name=label.lower()).first()


def rubric_list(*, project: Project) -> QuerySet[Rubric]:
    return Rubric.objects.filter(project=project).prefetch_related("versions__criteria")


def import_job_list(*, project: Project) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(project=project).select_related("created_by")
