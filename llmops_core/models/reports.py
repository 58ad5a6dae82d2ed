"""Computed reports (agreement, judge comparison, scorecard, version comparison, drift)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.jobs import AsyncJob
from llmops_core.models.projects import Project
from llmops_core.models.prompts import PromptVersion


class ReportKind(models.TextChoices):
    AGREEMENT = "agreement", "Agreement"
    JUDGE_COMPARISON = "judge_comparison", "Judge vs humans"
    SCORECARD = "scorecard", "Prompt version scorecard"
    VERSION_COMPARISON = "version_comparison", "Version comparison"
    DRIFT = "drift", "Drift between two windows"
    JUDGE_STALENESS = "judge_staleness", "Judge re-check against fresh ratings"


class Report(AsyncJob):
    """A report computed by Celery from a frozen snapshot of the data it describes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    title = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the report covers: queue_id, prompt_version_ids, since, until, ...",
    )
    subject_version = models.ForeignKey(
        PromptVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    baseline_version = models.ForeignKey(
        PromptVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snapshot_hash = models.CharField(max_length=64, blank=True)
    snapshot_counts = models.JSONField(default=dict, blank=True)
    results = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "kind", "-created_at"], name="report_project_kind"),
            models.Index(
                fields=["subject_version", "kind", "-created_at"], name="report_subject_kind"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="report_progress_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"
