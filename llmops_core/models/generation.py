"""Generation runs: a prompt version over a dataset, through an OpenAI-compatible endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.llm import LLMEndpoint, LLMRunState
from llmops_core.models.outputs import Dataset
from llmops_core.models.projects import Project
from llmops_core.models.prompts import PromptVersion


class GenerationRun(LLMRunState):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="generation_runs")
    prompt_version = models.ForeignKey(
        PromptVersion, on_delete=models.PROTECT, related_name="generation_runs"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="generation_runs")
    endpoint = models.ForeignKey(
        LLMEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parameters = models.JSONField(
        default=dict, blank=True, help_text="queue_id to send outputs to, judge to run, ..."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    followups_done_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When what follows a succeeded run (judge run, queueing, reports) was all done; "
        "the stale-job sweep finishes the followups of runs without it.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"], name="genrun_project")]

    def __str__(self) -> str:
        return f"generation run #{self.pk} ({self.status})"
