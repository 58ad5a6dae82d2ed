"""Assignments (leases), annotations, per-criterion ratings and their edit history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from annotate.models.queues import QueueItem
from llmops_core.models import Criterion, RubricVersion


class Flag(models.TextChoices):
    """Problems a reviewer can flag on an output; a flagged item needs no scores."""

    UNSAFE = "unsafe", "Unsafe or harmful"
    BROKEN = "broken", "Broken or truncated"
    PII = "pii", "Contains personal data"
    OTHER = "other", "Other problem"


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"
    RELEASED = "released", "Released"


class Assignment(models.Model):
    """A reviewer's lease on an item; it expires and returns the item to the pool."""

    item = models.ForeignKey(QueueItem, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    skip_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "reviewer"],
                condition=models.Q(status="active"),
                name="assignment_one_active_per_reviewer",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "status", "expires_at"], name="assignment_item_active"),
            models.Index(fields=["reviewer", "status"], name="assignment_reviewer_status"),
            # Lazy expiry looks for active leases past their time; there are few of them.
            models.Index(
                fields=["expires_at"],
                name="assignment_active_expiry",
                condition=models.Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.item} ({self.status})"


class Annotation(models.Model):
    """One reviewer's judgement of one item: ratings per criterion, comment, flags, time."""

    item = models.ForeignKey(QueueItem, on_delete=models.CASCADE, related_name="annotations")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations"
    )
    rubric_version = models.ForeignKey(
        RubricVersion, on_delete=models.PROTECT, related_name="annotations"
    )
    comment = models.TextField(blank=True)
    flags = models.JSONField(default=list, blank=True, help_text='e.g. ["unsafe", "broken"]')
    active_ms = models.PositiveIntegerField(
        default=0, help_text="Time the reviewer actively spent (tab visible), in milliseconds."
    )
    client_token = models.UUIDField(help_text="Idempotency key sent by the rating page.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "reviewer"], name="annotation_one_per_reviewer"
            ),
            models.UniqueConstraint(
                fields=["reviewer", "client_token"], name="annotation_unique_client_token"
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "-created_at"], name="annotation_reviewer_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.item}"


class Rating(models.Model):
    """A score on one criterion; a database trigger keeps it inside the criterion's scale."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="ratings")
    score = models.SmallIntegerField()

    class Meta:
        ordering = ["annotation", "criterion__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "criterion"], name="rating_one_per_criterion"
            ),
        ]
        indexes = [models.Index(fields=["criterion", "score"], name="rating_criterion_score")]

    def __str__(self) -> str:
        return f"{self.criterion.name}={self.score}"


class RatingRevision(models.Model):
    """The state of an annotation before an edit: who changed it, when, and the old values."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="revisions")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(help_text='{"scores": {...}, "comment": "...", "flags": [...]}')
    after = models.JSONField()

    class Meta:
        ordering = ["annotation", "changed_at"]

    def __str__(self) -> str:
        return f"edit of {self.annotation} at {self.changed_at:%Y-%m-%d %H:%M}"
