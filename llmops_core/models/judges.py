"""LLM judges: configs, immutable judge prompt versions, runs and the scores they produce."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.llm import LLMEndpoint, LLMRunState
from llmops_core.models.outputs import ModelOutput
from llmops_core.models.projects import Project
from llmops_core.models.rubrics import Criterion, RubricVersion

JUDGE_VERSION_CONTENT_FIELDS = (
    "prompt_template",
    "system_message",
    "model_name",
    "parameters",
    "mode",
    "response_format",
    "content_hash",
    "number",
    "config_id",
    "rubric_version_id",
)


class JudgeMode(models.TextChoices):
    POINTWISE = "pointwise", "Pointwise (score per criterion)"
    PAIRWISE = "pairwise", "Pairwise (A vs B per criterion)"


class JudgeConfig(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judges")
    name = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="judgeconfig_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"


class JudgeVersion(models.Model):
    """An immutable judge: prompt, model, parameters, mode and rubric version (DB-enforced)."""

    config = models.ForeignKey(JudgeConfig, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    prompt_template = models.TextField(
        blank=True,
        help_text="The judge's user prompt: {{ input }}, {{ output }} (pairwise: {{ output_a }}, "
        "{{ output_b }}) and {{ criteria }}. Empty: the built-in template.",
    )
    system_message = models.TextField(
        blank=True,
        help_text="Extra instructions for the judge's system message; the rubric and the reply "
        "format are always added.",
    )
    model_name = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=16, choices=JudgeMode.choices, default=JudgeMode.POINTWISE)
    response_format = models.CharField(
        max_length=16, default="json_schema", help_text="json_schema, json_object or text"
    )
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    endpoint = models.ForeignKey(
        LLMEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["config", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["config", "number"], name="judgeversion_unique_number"),
            models.UniqueConstraint(
                fields=["config", "content_hash"], name="judgeversion_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.config} v{self.number}"


class JudgeRun(LLMRunState):
    """A judge scoring a set of outputs (a queue, or explicit ids), chunked through Celery."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judge_runs")
    judge_version = models.ForeignKey(JudgeVersion, on_delete=models.PROTECT, related_name="runs")
    parameters = models.JSONField(
        default=dict, blank=True, help_text="queue_id or output_ids; pairs for pairwise runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"], name="judgerun_project")]

    def __str__(self) -> str:
        return f"judge run #{self.pk} ({self.status})"


class JudgeScore(models.Model):
    """A pointwise judge score for one output on one criterion, with the judge's rationale."""

    run = models.ForeignKey(JudgeRun, on_delete=models.CASCADE, related_name="scores")
    output = models.ForeignKey(ModelOutput, on_delete=models.CASCADE, related_name="judge_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    score = models.SmallIntegerField()
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "output", "criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "output", "criterion"], name="judgescore_unique"
            ),
        ]
        indexes = [models.Index(fields=["output", "criterion"], name="judgescore_output")]

    def __str__(self) -> str:
        return f"{self.output_id}:{self.criterion_id}={self.score}"


class PairVerdict(models.TextChoices):
    A = "A", "A is better"
    B = "B", "B is better"
    TIE = "tie", "Tie"


class JudgePairVerdict(models.Model):
    """A pairwise verdict, asked in both orders; ``final`` cancels position bias."""

    run = models.ForeignKey(JudgeRun, on_delete=models.CASCADE, related_name="pair_verdicts")
    output_a = models.ForeignKey(ModelOutput, on_delete=models.CASCADE, related_name="+")
    output_b = models.ForeignKey(ModelOutput, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    verdict_ab = models.CharField(max_length=3, choices=PairVerdict.choices, blank=True)
    verdict_ba = models.CharField(
        max_length=3,
        choices=PairVerdict.choices,
        blank=True,
        help_text="Asked with B shown first, mapped back to A/B.",
    )
    final = models.CharField(max_length=3, choices=PairVerdict.choices, blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "output_a", "output_b", "criterion"], name="judgepair_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.output_a_id} vs {self.output_b_id}: {self.final}"
