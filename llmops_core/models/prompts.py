"""Prompt templates, immutable content-hashed versions, movable labels and promotions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from llmops_core.models.projects import Project

# Fields of a PromptVersion that make up its content; a database trigger refuses to change them.
PROMPT_VERSION_CONTENT_FIELDS = (
    "template_text",
    "system_message",
    "model_name",
    "parameters",
    "content_hash",
    "number",
    "template_id",
)


class PromptTemplate(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prompt_templates")
    name = models.SlugField(max_length=120, help_text="Stable name applications fetch it by.")
    description = models.TextField(blank=True)
    chat = models.BooleanField(
        default=False,
        help_text=(
            "Serve every version as chat messages (Langfuse type chat), also versions without a "
            "system message; versions with one are served as chat anyway."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="prompttemplate_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"


class PromptVersion(models.Model):
    """One immutable version of a template: text, system message, model and parameters."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    template_text = models.TextField()
    system_message = models.TextField(blank=True)
    model_name = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="promptversion_unique_number"
            ),
            models.UniqueConstraint(
                fields=["template", "content_hash"], name="promptversion_unique_content"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="promptversion_number_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class PromptTag(models.Model):
    """A tag of a template (Langfuse's prompt tags: the same for every version), to filter by."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["template", "name"]
        constraints = [
            models.UniqueConstraint(fields=["template", "name"], name="prompttag_unique_name"),
        ]
        indexes = [models.Index(fields=["name"], name="prompttag_name")]

    def __str__(self) -> str:
        return f"{self.template}#{self.name}"


class PromptLabel(models.Model):
    """A movable name (``production``, ``staging``) pointing at one version of a template."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="labels")
    name = models.SlugField(max_length=64, help_text="Lower case; unique per template.")
    version = models.ForeignKey(PromptVersion, on_delete=models.PROTECT, related_name="labels")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template", "name"]
        constraints = [
            # Labels are stored lower case, so "Production" can never sidestep the gate.
            models.UniqueConstraint(
                models.F("template"), Lower("name"), name="promptlabel_unique_name_ci"
            ),
            models.CheckConstraint(
                condition=models.Q(name=Lower("name")), name="promptlabel_name_lower"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template}@{self.name} -> v{self.version.number}"


class Promotion(models.Model):
    """A label move, with who, when, the gate's verdict and the evidence frozen at that time."""

    template = models.ForeignKey(
        PromptTemplate, on_delete=models.CASCADE, related_name="promotions"
    )
    label = models.SlugField(max_length=64)
    from_version = models.ForeignKey(
        PromptVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_version = models.ForeignKey(PromptVersion, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gate_passed = models.BooleanField(null=True, blank=True)
    gate_result = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["template", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.template}@{self.label} -> v{self.to_version.number}"
