"""Generation runs: a prompt version over a dataset, through an OpenAI-compatible endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.jobs import AsyncJob
from llmops_core.models.llm import LLMEndpoint
from llmops_core.models.outputs import Dataset
from llmops_core.models.projects import Project
from llmops_core.models.prompts import PromptVersion


class GenerationRun(AsyncJob):
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
    cancel_requested = models.BooleanField(default=False)
    total_calls = models.PositiveIntegerField(default=0)
    done_calls = models.PositiveIntegerField(default=0)
    cached_calls = models.PositiveIntegerField(default=0)
    error_calls = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    tokens_in = models.PositiveBigIntegerField(default=0)
    tokens_out = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    totals = models.JSONField(default=dict, blank=True)
    cursor = models.PositiveIntegerField(
        default=0, help_text="Subjects before this position are done; the next chunk starts here."
    )
    lease_token = models.CharField(
        max_length=32, blank=True, help_text="Which worker step holds the run; empty when free."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the step holding the run."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"], name="genrun_project")]

    def __str__(self) -> str:
        return f"generation run #{self.pk} ({self.status})"
