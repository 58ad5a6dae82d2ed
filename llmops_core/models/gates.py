"""Release gates: the rules a prompt version must pass to be promoted to production."""

from __future__ import annotations

from django.db import models

from llmops_core.models.projects import Project


class ReleaseGate(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="release_gate")
    rules = models.JSONField(
        default=list,
        blank=True,
        help_text='e.g. [{"rule": "no_significant_regression"}, '
        '{"rule": "min_mean", "criterion": "factuality", "value": 4.0}]',
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"gate of {self.project.slug}"
