"""Request and response shapes of the Langfuse-compatible prompt API, in Langfuse's field names."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A chat message as Langfuse serves it.
CHAT_MESSAGE: dict[str, Any] = {
    "type": "object",
    "properties": {"role": {"type": "string"}, "content": {"type": "string"}},
    "required": ["role", "content"],
}
PROMPT_CONTENT: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "description": "A text prompt."},
        {"type": "array", "items": CHAT_MESSAGE, "description": "A chat prompt."},
    ]
}
ANY_CONFIG: dict[str, Any] = {"type": "object", "additionalProperties": {}}


@extend_schema_field(PROMPT_CONTENT)
class PromptContentField(serializers.JSONField):
    """A text prompt's string, or a chat prompt's messages."""


@extend_schema_field(ANY_CONFIG)
class ConfigField(serializers.JSONField):
    """Langfuse's ``config``: ``model`` and the model's parameters."""


class LangfusePromptSerializer(serializers.Serializer[Any]):
    """A prompt version (Langfuse's ``Prompt``: ``TextPrompt`` or ``ChatPrompt``)."""

    id = serializers.CharField()
    projectId = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["text", "chat"])
    prompt = PromptContentField()
    config = ConfigField()
    labels = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    commitMessage = serializers.CharField(allow_null=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    createdBy = serializers.CharField()
    resolutionGraph = serializers.DictField(allow_null=True)


class LangfusePromptQuerySerializer(serializers.Serializer[Any]):
    label = serializers.CharField(  # type: ignore[assignment]
        required=False, max_length=200, help_text="Default: production (when no version)."
    )
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    resolve = serializers.BooleanField(
        required=False,
        help_text="Accepted for Langfuse clients; prompts here have no dependencies.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "label" in attrs and "version" in attrs:
            raise serializers.ValidationError("ask for a label or a version, not both")
        return attrs


class LangfuseListQuerySerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, max_length=255)
    label = serializers.CharField(required=False, max_length=200)  # type: ignore[assignment]
    tag = serializers.CharField(required=False, max_length=200)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    page = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10**6)
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=100)
    fromUpdatedAt = serializers.DateTimeField(
        required=False, help_text="Versions updated at or after (ISO 8601)."
    )
    toUpdatedAt = serializers.DateTimeField(
        required=False, help_text="Versions updated before (ISO 8601)."
    )
    filter = serializers.CharField(
        required=False, help_text="Not supported: use name, label, tag, version and the dates."
    )

    def validate_filter(self, value: str) -> str:
        raise serializers.ValidationError(
            "the filter parameter is not supported here; use name, label, tag, version, "
            "fromUpdatedAt and toUpdatedAt"
        )


class LangfusePromptMetaSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=["text", "chat"])
    versions = serializers.ListField(child=serializers.IntegerField())
    labels = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    lastUpdatedAt = serializers.DateTimeField()
    lastConfig = ConfigField()


class LangfuseMetaSerializer(serializers.Serializer[Any]):
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    totalItems = serializers.IntegerField()
    totalPages = serializers.IntegerField()


class LangfusePromptListSerializer(serializers.Serializer[Any]):
    """A page of prompts: ``data`` and ``meta``."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # Declared here: a field attribute named "data" would hide the serializer's own ``data``.
        return {"data": LangfusePromptMetaSerializer(many=True), "meta": LangfuseMetaSerializer()}


class LangfusePromptCreateSerializer(serializers.Serializer[Any]):
    """Langfuse's ``CreatePromptRequest`` (what the SDK's ``create_prompt`` sends)."""

    name = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=["text", "chat"], required=False, allow_null=True)
    prompt = PromptContentField()
    config = ConfigField(required=False, allow_null=True)
    labels = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, allow_null=True, max_length=50
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, allow_null=True, max_length=50
    )
    commitMessage = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=5000
    )


class LangfuseLabelsSerializer(serializers.Serializer[Any]):
    """Langfuse's label update: the labels to add to the version."""

    newLabels = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50)


class LangfuseErrorSerializer(serializers.Serializer[Any]):
    """Langfuse's error body: ``message`` in words; ``error`` the error's name (or, for an
    invalid request, the list of issues, each with its ``path`` and ``message``)."""

    message = serializers.CharField()
    error = serializers.JSONField()
