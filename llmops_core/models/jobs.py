"""Asynchronous job rows (the UI and API poll these, never a Celery result) and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.projects import Project


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class AsyncJob(models.Model):
    """Fields every asynchronous job shares: status, progress, error, timing and liveness.

    ``heartbeat_at`` and ``attempts`` let the stale-job sweep (``services.jobs``) tell a
    job whose message or worker was lost from one that is merely queued or busy.
    """

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.FloatField(default=0.0, help_text="0.0 to 1.0")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life: a worker's progress, or a dispatch by the stale-job sweep.",
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text=(
            "Times a worker started the job (LLM runs: steps that died in a row "
            "without finishing a chunk)."
        ),
    )

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


class ImportFormat(models.TextChoices):
    JSONL = "jsonl", "JSONL"
    CSV = "csv", "CSV"
    JSON = "json", "JSON array"


class ImportJob(AsyncJob):
    """One import of model outputs, from the API, the CLI or the upload form."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, default="api")
    format = models.CharField(max_length=8, choices=ImportFormat.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    partial = models.BooleanField(default=False, help_text="Import good rows, report bad ones.")
    create_prompts = models.BooleanField(
        default=False, help_text="Create the prompt templates and versions rows name but lack."
    )
    rows_seen = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_existing = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(
        default=0, help_text="Rows left out on purpose (partial imports): repeats of an id."
    )
    row_errors = models.JSONField(
        default=list, blank=True, help_text="The bad rows; repeats of one error as row ranges."
    )
    row_skips = models.JSONField(default=list, blank=True, help_text="The skipped rows, and why.")
    prompts_missing = models.JSONField(
        default=list,
        blank=True,
        help_text='Prompts rows named that the project lacks ("name" or "name vN"), if any.',
    )
    total_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="importjob_progress_range",
            ),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.status})"


class ImportJobOutput(models.Model):
    """The output one row of an import stands for: created by it, or already there.

    Kept so that a client can list an import's output ids in row order
    (``GET .../imports/<id>/outputs/``), however large the import.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="output_links")
    row = models.PositiveIntegerField()
    output = models.ForeignKey(
        "llmops_core.ModelOutput", on_delete=models.CASCADE, related_name="import_links"
    )
    created = models.BooleanField(help_text="False: the output was already in the project.")

    class Meta:
        ordering = ["job", "row"]
        constraints = [
            # Also the index the outputs of a job are paged by, in row order.
            models.UniqueConstraint(fields=["job", "row"], name="importjoboutput_unique_row"),
        ]

    def __str__(self) -> str:
        return f"import #{self.job_id} row {self.row} -> output {self.output_id}"


class AuditEvent(models.Model):
    """A record of a data-changing action by a lead or admin."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
