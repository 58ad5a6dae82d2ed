"""Admin registrations for every model of the LLMOps core."""

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


class MembershipInline(admin.TabularInline[m.Membership, m.Project]):
    model = m.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(m.Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(m.Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__slug"]


class CriterionInline(admin.TabularInline[m.Criterion, m.RubricVersion]):
    model = m.Criterion
    extra = 0
    can_delete = False
    readonly_fields = ["name", "description", "scale_min", "scale_max", "anchors", "position"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(m.Rubric)
class RubricAdmin(AuditedAdmin):
    list_display = ["name", "project", "created_at"]
    list_filter = ["project"]


@admin.register(m.RubricVersion)
class RubricVersionAdmin(AuditedAdmin):
    list_display = ["rubric", "number", "note", "created_at"]
    readonly_fields = ["rubric", "number", "content_hash", "created_by", "created_at"]
    inlines = [CriterionInline]


@admin.register(m.Criterion)
class CriterionAdmin(AuditedAdmin):
    list_display = ["name", "rubric_version", "scale_min", "scale_max"]
    readonly_fields = [
        "rubric_version",
        "name",
        "description",
        "scale_min",
        "scale_max",
        "anchors",
        "position",
    ]


@admin.register(m.PromptTemplate)
class PromptTemplateAdmin(AuditedAdmin):
    list_display = ["name", "project", "chat", "created_at"]
    list_filter = ["project"]
    search_fields = ["name"]


@admin.register(m.PromptTag)
class PromptTagAdmin(AuditedAdmin):
    """Tags of prompts, as the Langfuse-compatible API sets them (the same for every version)."""

    list_display = ["name", "template"]
    list_filter = ["template__project"]
    search_fields = ["name", "template__name"]


@admin.register(m.PromptVersion)
class PromptVersionAdmin(AuditedAdmin):
    """Versions are immutable: the admin shows them read-only."""

    list_display = ["template", "number", "model_name", "created_at"]
    list_filter = ["template__project"]
    readonly_fields = [
        "template",
        "number",
        "template_text",
        "system_message",
        "model_name",
        "parameters",
        "content_hash",
        "parent",
        "created_by",
        "created_at",
    ]


@admin.register(m.PromptLabel)
class PromptLabelAdmin(AuditedAdmin):
    list_display = ["template", "name", "version", "updated_at"]
    readonly_fields = ["template", "name", "version", "updated_at"]


@admin.register(m.Promotion)
class PromotionAdmin(AuditedAdmin):
    list_display = [
        "template",
        "label",
        "from_version",
        "to_version",
        "actor",
        "gate_passed",
        "created_at",
    ]
    readonly_fields = [f.name for f in m.Promotion._meta.fields]


@admin.register(m.Dataset)
class DatasetAdmin(AuditedAdmin):
    list_display = ["name", "version", "project", "row_count", "created_at"]


@admin.register(m.DatasetRow)
class DatasetRowAdmin(AuditedAdmin):
    list_display = ["dataset", "index"]
    list_select_related = ["dataset"]


@admin.register(m.ModelOutput)
class ModelOutputAdmin(AuditedAdmin):
    list_display = [
        "external_id",
        "project",
        "prompt_version",
        "model_name",
        "source",
        "created_at",
    ]
    list_filter = ["project"]
    search_fields = ["external_id"]
    list_select_related = ["project", "prompt_version__template"]
    raw_id_fields = ["prompt_version", "dataset_row"]
    show_full_result_count = False


@admin.register(m.ImportJob)
class ImportJobAdmin(AuditedAdmin):
    list_display = [
        "pk",
        "project",
        "status",
        "source",
        "rows_created",
        "rows_failed",
        "created_at",
    ]
    list_filter = ["status", "source"]


@admin.register(m.ImportJobOutput)
class ImportJobOutputAdmin(AuditedAdmin):
    list_display = ["job", "row", "output", "created"]
    list_select_related = ["job", "output"]
    raw_id_fields = ["job", "output"]
    show_full_result_count = False


@admin.register(m.AuditEvent)
class AuditEventAdmin(AuditedAdmin):
    list_display = ["created_at", "actor", "project", "action", "object_type", "object_id"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in m.AuditEvent._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(m.LLMEndpoint)
class LLMEndpointAdmin(AuditedAdmin):
    """The stored key is never shown: only its last four characters."""

    list_display = ["name", "project", "base_url", "api_key_env", "api_key_last4"]
    exclude = ["api_key_encrypted"]
    readonly_fields = ["api_key_last4"]


@admin.register(m.LLMCacheEntry)
class LLMCacheEntryAdmin(AuditedAdmin):
    list_display = ["request_hash", "model_name", "tokens_in", "tokens_out", "created_at"]
    search_fields = ["request_hash"]
    show_full_result_count = False


@admin.register(m.LLMCall)
class LLMCallAdmin(AuditedAdmin):
    list_display = [
        "run_kind",
        "run_id",
        "subject_key",
        "status",
        "error_kind",
        "latency_ms",
        "tokens_in",
        "tokens_out",
        "cost",
    ]
    list_filter = ["run_kind", "status", "error_kind"]
    show_full_result_count = False


@admin.register(m.JudgeConfig)
class JudgeConfigAdmin(AuditedAdmin):
    list_display = ["name", "project", "created_at"]


@admin.register(m.JudgeVersion)
class JudgeVersionAdmin(AuditedAdmin):
    """Judge versions are immutable: read-only here."""

    list_display = ["config", "number", "model_name", "mode", "created_at"]
    readonly_fields = [f.name for f in m.JudgeVersion._meta.fields]


@admin.register(m.JudgeRun)
class JudgeRunAdmin(AuditedAdmin):
    list_display = [
        "pk",
        "project",
        "judge_version",
        "status",
        "done_calls",
        "total_calls",
        "error_calls",
        "cost",
        "created_at",
    ]
    list_filter = ["status"]


@admin.register(m.JudgeScore)
class JudgeScoreAdmin(AuditedAdmin):
    list_display = ["run", "output", "criterion", "score"]
    raw_id_fields = ["output"]
    show_full_result_count = False


@admin.register(m.JudgePairVerdict)
class JudgePairVerdictAdmin(AuditedAdmin):
    list_display = ["run", "output_a", "output_b", "criterion", "verdict_ab", "verdict_ba", "final"]
    raw_id_fields = ["output_a", "output_b"]


@admin.register(m.GenerationRun)
class GenerationRunAdmin(AuditedAdmin):
    list_display = [
        "pk",
        "project",
        "prompt_version",
        "dataset",
        "status",
        "done_calls",
        "total_calls",
        "cost",
        "created_at",
    ]
    list_filter = ["status"]


@admin.register(m.Report)
class ReportAdmin(AuditedAdmin):
    list_display = ["pk", "project", "kind", "status", "snapshot_hash", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(m.ExportJob)
class ExportJobAdmin(AuditedAdmin):
    list_display = ["pk", "project", "kind", "format", "status", "rows", "sha256", "created_at"]
    list_filter = ["kind", "format", "status"]


@admin.register(m.ReleaseGate)
class ReleaseGateAdmin(AuditedAdmin):
    list_display = ["project", "updated_at"]


@admin.register(m.ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Keys are stored hashed: the admin shows the last four characters and can revoke."""

    list_display = ["name", "user", "last4", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "last4", "created_at", "last_used_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(m.LoginFailureCounter)
class LoginFailureCounterAdmin(AuditedAdmin):
    """Failed-login counters: deleting an account's row (``user:<name>``) unlocks it at once."""

    list_display = ["key", "failures", "expires_at"]
    search_fields = ["key"]
    readonly_fields = ["key", "failures", "expires_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(m.Heartbeat)
class HeartbeatAdmin(AuditedAdmin):
    """When a worker last ran beat's heartbeat task (what ``GET /healthz/`` reports)."""

    list_display = ["name", "beat_at"]
    readonly_fields = ["name", "beat_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(m.IngestKey)
class IngestKeyAdmin(AuditedAdmin):
    """Secrets are stored hashed: the admin shows the public key and the secret's last four."""

    list_display = ["name", "project", "public_key", "last4", "created_at", "revoked_at"]
    list_select_related = ["project"]
    readonly_fields = ["project", "name", "public_key", "last4", "created_by", "created_at"]
    readonly_fields += ["last_used_at"]
    exclude = ["secret_hash"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(m.SpanBatch)
class SpanBatchAdmin(AuditedAdmin):
    """Received OTLP batches: counts and status; the stored body is not shown."""

    list_display = ["pk", "project", "status", "spans_received", "spans_stored", "created_at"]
    list_filter = ["status"]
    list_select_related = ["project"]
    exclude = ["body"]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False
