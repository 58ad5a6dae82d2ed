"""Invitations to the instance, and accounts that must change a one-time password."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Invitation(models.Model):
    """A single-use, expiring invitation: whoever holds its link sets a username and password.

    The link carries a signed token naming the invitation and a secret; only the secret's
    SHA-256 is stored, so the table alone cannot forge a link.
    """

    email = models.EmailField(blank=True, help_text="Whom the link was meant for (a note).")
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="invitation_created")]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.email or 'no email'})"


class PasswordChangeRequired(models.Model):
    """The user signed in with a one-time password and must choose their own before anything."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_change_required"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} must change their password"
