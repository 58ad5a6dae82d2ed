"""API tokens: create (the key is shown once), revoke, and authenticate by the key's hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.models import ApiToken
from llmops_core.services.audit import audit_record

# Refresh "last used" at most this often, so authenticating is not a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its key (never stored, shown once)."""
    name = name.strip()
    if not name:
        raise DomainError('field "name": give the token a name, e.g. "ci" or "laptop"')
    key = f"fw_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], key_hash=token_hash(key), last4=key[-4:]
    )
    audit_record(
        actor=user,
        action="token.create",
        obj=token,
        after={"name": token.name, "last4": token.last4},
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke ``token``; revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token.revoke",
            obj=token,
            before={"name": token.name, "last4": token.last4},
        )
    return token


@transaction.atomic
def token_revoke_all(*, user: User, actor: User | None, reason: str) -> int:
    """Revoke every active token of ``user`` (one audit entry saying why); return how many."""
    active = list(
        ApiToken.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "last4")
    )
    if not active:
        return 0
    ApiToken.objects.filter(pk__in=[pk for pk, _ in active]).update(revoked_at=timezone.now())
    audit_record(
        actor=actor,
        action="token.revoke_all",
        obj=user,
        before={"user": user.get_username(), "last4": [last4 for _, last4 in active]},
        after={"reason": reason, "revoked": len(active)},
    )
    return len(active)


def token_authenticate(key: str) -> ApiToken | None:
    """Return the active token with this key (and note its use), or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
