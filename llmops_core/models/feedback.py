"""End-user feedback on model outputs: thumbs, scores, comments and corrections from applications.

Applications send it through ``POST /api/projects/<slug>/feedback/``, Langfuse's score API or
as OTLP span events and attributes (``io.otlp.feedback``). A row addressed to a span that is
not stored yet (OTLP only) waits with ``output`` empty and its trace and span ids, and is
attached when the span arrives.
"""

from __future__ import annotations

from django.db import models

from llmops_core.models.outputs import ModelOutput
from llmops_core.models.projects import Project


class FeedbackKind(models.TextChoices):
    THUMBS = "thumbs", "Thumbs up or down"
    SCORE = "score", "Score"
    COMMENT = "comment", "Comment"
    CORRECTION = "correction", "Correction"


class FeedbackSource(models.TextChoices):
    API = "api", "Feedback API"
    OTLP = "otlp", "OpenTelemetry span"
    LANGFUSE = "langfuse", "Langfuse score API"


class Feedback(models.Model):
    """One piece of feedback an end user gave on one model output."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="feedback")
    output = models.ForeignKey(
        ModelOutput,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feedback",
        help_text="Empty while the span it names is not stored yet (OTLP).",
    )
    trace_id = models.CharField(max_length=32, blank=True, help_text="As addressed, if by span.")
    span_id = models.CharField(max_length=16, blank=True)
    kind = models.CharField(max_length=16, choices=FeedbackKind.choices)
    name = models.CharField(
        max_length=200, blank=True, help_text="The application's name for it (Langfuse's score)."
    )
    thumb = models.BooleanField(null=True, blank=True, help_text="True: thumbs up; False: down.")
    score = models.FloatField(null=True, blank=True)
    scale_min = models.FloatField(null=True, blank=True, help_text="The score's scale, if given.")
    scale_max = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    correction = models.TextField(blank=True, help_text="The answer the user says was right.")
    source = models.CharField(max_length=16, choices=FeedbackSource.choices)
    end_user_id = models.CharField(max_length=255, blank=True)
    client_id = models.CharField(
        max_length=255, blank=True, help_text="The client's id: sending it again stores nothing."
    )
    client_created_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client says the user gave it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "client_id"],
                condition=~models.Q(client_id=""),
                name="feedback_unique_client_id",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in FeedbackKind]),
                name="feedback_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=[s.value for s in FeedbackSource]),
                name="feedback_source_valid",
            ),
            models.CheckConstraint(
                condition=(
                    (models.Q(kind="thumbs") & models.Q(thumb__isnull=False))
                    | (models.Q(kind="score") & models.Q(score__isnull=False))
                    | (models.Q(kind="comment") & ~models.Q(comment=""))
                    | (models.Q(kind="correction") & ~models.Q(correction=""))
                ),
                name="feedback_value_of_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(output__isnull=False) | ~models.Q(trace_id=""),
                name="feedback_addressed",
            ),
        ]
        indexes = [
            models.Index(fields=["output", "created_at"], name="feedback_output"),
            models.Index(fields=["project", "created_at"], name="feedback_proj_created"),
            # Waiting feedback, found by the span that arrives.
            models.Index(
                fields=["project", "trace_id", "span_id"],
                condition=models.Q(output__isnull=True),
                name="feedback_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on output {self.output_id}"
