"""Admin registrations for LLM endpoints and calls, judges, runs, reports, exports and keys."""

from __future__ import annotations

from django.contrib import admin

from llmops_core import models as m
from llmops_core.admin.base import AuditedAdmin


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


@admin.register(m.ReferenceScore)
class ReferenceScoreAdmin(AuditedAdmin):
    """Scores against reference answers: computed with scorecards, so read only here."""

    list_display = ["output", "metric", "score", "reason", "computed_at"]
    list_filter = ["metric"]
    raw_id_fields = ["output"]
    readonly_fields = ["output", "metric", "score", "reason", "basis_hash", "computed_at"]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False
