"""The audited ModelAdmin bases every registration of the project uses."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model
from django.http import HttpRequest

from llmops_core import models as m
from llmops_core.forms.accounts import AdminPasswordChangeForm
from llmops_core.services.audit import audit_record

# Relations followed, in order, to find the project an admin-edited object belongs to.
_PROJECT_PATH = (
    "project",
    "queue",
    "item",
    "annotation",
    "rubric",
    "rubric_version",
    "template",
    "prompt_version",
    "judge",
    "run",
    "dataset",
    "endpoint",
)


def project_of(obj: Any, depth: int = 0) -> m.Project | None:
    """Return the project an object belongs to, following its relations, or None."""
    if isinstance(obj, m.Project):
        return obj
    if obj is None or depth > 4:
        return None
    for name in _PROJECT_PATH:
        related = getattr(obj, name, None)
        if isinstance(related, Model):
            found = project_of(related, depth + 1)
            if found is not None:
                return found
    return None


class AuditMixin:
    """For a ModelAdmin: additions, changes and deletions also go to the audit log.

    Django's own LogEntry stays; the audit log is what the app's audit page shows, so an
    admin editing data here (a role, a rubric, a deletion) is on record like every other door.
    """

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _admin_audit(request, "add", obj, message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _admin_audit(request, "change", obj, message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            _admin_audit(request, "delete", obj, str(obj))
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class AuditedAdmin(AuditMixin, admin.ModelAdmin[Any]):
    """The base of every ModelAdmin of the project."""


class AuditedUserAdmin(AuditMixin, UserAdmin[Any]):
    """Django's user admin, audited: staff and superuser flags are roles too.

    Setting a user's password revokes their API tokens too, unless the admin unticks it.
    """

    change_password_form = AdminPasswordChangeForm


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AuditedUserAdmin)


def _admin_audit(request: HttpRequest, verb: str, obj: Any, message: Any) -> None:
    audit_record(
        actor=request.user,
        action=f"admin.{verb}",
        obj=obj,
        project=project_of(obj),
        after={
            "model": obj._meta.label,
            "repr": str(obj)[:200],
            "change": message if isinstance(message, list | str) else str(message),
        },
    )
