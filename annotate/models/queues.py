"""Review queues and their items."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models import ModelOutput, Project, RubricVersion


class QueueStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class Queue(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=200)
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="queues")
    overlap = models.PositiveSmallIntegerField(
        default=3, help_text="How many distinct reviewers rate each item."
    )
    max_overlap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Adaptive overlap: contested items get more reviewers, up to this many.",
    )
    disagreement_threshold = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Score spread on any criterion that makes an item contested (e.g. 2).",
    )
    blind = models.BooleanField(
        default=True, help_text="Hide the prompt version, model and other reviewers' ratings."
    )
    guidelines = models.TextField(blank=True, help_text="Markdown, rendered safely.")
    lease_seconds = models.PositiveIntegerField(
        default=900, help_text="An open assignment returns to the pool after this long."
    )
    status = models.CharField(max_length=16, choices=QueueStatus.choices, default=QueueStatus.OPEN)
    reviewers = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, blank=True, related_name="review_queues"
    )
    item_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="queue_unique_name"),
            models.CheckConstraint(condition=models.Q(overlap__gte=1), name="queue_overlap_pos"),
            models.CheckConstraint(
                condition=models.Q(max_overlap__isnull=True)
                | models.Q(max_overlap__gte=models.F("overlap")),
                name="queue_max_overlap_ge_overlap",
            ),
            models.CheckConstraint(
                condition=models.Q(lease_seconds__gte=10), name="queue_lease_min"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"


class QueueItem(models.Model):
    """One output in a queue, with counters kept up to date by the services."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="items")
    output = models.ForeignKey(ModelOutput, on_delete=models.PROTECT, related_name="queue_items")
    position = models.PositiveIntegerField(default=0)
    target_reviews = models.PositiveSmallIntegerField(
        help_text="Reviews wanted: the queue's overlap, raised by adaptive overlap."
    )
    done_count = models.PositiveSmallIntegerField(default=0)
    is_gold = models.BooleanField(default=False)
    gold_scores = models.JSONField(
        default=dict, blank=True, help_text='Known scores per criterion, {"fluency": 4}'
    )
    contested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queue", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "output"], name="queueitem_unique_output"),
            models.CheckConstraint(
                condition=models.Q(done_count__lte=models.F("target_reviews")),
                name="queueitem_done_le_target",
            ),
            models.CheckConstraint(
                condition=models.Q(target_reviews__gte=1), name="queueitem_target_pos"
            ),
        ]
        indexes = [
            # "Next item": open items of a queue, fullest first, then queue order.
            models.Index(
                fields=["queue", "-done_count", "position", "id"], name="queueitem_next"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue} #{self.position}"

    @property
    def is_complete(self) -> bool:
        return self.done_count >= self.target_reviews
