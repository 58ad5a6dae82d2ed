"""Traces in: per-project ingest key pairs and the durable batches of spans received over OTLP."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.jobs import AsyncJob
from llmops_core.models.projects import Project


class IngestKey(models.Model):
    """A key pair an application sends traces with: a public key and a secret shown once.

    Applications authenticate with ``Authorization: Bearer <secret>`` or, as the Langfuse SDK
    does, ``Basic base64(<public key>:<secret>)``. Only the secret's SHA-256 is stored (the
    secret is 122 random bits, so a fast hash is enough); the list shows its last four.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ingest_keys")
    name = models.CharField(max_length=100)
    public_key = models.CharField(max_length=64, unique=True, help_text="pk-lf-…; not a secret.")
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret.")
    last4 = models.CharField(max_length=4, help_text="The secret's last four characters.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"], name="ingestkey_project")]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_key})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SpanEncoding(models.TextChoices):
    PROTOBUF = "protobuf", "OTLP protobuf"
    JSON = "json", "OTLP JSON"


class SpanBatch(AsyncJob):
    """One accepted OTLP export request, stored as received until a worker has mapped it.

    The request stores the body (still compressed) in one insert and acknowledges; a worker
    maps its spans to model outputs and marks it done, so an acknowledged span survives a
    worker killed mid-batch (the stale-job sweep dispatches the batch again) and storing is
    idempotent by (project, trace id, span id). The body is dropped once the batch succeeded.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="span_batches")
    ingest_key = models.ForeignKey(
        IngestKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches"
    )
    encoding = models.CharField(max_length=8, choices=SpanEncoding.choices)
    gzipped = models.BooleanField(default=False)
    body = models.BinaryField(null=True, blank=True, help_text="As received; null once stored.")
    body_bytes = models.PositiveIntegerField(default=0)
    spans_received = models.PositiveIntegerField(default=0)
    spans_rejected = models.PositiveIntegerField(
        default=0, help_text="Refused when received (bad ids, oversized attributes)."
    )
    rejection = models.TextField(blank=True, help_text="Why spans were refused, first reasons.")
    spans_stored = models.PositiveIntegerField(
        default=0, help_text="LLM spans now stored as model outputs (new or already there)."
    )
    spans_existing = models.PositiveIntegerField(default=0, help_text="Of those, already stored.")
    spans_dropped = models.PositiveIntegerField(
        default=0, help_text="Spans that are not LLM calls (agent steps, tools, retrieval)."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "-created_at"], name="spanbatch_project"),
            # The stale-job sweep's scan: unfinished batches only.
            models.Index(
                fields=["status", "heartbeat_at"],
                condition=models.Q(status__in=["pending", "running"]),
                name="spanbatch_unfinished",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=1),
                name="spanbatch_progress_range",
            ),
        ]

    def __str__(self) -> str:
        return f"span batch #{self.pk} ({self.status})"
