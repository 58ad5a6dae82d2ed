"""Admin registrations for every model of the LLMOps core (importing registers them)."""

from llmops_core.admin import content, operations, people, watch
from llmops_core.admin.base import AuditedAdmin, AuditedUserAdmin, AuditMixin, project_of

__all__ = [
    "AuditMixin",
    "AuditedAdmin",
    "AuditedUserAdmin",
    "content",
    "operations",
    "people",
    "project_of",
    "watch",
]
