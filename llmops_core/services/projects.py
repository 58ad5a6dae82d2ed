"""Projects and memberships."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from llmops_core.errors import DomainError
from llmops_core.models import Membership, Project, Role
from llmops_core.services.audit import audit_record
from llmops_core.services.rubrics import rubric_create_default

SLUG_MAX_LENGTH = 64  # Project.slug's column


def project_slug_from_name(name: str) -> str:
    """Return a slug for ``name`` that fits its column, cut at a word boundary when it can."""
    slug = slugify(name)
    if len(slug) > SLUG_MAX_LENGTH:
        cut = slug[: SLUG_MAX_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut[:SLUG_MAX_LENGTH]
    return slug.strip("-")


@transaction.atomic
def project_create(
    *,
    name: str,
    slug: str | None = None,
    description: str = "",
    created_by: User | None = None,
) -> Project:
    """Create a project with the default rubric; its creator becomes its admin.

    Without a slug, one is made from the name (cut to fit its column).
    """
    # Slugs are lower case (the database checks it): "DEMO" names the project "demo".
    slug = (slug or project_slug_from_name(name)).lower()
    if not slug:
        raise DomainError(f"cannot make a slug from the name {name!r}: give one")
    if len(slug) > SLUG_MAX_LENGTH:
        raise DomainError(f'field "slug": {len(slug)} characters, more than {SLUG_MAX_LENGTH}')
    if Project.objects.filter(slug=slug).exists():
        raise DomainError(f'field "slug": a project with the slug "{slug}" already exists')
    project = Project.objects.create(
        name=name, slug=slug, description=description, created_by=created_by
    )
    rubric_create_default(project=project)
    if created_by is not None:
        Membership.objects.create(project=project, user=created_by, role=Role.ADMIN)
    audit_record(
        actor=created_by,
        action="project.create",
        obj=project,
        project=project,
        after={"slug": slug, "name": name},
    )
    return project


@transaction.atomic
def membership_set(
    *,
    project: Project,
    user: User,
    role: str,
    actor: User | None = None,
) -> Membership:
    """Give ``user`` the ``role`` in ``project``, adding them if they are not a member."""
    if role not in Role.values:
        raise DomainError(f'role "{role}" is not one of {", ".join(Role.values)}')
    _lock_members(project)
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    before = membership.role if membership else None
    if before == Role.ADMIN and role != Role.ADMIN:
        _refuse_losing_last_admin(project=project, user=user, doing=f"make them {role}")
    if membership is None:
        membership = Membership.objects.create(project=project, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    if before != role:
        audit_record(
            actor=actor,
            action="membership.set",
            obj=membership,
            project=project,
            before={"role": before},
            after={"role": role, "user": user.get_username()},
        )
    return membership


@transaction.atomic
def membership_add(
    *, project: Project, user: User, role: str, actor: User | None = None
) -> Membership:
    """Add ``user`` to ``project`` with ``role``; refuse someone who is already a member."""
    current = Membership.objects.filter(project=project, user=user).values_list("role", flat=True)
    if current.exists():
        raise DomainError(
            f'{user.get_username()} is already a member of "{project.slug}" (as '
            f"{current.first()}): change their role in the list instead"
        )
    if not user.is_active:
        raise DomainError(f"{user.get_username()}'s account is deactivated")
    return membership_set(project=project, user=user, role=role, actor=actor)


@transaction.atomic
def membership_remove(*, project: Project, user: User, actor: User | None = None) -> None:
    """Remove ``user`` from ``project``; the project's last admin cannot be removed."""
    _lock_members(project)
    role = Membership.objects.filter(project=project, user=user).values_list("role", flat=True)
    if role.first() == Role.ADMIN:
        _refuse_losing_last_admin(project=project, user=user, doing="remove them")
    deleted, _ = Membership.objects.filter(project=project, user=user).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="membership.remove",
            obj=project,
            project=project,
            before={"user": user.get_username()},
        )


def _lock_members(project: Project) -> None:
    """Take the project's row lock: one change of its members at a time.

    Two admins demoting each other at once would otherwise each see the other still admin and
    leave the project with none (and locking the two member rows in opposite orders deadlocks).
    """
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").first()


def _refuse_losing_last_admin(*, project: Project, user: User, doing: str) -> None:
    """Raise if ``user`` is the only admin of ``project`` (the caller holds ``_lock_members``)."""
    admins = list(
        Membership.objects.filter(project=project, role=Role.ADMIN).values_list(
            "user_id", flat=True
        )
    )
    if admins == [user.pk]:
        raise DomainError(
            f'{user.get_username()} is the only admin of project "{project.slug}": make another '
            f"member admin before you {doing}"
        )
