"""Admin registrations for invitations and accounts still on a one-time password."""

from __future__ import annotations

from django.contrib import admin

from llmops_core import models as m
from llmops_core.admin.base import AuditedAdmin


@admin.register(m.Invitation)
class InvitationAdmin(AuditedAdmin):
    """Invitations are made at /users/new/ (their link is shown once there); here, read only."""

    list_display = ["pk", "email", "created_by", "created_at", "expires_at", "accepted_by"]
    readonly_fields = [f.name for f in m.Invitation._meta.fields if f.name != "secret_hash"]
    exclude = ["secret_hash"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(m.PasswordChangeRequired)
class PasswordChangeRequiredAdmin(AuditedAdmin):
    """Accounts still on a one-time password; deleting a row lifts the requirement."""

    list_display = ["user", "set_by", "created_at"]
    readonly_fields = ["user", "set_by", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
