"""Admin registrations for every model of the LLMOps core."""

from __future__ import annotations

from django.contrib import admin

from llmops_core import models as m


class MembershipInline(admin.TabularInline[m.Membership, m.Project]):
    model = m.Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(m.Project)
class ProjectAdmin(admin.ModelAdmin[m.Project]):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(m.Membership)
class MembershipAdmin(admin.ModelAdmin[m.Membership]):
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
class RubricAdmin(admin.ModelAdmin[m.Rubric]):
    list_display = ["name", "project", "created_at"]
    list_filter = ["project"]


@admin.register(m.RubricVersion)
class RubricVersionAdmin(admin.ModelAdmin[m.RubricVersion]):
    list_display = ["rubric", "number", "note", "created_at"]
    readonly_fields = ["rubric", "number", "content_hash", "created_by", "created_at"]
    inlines = [CriterionInline]


@admin.register(m.Criterion)
class CriterionAdmin(admin.ModelAdmin[m.Criterion]):
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
class PromptTemplateAdmin(admin.ModelAdmin[m.PromptTemplate]):
    list_display = ["name", "project", "created_at"]
    list_filter = ["project"]
    search_fields = ["name"]


@admin.register(m.PromptVersion)
class PromptVersionAdmin(admin.ModelAdmin[m.PromptVersion]):
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
class PromptLabelAdmin(admin.ModelAdmin[m.PromptLabel]):
    list_display = ["template", "name", "version", "updated_at"]
    readonly_fields = ["template", "name", "version", "updated_at"]


@admin.register(m.Promotion)
class PromotionAdmin(admin.ModelAdmin[m.Promotion]):
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
class DatasetAdmin(admin.ModelAdmin[m.Dataset]):
    list_display = ["name", "version", "project", "row_count", "created_at"]


@admin.register(m.DatasetRow)
class DatasetRowAdmin(admin.ModelAdmin[m.DatasetRow]):
    list_display = ["dataset", "index"]
    list_select_related = ["dataset"]


@admin.register(m.ModelOutput)
class ModelOutputAdmin(admin.ModelAdmin[m.ModelOutput]):
    list_display = ["external_id", "project", "prompt_version", "model_name", "created_at"]
    list_filter = ["project"]
    search_fields = ["external_id"]
    list_select_related = ["project", "prompt_version__template"]
    raw_id_fields = ["prompt_version", "dataset_row"]
    show_full_result_count = False


@admin.register(m.ImportJob)
class ImportJobAdmin(admin.ModelAdmin[m.ImportJob]):
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


@admin.register(m.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[m.AuditEvent]):
    list_display = ["created_at", "actor", "project", "action", "object_type", "object_id"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in m.AuditEvent._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(m.LLMEndpoint)
class LLMEndpointAdmin(admin.ModelAdmin[m.LLMEndpoint]):
    """The stored key is never shown: only its last four characters."""

    list_display = ["name", "project", "base_url", "api_key_env", "api_key_last4"]
    exclude = ["api_key_encrypted"]
    readonly_fields = ["api_key_last4"]


@admin.register(m.LLMCacheEntry)
class LLMCacheEntryAdmin(admin.ModelAdmin[m.LLMCacheEntry]):
    list_display = ["request_hash", "model_name", "tokens_in", "tokens_out", "created_at"]
    search_fields = ["request_hash"]
    show_full_result_count = False


@admin.register(m.LLMCall)
class LLMCallAdmin(admin.ModelAdmin[m.LLMCall]):
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
class JudgeConfigAdmin(admin.ModelAdmin[m.JudgeConfig]):
    list_display = ["name", "project", "created_at"]


@admin.register(m.JudgeVersion)
class JudgeVersionAdmin(admin.ModelAdmin[m.JudgeVersion]):
    """Judge versions are immutable: read-only here."""

    list_display = ["config", "number", "model_name", "mode", "created_at"]
    readonly_fields = [f.name for f in m.JudgeVersion._meta.fields]


@admin.register(m.JudgeRun)
class JudgeRunAdmin(admin.ModelAdmin[m.JudgeRun]):
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
class JudgeScoreAdmin(admin.ModelAdmin[m.JudgeScore]):
    list_display = ["run", "output", "criterion", "score"]
    raw_id_fields = ["output"]
    show_full_result_count = False


@admin.register(m.JudgePairVerdict)
class JudgePairVerdictAdmin(admin.ModelAdmin[m.JudgePairVerdict]):
    list_display = ["run", "output_a", "output_b", "criterion", "verdict_ab", "verdict_ba", "final"]
    raw_id_fields = ["output_a", "output_b"]


@admin.register(m.GenerationRun)
class GenerationRunAdmin(admin.ModelAdmin[m.GenerationRun]):
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
class ReportAdmin(admin.ModelAdmin[m.Report]):
    list_display = ["pk", "project", "kind", "status", "snapshot_hash", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(m.ExportJob)
class ExportJobAdmin(admin.ModelAdmin[m.ExportJob]):
    list_display = ["pk", "project", "kind", "format", "status", "rows", "sha256", "created_at"]
    list_filter = ["kind", "format", "status"]


@admin.register(m.ReleaseGate)
class ReleaseGateAdmin(admin.ModelAdmin[m.ReleaseGate]):
    list_display = ["project", "updated_at"]


@admin.register(m.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[m.ApiToken]):
    """Keys are stored hashed: the admin shows the last four characters and can revoke."""

    list_display = ["name", "user", "last4", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "last4", "created_at", "last_used_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request: object) -> bool:
        return False
