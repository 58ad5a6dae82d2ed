"""Routing rules: which new outputs go to a review queue and/or a judge, at what rate.

A rule is edited in place; each edit raises its ``version`` and keeps the definition it
replaced as a ``RoutingRuleRevision``. What a rule did is kept twice over: one
``RoutedOutput`` per output that matched its filter (the decision, the probability with which
it was drawn, and where it went), which also makes routing idempotent, and one
``RoutingRuleDay`` of counters per rule and day, which the pages read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.judges import JudgeRun, JudgeVersion
from llmops_core.models.outputs import ModelOutput
from llmops_core.models.projects import Project


def new_rule_seed() -> int:
    """Return a fresh seed for a rule's sampler."""
    import secrets

    return secrets.randbelow(2**31 - 1)


class RoutingRule(models.Model):
    """Send a sample of a project's new outputs that match a filter to a queue and/or a judge."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="routing_rules")
    name = models.CharField(max_length=120)
    filter = models.JSONField(
        default=dict,
        blank=True,
        help_text="The outputs filter's parameters, plus tag, metadata (key=value), status "
        "and length_min/length_max.",
    )
    rate_percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Share of matching outputs drawn (0-100]; empty: all of them.",
    )
    day_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many outputs a day; empty: no cap."
    )
    seed = models.PositiveIntegerField(
        default=new_rule_seed, help_text="Seeds the sampler: the same seed, the same draws."
    )
    # String reference: the annotation app owns queues; the core only points at them.
    queue = models.ForeignKey(
        "annotate.Queue", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    judge_version = models.ForeignKey(
        JudgeVersion, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    judge_day_budget = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Judge spend cap per day in dollars; empty: no cap.",
    )
    paused = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    judge_polled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the rule's judge dispatcher last looked."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="routingrule_unique_name"),
            models.CheckConstraint(
                condition=models.Q(queue_id__isnull=False)
                | models.Q(judge_version_id__isnull=False),
                name="routingrule_has_target",
            ),
            models.CheckConstraint(
                condition=models.Q(rate_percent__isnull=True)
                | models.Q(rate_percent__gt=0, rate_percent__lte=100),
                name="routingrule_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(judge_day_budget__isnull=True)
                | models.Q(judge_day_budget__gt=0),
                name="routingrule_budget_pos",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name} v{self.version}"

    @property
    def probability(self) -> float | None:
        """Return each matching output's known inclusion probability (None under a day cap).

        Under a day cap, whether an output is drawn depends on how many came before it that
        day, which is not known in advance, so no exact probability exists.
        """
        if self.day_cap is not None:
            return None
        return 1.0 if self.rate_percent is None else float(self.rate_percent) / 100


class RoutingRuleRevision(models.Model):
    """A rule's definition as of one version (the first, and each edit's result)."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="routingrevision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} v{self.version}"


class RoutingRuleDay(models.Model):
    """What a rule did on one day (the site's time zone)."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    seen = models.PositiveIntegerField(default=0, help_text="New outputs matching the filter.")
    sampled = models.PositiveIntegerField(default=0, help_text="Drawn by the sampler.")
    sent_to_queue = models.PositiveIntegerField(default=0)
    sent_to_judge = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict, blank=True, help_text="Outputs skipped, by reason.")
    spend = models.DecimalField(
        max_digits=14, decimal_places=6, default=0, help_text="Judge spend, from its calls."
    )
    judge_cap_reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rule", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "date"], name="routingday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} {self.date}"


class JudgeState(models.TextChoices):
    NONE = "", "Not for the judge"
    PENDING = "pending", "Waiting for the rule's running judge run"
    SENT = "sent", "In a judge run"
    OVER_BUDGET = "over_budget", "Not judged: the day's budget was spent"


class RoutedOutput(models.Model):
    """One output that matched a rule: drawn or not, with what probability, where it went."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="routed")
    output = models.ForeignKey(ModelOutput, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    rule_version = models.PositiveIntegerField()
    draw = models.FloatField(help_text="The seeded uniform draw of (rule seed, output id).")
    probability = models.FloatField(
        null=True, blank=True, help_text="Known inclusion probability; empty under a day cap."
    )
    sampled = models.BooleanField()
    queue_result = models.CharField(max_length=32, blank=True)
    judge_state = models.CharField(
        max_length=16, choices=JudgeState.choices, blank=True, default=JudgeState.NONE
    )
    judge_run = models.ForeignKey(
        JudgeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["rule", "output"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "output"], name="routedoutput_unique"),
        ]
        indexes = [
            models.Index(
                fields=["rule", "output"],
                condition=models.Q(judge_state="pending"),
                name="routed_pending",
            ),
            models.Index(fields=["rule", "date", "judge_run"], name="routed_rule_day_run"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name}: output {self.output_id}"
