"""Roll-ups of model outputs per hour, day and week, kept up to date as outputs are stored.

A roll-up's key is (project, grain, period, prompt version, model). ``grain`` is the period's
length in hours (1, 24 or 168) and ``period`` its number (``metrics.hours``: hours, UTC days and
ISO weeks since 1970) of when the call started (the output's ``started_at``, else when it was
stored). Every output is added to its hour, its day and its week, so a view reads the roll-ups
of its own granularity: with 1,000,000 outputs a month of hours holds hundreds of thousands of
latency-bin rows, too many to merge at read time on SQLite in a page's budget.

``version`` is the prompt version's id, or 0 for outputs of no version: a plain integer rather
than a nullable key, because SQL's unique constraints treat every NULL as distinct and the upsert
needs one row per key. Counts and sums only ever grow by addition
(``services.monitoring.rollups``), so any periods merge by summing; errors per type and the
latency histogram (``metrics.latency``) are child rows with the same key, added to the same way.
"""

from __future__ import annotations

from django.db import models

from llmops_core.models.projects import Project


class Grain(models.IntegerChoices):
    HOUR = 1, "hour"
    DAY = 24, "day"
    WEEK = 168, "week"


KEY = ["project", "grain", "period", "version", "model_name"]


class RollupKey(models.Model):
    """The key every roll-up row shares."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    grain = models.PositiveSmallIntegerField(choices=Grain.choices)
    period = models.PositiveIntegerField(help_text="Hours, days or weeks since 1970 (UTC).")
    version = models.PositiveIntegerField(help_text="The prompt version's id; 0 for none.")
    model_name = models.CharField(max_length=200, blank=True)

    class Meta:
        abstract = True


class OutputRollup(RollupKey):
    """What the outputs of one period, prompt version and model add up to."""

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
        constraints = [models.UniqueConstraint(fields=KEY, name="rollup_unique_key")]
        # A version's figures (scorecard, dashboard): looked up by version, not project.
        indexes = [models.Index(fields=["version", "grain"], name="rollup_version")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.grain}h#{self.period} v{self.version} {self.model_name}"


class OutputRollupError(RollupKey):
    """How many outputs of one roll-up key failed with one error type."""

    error_type = models.CharField(max_length=200, blank=True)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=[*KEY, "error_type"], name="rollup_error_unique_key")
        ]
        indexes = [models.Index(fields=["version", "grain"], name="rollup_error_version")]

    def __str__(self) -> str:
        return f"{self.error_type or 'error'}: {self.count}"


class OutputRollupLatency(RollupKey):
    """How many outputs of one roll-up key fell in one latency bin (``metrics.latency``)."""

    bin = models.PositiveSmallIntegerField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=[*KEY, "bin"], name="rollup_latency_unique_key")
        ]
        indexes = [models.Index(fields=["version", "grain"], name="rollup_latency_version")]

    def __str__(self) -> str:
        return f"bin {self.bin}: {self.count}"
