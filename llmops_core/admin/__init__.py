"""Admin registrations for every model of the LLMOps core (importing registers them)."""

from llmops_core.admin import content, operations
from llmops_core.admin.base import AuditedAdmin, AuditedUserAdmin, AuditMixin, project_of

__all__ = ["AuditMixin", "AuditedAdmin", "AuditedUserAdmin", "content", "operations", "project_of"]
