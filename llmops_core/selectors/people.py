"""Named reads of people: finding a user to add, the instance's users and open invitations."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.models import Invitation, PasswordChangeRequired


def user_find(*, identifier: str) -> User:
    """Return the active user whose username or email is ``identifier`` (in any case).

    Raise naming the identifier when nobody, or more than one account, matches it.
    """
    identifier = identifier.strip()
    if not identifier:
        raise DomainError('field "user": give a username or an email address')
    users = get_user_model().objects.filter(is_active=True)
    field = "email__iexact" if "@" in identifier else "username__iexact"
    found = list(users.filter(**{field: identifier})[:2])
    if not found and field == "email__iexact":
        found = list(users.filter(username__iexact=identifier)[:2])  # "@" is legal in usernames
    if not found:
        raise DomainError(f'field "user": no active user has the username or email "{identifier}"')
    if len(found) > 1:
        raise DomainError(
            f'field "user": more than one user has "{identifier}": give the username instead'
        )
    return found[0]


def user_list() -> QuerySet[User]:
    """Return every account, with how many projects each belongs to and whether it must
    still replace a one-time password."""
    pending = PasswordChangeRequired.objects.filter(user=OuterRef("pk"))
    return (
        get_user_model()
        .objects.annotate(project_count=Count("memberships"), must_change=Exists(pending))
        .order_by("username")
    )


def invitation_list_open() -> QuerySet[Invitation]:
    """Return the invitations still waiting to be accepted (not used, withdrawn or expired)."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("created_by")
