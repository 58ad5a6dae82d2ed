"""Hourly roll-ups of model outputs, kept up to date as outputs are stored, for monitoring.

A roll-up's key is (project, hour, prompt version, model): the hour the call started (the
output's ``started_at``, else when it was stored), in UTC. ``version`` is the prompt version's
id, or 0 for outputs of no version: a plain integer rather than a nullable key, because SQL's
unique constraints treat every NULL as distinct and the upsert needs one row per key. Counts
and sums only ever grow by addition (``services.monitoring.rollups``), so any hours merge by
summing; errors per type and the latency histogram (``metrics.latency``) are child rows with
the same key, added to the same way.
"""

from __future__ import annotations

from django.db import models

from llmops_core.models.projects import Project


class RollupKey(models.Model):
    """The key every roll-up row shares."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(help_text="The UTC hour the calls started in.")
    version = models.PositiveIntegerField(help_text="The prompt version's id; 0 for none.")
    model_name = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True


class OutputRollup(RollupKey):
    """What the outputs of one hour, prompt version and model add up to."""

    requests = models.PositiveBigIntegerField(default=0)
    errors = models.PositiveBigIntegerField(default=0)
    with_tokens = models.PositiveBigIntegerField(
        default=0, help_text="Outputs that reported tokens (the tokens sums are theirs)."
    )
    tokens_in = models.PositiveBigIntegerField(default=0)
    tokens_out = models.PositiveBigIntegerField(default=0)
    with_cost = models.PositiveBigIntegerField(default=0, help_text="Outputs with a cost.")
    cost = models.DecimalField(max_digits=20, decimal_places=8, default=0)
    with_latency = models.PositiveBigIntegerField(default=0)
    latency_ms = models.PositiveBigIntegerField(default=0, help_text="Sum of latencies.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "hour", "version", "model_name"], name="rollup_unique_key"
            ),
        ]
        # A version's figures (scorecard, dashboard): looked up by version, not project.
        indexes = [models.Index(fields=["version", "hour"], name="rollup_version")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.hour:%Y-%m-%d %H}h v{self.version} {self.model_name}"


class OutputRollupError(RollupKey):
    """How many outputs of one roll-up key failed with one error type."""

    error_type = models.CharField(max_length=200, blank=True)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "hour", "version", "model_name", "error_type"],
                name="rollup_error_unique_key",
            ),
        ]
        # A version's figures (scorecard, dashboard): looked up by version, not project.
        indexes = [models.Index(fields=["version", "hour"], name="rollup_error_version")]

    def __str__(self) -> str:
        return f"{self.error_type or 'error'}: {self.count}"


class OutputRollupLatency(RollupKey):
    """How many outputs of one roll-up key fell in one latency bin (``metrics.latency``)."""

    bin = models.PositiveSmallIntegerField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "hour", "version", "model_name", "bin"],
                name="rollup_latency_unique_key",
            ),
        ]
        # A version's figures (scorecard, dashboard): looked up by version, not project.
        indexes = [models.Index(fields=["version", "hour"], name="rollup_latency_version")]

    def __str__(self) -> str:
        return f"bin {self.bin}: {self.count}"
