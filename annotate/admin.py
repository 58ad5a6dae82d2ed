"""Admin registrations for every model of the annotation app."""

from __future__ import annotations

from django.contrib import admin

from annotate import models as m


@admin.register(m.Queue)
class QueueAdmin(admin.ModelAdmin[m.Queue]):
    list_display = ["name", "project", "overlap", "status", "item_count", "created_at"]
    list_filter = ["status", "project"]
    filter_horizontal = ["reviewers"]


@admin.register(m.QueueItem)
class QueueItemAdmin(admin.ModelAdmin[m.QueueItem]):
    list_display = ["queue", "position", "output", "done_count", "target_reviews", "is_gold"]
    list_filter = ["queue", "is_gold", "contested"]
    raw_id_fields = ["output"]
    list_select_related = ["queue", "output"]
    show_full_result_count = False


@admin.register(m.Assignment)
class AssignmentAdmin(admin.ModelAdmin[m.Assignment]):
    list_display = ["item", "reviewer", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["item"]


class RatingInline(admin.TabularInline[m.Rating, m.Annotation]):
    model = m.Rating
    extra = 0


@admin.register(m.Annotation)
class AnnotationAdmin(admin.ModelAdmin[m.Annotation]):
    list_display = ["item", "reviewer", "created_at", "updated_at", "active_ms"]
    raw_id_fields = ["item", "assignment"]
    inlines = [RatingInline]
    show_full_result_count = False


@admin.register(m.Rating)
class RatingAdmin(admin.ModelAdmin[m.Rating]):
    list_display = ["annotation", "criterion", "score"]
    raw_id_fields = ["annotation"]


@admin.register(m.RatingRevision)
class RatingRevisionAdmin(admin.ModelAdmin[m.RatingRevision]):
    list_display = ["annotation", "changed_by", "changed_at"]
    readonly_fields = ["annotation", "changed_by", "changed_at", "before", "after"]
