"""Accounts: changing a password, which by default ends every API token of the user."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from llmops_core.services.audit import audit_record
from llmops_core.services.tokens import token_revoke_all
from llmops_core.services.users import password_change_done


@transaction.atomic
def user_password_set(
    *,
    user: User,
    password: str | None,
    actor: User | None,
    revoke_tokens: bool = True,
) -> int:
    """Set ``user``'s password (None: disable password login); return how many tokens ended.

    A password change is what a user does when they fear someone else knows it, and an API
    token made with the old password would outlive it: so every door (the change-password
    page, the admin's set-password, anything else that calls this) revokes the user's tokens
    unless told not to.
    """
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    if password is not None and actor is not None and actor.pk == user.pk:
        password_change_done(user=user)  # a one-time password is replaced by their own
    revoked = 0
    if revoke_tokens:
        revoked = token_revoke_all(user=user, actor=actor, reason="password changed")
    audit_record(
        actor=actor,
        action="user.password_change",
        obj=user,
        after={"user": user.get_username(), "tokens_revoked": revoked},
    )
    return revoked
