"""Admin registrations for projects, rubrics, prompts, datasets, outputs and audit."""

from __future__ import annotations

from django.contrib import admin

from llmops_core import models as m
from llmops_core.admin.base import AuditedAdmin


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
