"""Datasets of inputs and the model outputs that reviewers and judges rate."""

from __future__ import annotations

from django.db import models

from llmops_core.models.projects import Project
from llmops_core.models.prompts import PromptVersion


class Dataset(models.Model):
    """A named, versioned set of inputs (variables or chat messages)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="datasets")
    name = models.SlugField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name", "version"], name="dataset_unique_version"
            ),
            models.UniqueConstraint(
                fields=["project", "name", "content_hash"], name="dataset_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name} v{self.version}"


class DatasetRow(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rows")
    index = models.PositiveIntegerField()
    input = models.JSONField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["dataset", "index"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "index"], name="datasetrow_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} #{self.index}"


class ModelOutput(models.Model):
    """One answer of a model, tied to the prompt version and model that produced it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outputs")
    external_id = models.CharField(max_length=255)
    prompt_version = models.ForeignKey(
        PromptVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="outputs"
    )
    dataset_row = models.ForeignKey(
        DatasetRow, null=True, blank=True, on_delete=models.SET_NULL, related_name="outputs"
    )
    input = models.JSONField(help_text="A string, an object of variables, or chat messages.")
    input_hash = models.CharField(
        max_length=64, db_index=True, help_text="SHA-256 of the canonical input; pairs outputs."
    )
    output_text = models.TextField()
    model_name = models.CharField(max_length=200, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="modeloutput_unique_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="modeloutput_cost_nonneg",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "prompt_version", "id"], name="output_proj_version"),
            models.Index(fields=["project", "created_at"], name="output_proj_created"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}:{self.external_id}"
