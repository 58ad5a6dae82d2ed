"""Human pairwise preferences: which of two outputs for the same input a reviewer prefers."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from annotate.models.queues import Queue
from llmops_core.models import ModelOutput


class PreferenceChoice(models.TextChoices):
    A = "A", "A is better"
    B = "B", "B is better"
    TIE = "tie", "Tie"


class PairwisePreference(models.Model):
    """A reviewer's blind side-by-side choice between outputs A and B (A has the lower id).

    ``shown_left`` records which output the page put on the left, so position bias can be
    measured; ``criteria`` optionally holds a choice per rubric criterion.
    """

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="preferences")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pairwise_preferences"
    )
    output_a = models.ForeignKey(ModelOutput, on_delete=models.CASCADE, related_name="+")
    output_b = models.ForeignKey(ModelOutput, on_delete=models.CASCADE, related_name="+")
    shown_left = models.CharField(max_length=1, choices=[("A", "A"), ("B", "B")])
    choice = models.CharField(max_length=3, choices=PreferenceChoice.choices)
    criteria = models.JSONField(default=dict, blank=True, help_text='e.g. {"fluency": "A"}')
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "output_a", "output_b"], name="preference_one_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(output_a__lt=models.F("output_b")), name="preference_a_first"
            ),
            models.CheckConstraint(
                condition=models.Q(choice__in=["A", "B", "tie"]), name="preference_choice_valid"
            ),
        ]
        indexes = [models.Index(fields=["output_a", "output_b"], name="preference_pair")]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.output_a_id}/{self.output_b_id}: {self.choice}"
