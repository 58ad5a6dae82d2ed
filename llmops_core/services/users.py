"""Accounts made by the instance's admins: with a one-time password, or by invitation link."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from llmops_core.errors import DomainError
from llmops_core.models import Invitation, PasswordChangeRequired
from llmops_core.services.audit import audit_record

INVITATION_SALT = "llmops_core.invitation"
USERNAME_MAX_LENGTH = 150  # Django's User.username column
EMAIL_MAX_LENGTH = 254  # User.email and Invitation.email
INVITATION_LIFETIME = timedelta(days=7)


class InvitationInvalid(DomainError):
    """An invitation link that does not (or no longer) lead to an invitation.

    ``gone`` is true for an invitation that existed but was used, withdrawn or has expired.
    """

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_username(username: str) -> str:
    """Return ``username`` stripped, or raise naming what is wrong with it."""
    username = username.strip()
    if not username:
        raise DomainError('field "username": give a username')
    if len(username) > USERNAME_MAX_LENGTH:
        raise DomainError(
            f'field "username": {len(username)} characters, more than {USERNAME_MAX_LENGTH}'
        )
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise DomainError(
            'field "username": use letters, digits and @ . + - _ only (no spaces)'
        ) from None
    # Usernames are told apart whatever their case: "Rita" and "rita" would be one person.
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise DomainError(f'field "username": "{username}" is taken (in some case)')
    return username


def _check_email(email: str) -> str:
    """Return ``email`` stripped (may be empty), or raise if it is malformed or taken."""
    email = email.strip()
    if not email:
        return ""
    if len(email) > EMAIL_MAX_LENGTH:
        raise DomainError(f'field "email": {len(email)} characters, more than {EMAIL_MAX_LENGTH}')
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(f'field "email": "{email}" is not an email address') from None
    if get_user_model().objects.filter(email__iexact=email).exists():
        raise DomainError(f'field "email": another user already has "{email}"')
    return email


def _check_password(password: str, user: Any) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError('field "password": ' + " ".join(exc.messages)) from None


@transaction.atomic
def user_create_with_password(*, username: str, email: str = "", actor: User) -> tuple[User, str]:
    """Create an account with a one-time password; return the user and that password.

    The password is shown once to the admin, who hands it over; at their first login the
    user must choose their own before any other page opens.
    """
    username = _check_username(username)
    email = _check_email(email)
    password = secrets.token_urlsafe(12)
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    PasswordChangeRequired.objects.create(user=user, set_by=actor)
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={"user": username, "email": email, "method": "one-time password"},
    )
    return user, password


def password_change_pending(*, user: Any) -> bool:
    """Return whether ``user`` still signs in with a one-time password an admin set."""
    return PasswordChangeRequired.objects.filter(user_id=user.pk).exists()


def password_change_done(*, user: Any) -> None:
    """Record that ``user`` chose their own password."""
    PasswordChangeRequired.objects.filter(user_id=user.pk).delete()


@transaction.atomic
def invitation_create(*, email: str = "", actor: User) -> tuple[Invitation, str]:
    """Create an invitation; return it and its token (for the link, shown once).

    The token is signed (a mangled link is refused before any lookup) and carries a secret
    whose hash only is stored; the link works once, for ``INVITATION_LIFETIME``.
    """
    email = _check_email(email)
    secret = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        email=email,
        secret_hash=_hash(secret),
        created_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    token = signing.dumps({"i": invitation.pk, "s": secret}, salt=INVITATION_SALT)
    audit_record(
        actor=actor,
        action="invitation.create",
        obj=invitation,
        after={"email": email, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation, token


def invitation_check(*, token: str, lock: bool = False) -> Invitation:
    """Return the open invitation ``token`` leads to, or raise saying why it does not."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
        pk, secret = int(payload["i"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvitationInvalid(
            "This invitation link is not valid: check that it was copied whole."
        ) from None
    rows = Invitation.objects.select_for_update() if lock else Invitation.objects
    invitation = rows.filter(pk=pk).first()
    if invitation is None or not hmac.compare_digest(invitation.secret_hash, _hash(secret)):
        raise InvitationInvalid("This invitation no longer exists: ask for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation was already used: sign in instead.", gone=True)
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was withdrawn: ask for a new one.", gone=True)
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation has expired: ask for a new one.", gone=True)
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, username: str, password: str) -> User:
    """Create the invitee's account from an open invitation, which is then used up."""
    invitation = invitation_check(token=token, lock=True)
    username = _check_username(username)
    model = get_user_model()
    _check_password(password, model(username=username, email=invitation.email))
    user = model.objects.create_user(username=username, email=invitation.email, password=password)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="invitation.accept",
        obj=invitation,
        after={"user": username, "email": invitation.email},
    )
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Withdraw an open invitation; a used or withdrawn one is left as it is."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise DomainError(f"invitation {invitation.pk} was already used; it cannot be withdrawn")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="invitation.revoke", obj=invitation)
    return invitation
