"""Export jobs: reproducible snapshots of labelled data, with a datasheet."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.jobs import AsyncJob
from llmops_core.models.projects import Project


class ExportKind(models.TextChoices):
    RATINGS = "ratings", "Raw labels (one row per rating)"
    CONSENSUS = "consensus", "Per-item consensus"
    PREFERENCES = "preferences", "Preference pairs (prompt/chosen/rejected)"
    SFT = "sft", "SFT set (chat messages)"


class ExportFormat(models.TextChoices):
    JSONL = "jsonl", "JSONL"
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"


class ExportJob(AsyncJob):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    real_names = models.BooleanField(default=False, help_text="Admins only: real reviewer names.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    rows = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    app_version = models.CharField(max_length=32, blank=True)
    datasheet = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"], name="export_project")]

    def __str__(self) -> str:
        return f"export #{self.pk} {self.kind}.{self.format} ({self.status})"
