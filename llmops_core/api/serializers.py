"""Serializers of the LLMOps core API: shapes only, no rules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from llmops_core.api.fields import AnchorsField, TextBoxField, column_integer
from llmops_core.models import (
    Criterion,
    ImportJob,
    ImportJobOutput,
    Membership,
    ModelOutput,
    Project,
    PromptTemplate,
    PromptVersion,
    Rubric,
    RubricVersion,
)


class ProjectSerializer(serializers.ModelSerializer[Project]):
    class Meta:
        model = Project
        fields = ["id", "slug", "name", "description", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"slug": {"required": False, "validators": []}}


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]


class MembershipWriteSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=["reviewer", "adjudicator", "lead", "admin"])


class PromptVersionSerializer(serializers.ModelSerializer[PromptVersion]):
    template = serializers.CharField(source="template.name", read_only=True)
    labels = serializers.SerializerMethodField()
    parent = serializers.IntegerField(  # type: ignore[assignment]  # a field named "parent"
        source="parent.number", read_only=True, allow_null=True
    )

    class Meta:
        model = PromptVersion
        fields = [
            "id",
            "template",
            "number",
            "template_text",
            "system_message",
            "model_name",
            "parameters",
            "content_hash",
            "parent",
            "labels",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "number", "content_hash", "created_at"]

    def get_labels(self, obj: PromptVersion) -> list[str]:
        return sorted(label.name for label in obj.labels.all())


class PromptVersionWriteSerializer(serializers.Serializer[Any]):
    template_text = TextBoxField(trim_whitespace=False)
    system_message = TextBoxField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    model_name = serializers.CharField(max_length=200)
    parameters = serializers.DictField(required=False, default=dict)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class PromptTemplateSerializer(serializers.ModelSerializer[PromptTemplate]):
    description = TextBoxField(required=False, allow_blank=True, default="")
    labels = serializers.SerializerMethodField()

    class Meta:
        model = PromptTemplate
        fields = ["id", "name", "description", "labels", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_labels(self, obj: PromptTemplate) -> dict[str, int]:
        return {label.name: label.version.number for label in obj.labels.all()}


class LabelWriteSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1)
    override_reason = TextBoxField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Admins only: promote to production although the release gate fails.",
    )


class ModelOutputSerializer(serializers.ModelSerializer[ModelOutput]):
    prompt = serializers.CharField(
        source="prompt_version.template.name", read_only=True, allow_null=True, default=None
    )
    prompt_version = serializers.IntegerField(
        source="prompt_version.number", read_only=True, allow_null=True, default=None
    )
    output = serializers.CharField(source="output_text")
    model = serializers.CharField(source="model_name")

    class Meta:
        model = ModelOutput
        fields = [
            "id",
            "external_id",
            "input",
            "output",
            "reference",
            "prompt",
            "prompt_version",
            "model",
            "latency_ms",
            "tokens_in",
            "tokens_out",
            "cost",
            "metadata",
            "created_at",
        ]


class ErrorGroupSerializer(serializers.Serializer[Any]):
    """Rows that share one error: ``rows`` holds [first, last] ranges of row numbers."""

    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2)
    )
    field = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    message = serializers.CharField()


class ImportOutputSerializer(serializers.ModelSerializer[ImportJobOutput]):
    """The output one row of an import stands for; ``created`` false: it was already there."""

    id = serializers.IntegerField(source="output_id", read_only=True)
    external_id = serializers.CharField(source="output.external_id", read_only=True)

    class Meta:
        model = ImportJobOutput
        fields = ["row", "id", "external_id", "created"]


class ImportResultSerializer(serializers.Serializer[Any]):
    """The outcome of an import body: counts, grouped errors, and the outputs in row order.

    ``outputs`` lists every imported row's output (created or already present) when there are
    at most ``outputs_inline_max`` of them, else it is null and ``outputs_url`` pages them.
    """

    job = serializers.IntegerField()
    rows_seen = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    rows_existing = serializers.IntegerField()
    rows_failed = serializers.IntegerField()
    rows_skipped = serializers.IntegerField()
    rejected = serializers.BooleanField()
    errors = serializers.ListField(  # type: ignore[assignment]  # a field named "errors"
        child=serializers.CharField(), help_text="One message per distinct error, in row order."
    )
    error_groups = ErrorGroupSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.CharField(), help_text="Rows left out on purpose (partial), and why."
    )
    errors_truncated = serializers.BooleanField()
    prompts_created = serializers.ListField(child=serializers.CharField())
    prompts_missing = serializers.ListField(
        child=serializers.CharField(),
        help_text='Prompts rows named that the project lacks ("name" or "name vN"); '
        "create_prompts would create them.",
    )
    outputs = ImportOutputSerializer(many=True, allow_null=True)
    outputs_inline_max = serializers.IntegerField()
    outputs_url = serializers.CharField()


class ImportRejectionSerializer(ImportResultSerializer):
    """A refused import body: every bad row (grouped), or one file-level ``detail``."""

    detail = serializers.CharField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, item in self.fields.items():
            item.required = name == "detail"


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    class Meta:
        model = ImportJob
        fields = [
            "id",
            "status",
            "progress",
            "error",
            "source",
            "format",
            "original_name",
            "partial",
            "rows_seen",
            "rows_created",
            "rows_existing",
            "rows_failed",
            "rows_skipped",
            "row_errors",
            "row_skips",
            "create_prompts",
            "prompts_missing",
            "total_bytes",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    partial = serializers.BooleanField(  # type: ignore[assignment]  # a field named "partial"
        required=False, default=False
    )
    create_prompts = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Create the prompt templates and versions rows name but the project lacks.",
    )


class CriterionSerializer(serializers.ModelSerializer[Criterion]):
    description = TextBoxField(required=False, allow_blank=True, default="")
    scale_min = column_integer(Criterion, "scale_min", required=False, default=1)
    scale_max = column_integer(Criterion, "scale_max", required=False, default=5)
    anchors = AnchorsField(required=False, default=dict)

    class Meta:
        model = Criterion
        fields = ["name", "description", "scale_min", "scale_max", "anchors"]


class RubricVersionSerializer(serializers.ModelSerializer[RubricVersion]):
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = RubricVersion
        fields = ["id", "number", "content_hash", "note", "criteria", "created_at"]


class RubricSerializer(serializers.ModelSerializer[Rubric]):
    versions = RubricVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Rubric
        fields = ["id", "name", "description", "versions", "created_at"]


class RubricWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    description = TextBoxField(required=False, allow_blank=True, default="")
    criteria = CriterionSerializer(many=True)


class RubricVersionWriteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    criteria = CriterionSerializer(many=True)
