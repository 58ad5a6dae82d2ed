"""Quality control on labels: accuracy on gold items and adjudicated final scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from annotate.models.labels import Annotation
from annotate.models.queues import Queue, QueueItem
from llmops_core.models import RubricVersion


class GoldCheck(models.Model):
    """How one annotation of a gold item compares with the item's known scores."""

    annotation = models.OneToOneField(
        Annotation, on_delete=models.CASCADE, related_name="gold_check"
    )
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="gold_checks")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gold_checks"
    )
    criteria = models.PositiveSmallIntegerField(help_text="Criteria with a known score.")
    exact = models.PositiveSmallIntegerField(help_text="Criteria scored exactly as known.")
    within_one = models.PositiveSmallIntegerField(help_text="Criteria within one point.")
    abs_error = models.PositiveIntegerField(help_text="Sum of absolute errors over criteria.")
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["queue", "reviewer"], name="goldcheck_queue_reviewer")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exact__lte=models.F("within_one"))
                & models.Q(within_one__lte=models.F("criteria")),
                name="goldcheck_counts_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"gold {self.exact}/{self.criteria} for {self.reviewer}"


class Adjudication(models.Model):
    """The final, adjudicated scores of a contested item; exports and reports use them."""

    item = models.OneToOneField(QueueItem, on_delete=models.CASCADE, related_name="adjudication")
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adjudications"
    )
    rubric_version = models.ForeignKey(
        RubricVersion, on_delete=models.PROTECT, related_name="adjudications"
    )
    scores = models.JSONField(help_text='Final score per criterion name, {"fluency": 4}')
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"adjudication of {self.item}"
