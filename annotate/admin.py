"""Admin registrations for every model of the annotation app."""

from __future__ import annotations

from django.contrib import admin

from annotate import models as m
from llmops_core.admin import AuditedAdmin


class QueueReviewerInline(admin.TabularInline[m.QueueReviewer, m.Queue]):
    model = m.QueueReviewer
    extra = 0
    raw_id_fields = ["reviewer"]
    readonly_fields = [
        "done_count",
        "skipped_count",
        "flagged_count",
        "active_ms_total",
        "pin_count",
    ]


@admin.register(m.Queue)
class QueueAdmin(AuditedAdmin):
    list_display = [
        "name",
        "project",
        "overlap",
        "status",
        "item_count",
        "complete_count",
        "created_at",
    ]
    list_filter = ["status", "project"]
    readonly_fields = ["item_count", "complete_count", "review_count", "gold_count"]
    inlines = [QueueReviewerInline]


@admin.register(m.QueueItem)
class QueueItemAdmin(AuditedAdmin):
    list_display = [
        "queue",
        "position",
        "output",
        "done_count",
        "leased_count",
        "target_reviews",
        "is_gold",
        "contested",
    ]
    list_filter = ["queue", "is_gold", "contested", "pinned"]
    raw_id_fields = ["output"]
    list_select_related = ["queue", "output"]
    show_full_result_count = False


@admin.register(m.Assignment)
class AssignmentAdmin(AuditedAdmin):
    list_display = ["item", "reviewer", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["item"]


class RatingInline(admin.TabularInline[m.Rating, m.Annotation]):
    model = m.Rating
    extra = 0


@admin.register(m.Annotation)
class AnnotationAdmin(AuditedAdmin):
    list_display = ["item", "reviewer", "created_at", "updated_at", "active_ms"]
    raw_id_fields = ["item", "assignment"]
    inlines = [RatingInline]
    show_full_result_count = False


@admin.register(m.Rating)
class RatingAdmin(AuditedAdmin):
    list_display = ["annotation", "criterion", "score"]
    raw_id_fields = ["annotation"]


@admin.register(m.RatingRevision)
class RatingRevisionAdmin(AuditedAdmin):
    list_display = ["annotation", "changed_by", "changed_at"]
    readonly_fields = ["annotation", "changed_by", "changed_at", "before", "after"]


@admin.register(m.Adjudication)
class AdjudicationAdmin(AuditedAdmin):
    list_display = ["item", "adjudicator", "updated_at"]
    raw_id_fields = ["item"]
    readonly_fields = [
        "item",
        "adjudicator",
        "rubric_version",
        "scores",
        "note",
        "created_at",
        "updated_at",
    ]


@admin.register(m.GoldCheck)
class GoldCheckAdmin(AuditedAdmin):
    list_display = ["annotation", "reviewer", "criteria", "exact", "within_one", "abs_error"]
    raw_id_fields = ["annotation"]


@admin.register(m.ItemPin)
class ItemPinAdmin(AuditedAdmin):
    list_display = ["item", "reviewer", "created_at"]
    raw_id_fields = ["item"]


@admin.register(m.QueueReviewer)
class QueueReviewerAdmin(AuditedAdmin):
    list_display = ["queue", "reviewer", "quota", "done_count", "skipped_count", "flagged_count"]
    list_filter = ["queue"]
    raw_id_fields = ["reviewer"]
    readonly_fields = [
        "done_count",
        "skipped_count",
        "flagged_count",
        "active_ms_total",
        "pin_count",
    ]


@admin.register(m.PairwisePreference)
class PairwisePreferenceAdmin(AuditedAdmin):
    list_display = ["reviewer", "output_a", "output_b", "choice", "created_at"]
    raw_id_fields = ["output_a", "output_b"]
    show_full_result_count = False
