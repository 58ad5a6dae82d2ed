"""The audit log: every data-changing action by a lead or admin is written here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from llmops_core.models import AuditEvent, Project


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: Any,
    project: Project | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Write one audit event for ``action`` on ``obj``."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        project=project,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        before=before,
        after=after,
    )
