"""Datasets of inputs and the model outputs that reviewers and judges rate.

A model output comes from an import (file or API), a generation run, or a span received over
OTLP; spans also carry their trace and span ids, session, end user, timing, status and tags, so
monitoring can roll them up and a trace can be looked up by its ids.
"""

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
    reference = models.TextField(
        blank=True,
        default="",
        help_text="The answer outputs for this input are scored against (optional).",
    )
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["dataset", "index"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "index"], name="datasetrow_unique_index"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} #{self.index}"


class OutputSource(models.TextChoices):
    IMPORT = "import", "Import"
    GENERATION = "generation", "Generation run"
    OTLP = "otlp", "OpenTelemetry span"


class OutputStatus(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"


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
    reference = models.TextField(
        blank=True,
        db_default="",
        help_text="The reference answer imported with the output; else its dataset row's.",
    )
    model_name = models.CharField(max_length=200, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(
        max_length=16, choices=OutputSource.choices, default=OutputSource.IMPORT
    )
    # Spans (source "otlp"); empty or null for imported and generated outputs.
    trace_id = models.CharField(max_length=32, blank=True, help_text="32 lowercase hex digits.")
    span_id = models.CharField(max_length=16, blank=True, help_text="16 lowercase hex digits.")
    parent_span_id = models.CharField(max_length=16, blank=True)
    session_id = models.CharField(max_length=255, blank=True)
    end_user_id = models.CharField(
        max_length=255, blank=True, help_text="The application's user (not a workbench user)."
    )
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the call started.")
    ended_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=OutputStatus.choices, default=OutputStatus.OK)
    error_type = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    prompt_ref_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=(
            "The prompt the span named. While no version of it with prompt_ref_version is "
            "registered, prompt_version stays empty; registering it links the output."
        ),
    )
    prompt_ref_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"], name="modeloutput_unique_external_id"
            ),
            # A span is stored once; also the index of lookups by trace and by span.
            models.UniqueConstraint(
                fields=["project", "trace_id", "span_id"],
                condition=~models.Q(trace_id=""),
                name="modeloutput_unique_span",
            ),
            models.CheckConstraint(
                condition=models.Q(cost__isnull=True) | models.Q(cost__gte=0),
                name="modeloutput_cost_nonneg",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in OutputStatus]),
                name="modeloutput_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=[s.value for s in OutputSource]),
                name="modeloutput_source_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "prompt_version", "id"], name="output_proj_version"),
            models.Index(fields=["project", "created_at"], name="output_proj_created"),
            # The model choices of the outputs list and the queue builder, and their filters.
            models.Index(fields=["project", "model_name"], name="output_proj_model"),
            models.Index(fields=["project", "started_at"], name="output_proj_started"),
            models.Index(
                fields=["project", "started_at"],
                condition=models.Q(status="error"),
                name="output_proj_errors",
            ),
            models.Index(
                fields=["project", "session_id"],
                condition=~models.Q(session_id=""),
                name="output_proj_session",
            ),
            # The outputs a newly registered prompt version links, found without a scan.
            models.Index(
                fields=["project", "prompt_ref_name", "prompt_ref_version"],
                condition=models.Q(prompt_version__isnull=True) & ~models.Q(prompt_ref_name=""),
                name="output_unresolved_prompt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}:{self.external_id}"
