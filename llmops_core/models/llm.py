"""OpenAI-compatible endpoints, and the record and cache of every LLM call."""

from __future__ import annotations

from django.db import models

from llmops_core.models.jobs import AsyncJob
from llmops_core.models.projects import Project


class LLMEndpoint(models.Model):
    """Where calls go. The key is read from an environment variable or stored encrypted."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="llm_endpoints")
    name = models.SlugField(max_length=64)
    base_url = models.URLField(max_length=500)
    api_key_env = models.CharField(
        max_length=100, blank=True, help_text="Name of the environment variable with the key."
    )
    api_key_encrypted = models.TextField(
        blank=True, help_text="The key, encrypted with a key derived from SECRET_KEY."
    )
    api_key_last4 = models.CharField(max_length=4, blank=True)
    concurrency = models.PositiveSmallIntegerField(default=16)
    timeout_seconds = models.PositiveSmallIntegerField(default=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="llmendpoint_unique_name"),
            models.CheckConstraint(
                condition=models.Q(concurrency__gte=1), name="llmendpoint_concurrency_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"


class LLMCacheEntry(models.Model):
    """A successful response, keyed by the hash of the request: never pay twice for it."""

    request_hash = models.CharField(max_length=64, unique=True)
    model_name = models.CharField(max_length=200)
    content = models.TextField()
    parsed = models.JSONField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    raw_response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"cache {self.request_hash[:12]}"


class CallStatus(models.TextChoices):
    OK = "ok", "OK"
    CACHED = "cached", "Served from cache"
    ERROR = "error", "Error"


class LLMCall(models.Model):
    """One request a run made (or took from the cache): timing, tokens, cost, raw response."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="llm_calls")
    run_kind = models.CharField(max_length=16, help_text='"judge" or "generation"')
    run_id = models.BigIntegerField()
    subject_key = models.CharField(
        max_length=200, help_text="What the call was about, e.g. an output id or a pair."
    )
    request_hash = models.CharField(max_length=64)
    model_name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=CallStatus.choices)
    error_kind = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    parse_error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retries = models.PositiveSmallIntegerField(default=0)
    repaired = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    content = models.TextField(blank=True)
    raw_response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_kind", "run_id", "id"]
        constraints = [
            # A resumed run never records (or pays for) the same subject twice.
            models.UniqueConstraint(
                fields=["run_kind", "run_id", "subject_key"], name="llmcall_unique_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["run_kind", "run_id", "status"], name="llmcall_run_status"),
            models.Index(fields=["request_hash"], name="llmcall_request_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.run_kind}#{self.run_id} {self.subject_key} ({self.status})"


class LLMRunState(AsyncJob):
    """What every run of LLM calls (judge or generation) keeps: cancel flag, counters, lease."""

    cancel_requested = models.BooleanField(default=False)
    total_calls = models.PositiveIntegerField(default=0)
    done_calls = models.PositiveIntegerField(default=0)
    cached_calls = models.PositiveIntegerField(default=0)
    error_calls = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    tokens_in = models.PositiveBigIntegerField(default=0)
    tokens_out = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    totals = models.JSONField(default=dict, blank=True, help_text="p50/p95 latency and more")
    cursor = models.PositiveIntegerField(
        default=0, help_text="Subjects before this position are done; the next chunk starts here."
    )
    lease_token = models.CharField(
        max_length=32, blank=True, help_text="Which worker step holds the run; empty when free."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the step holding the run."
    )

    class Meta(AsyncJob.Meta):
        abstract = True
