"""Scores of model outputs against their reference answers (BLEU, chrF, ROUGE)."""

from __future__ import annotations

from django.db import models

from llmops_core.models.outputs import ModelOutput


class ReferenceMetric(models.TextChoices):
    BLEU = "bleu", "BLEU"
    CHRF = "chrf", "chrF"
    ROUGE1 = "rouge1", "ROUGE-1 F"
    ROUGE2 = "rouge2", "ROUGE-2 F"
    ROUGEL = "rougeL", "ROUGE-L F"


class ReferenceScore(models.Model):
    """One metric of one output against its reference, as the library computed it.

    ``basis_hash`` fingerprints the output text and reference scored; a score whose basis
    no longer matches (the reference or output changed) is recomputed.
    """

    output = models.ForeignKey(
        ModelOutput, on_delete=models.CASCADE, related_name="reference_scores"
    )
    metric = models.CharField(max_length=16, choices=ReferenceMetric.choices)
    score = models.FloatField(
        null=True, help_text="Null when undefined for this pair (see reason)."
    )
    reason = models.CharField(max_length=200, blank=True)
    basis_hash = models.CharField(max_length=64)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["output", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["output", "metric"], name="referencescore_unique_metric"
            ),
            models.CheckConstraint(
                condition=models.Q(metric__in=[m.value for m in ReferenceMetric]),
                name="referencescore_metric_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.output_id} {self.metric}={self.score}"
