"""Serializers of the judge API: shapes only. No serializer ever has an API key field to read."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from llmops_core.api.fields import TextBoxField
from llmops_core.models import JudgeConfig, JudgeRun, JudgeVersion, LLMCall, LLMEndpoint, Report
from llmops_core.services.judges.configs import RESPONSE_FORMATS
from llmops_core.services.judges.endpoints import (
    MAX_CONCURRENCY,
    MAX_TIMEOUT_SECONDS,
    endpoint_has_stored_key,
    endpoint_key_source,
)


class EndpointSerializer(serializers.ModelSerializer[LLMEndpoint]):
    key_source = serializers.SerializerMethodField()
    has_stored_key = serializers.SerializerMethodField()

    class Meta:
        model = LLMEndpoint
        fields = [
            "id",
            "name",
            "base_url",
            "api_key_env",
            "api_key_last4",
            "has_stored_key",
            "key_source",
            "concurrency",
            "timeout_seconds",
            "created_at",
        ]

    def get_key_source(self, obj: LLMEndpoint) -> str:
        return endpoint_key_source(obj)

    def get_has_stored_key(self, obj: LLMEndpoint) -> bool:
        return endpoint_has_stored_key(obj)


class EndpointWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=64)
    base_url = serializers.CharField(max_length=500)
    api_key = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, trim_whitespace=True
    )
    api_key_env = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    concurrency = serializers.IntegerField(
        required=False, default=16, min_value=1, max_value=MAX_CONCURRENCY
    )
    timeout_seconds = serializers.IntegerField(
        required=False, default=60, min_value=1, max_value=MAX_TIMEOUT_SECONDS
    )


class JudgeVersionSerializer(serializers.ModelSerializer[JudgeVersion]):
    judge = serializers.CharField(source="config.name", read_only=True)
    endpoint = serializers.CharField(
        source="endpoint.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = JudgeVersion
        fields = [
            "id",
            "judge",
            "number",
            "mode",
            "model_name",
            "parameters",
            "response_format",
            "prompt_template",
            "system_message",
            "rubric_version",
            "endpoint",
            "content_hash",
            "created_at",
        ]


class JudgeVersionWriteSerializer(serializers.Serializer[Any]):
    model_name = serializers.CharField(max_length=200)
    mode = serializers.ChoiceField(choices=["pointwise", "pairwise"], default="pointwise")
    response_format = serializers.ChoiceField(choices=list(RESPONSE_FORMATS), default="json_schema")
    prompt_template = TextBoxField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    system_message = TextBoxField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    parameters = serializers.DictField(required=False, default=dict)
    temperature = serializers.FloatField(required=False, min_value=0, max_value=2)
    rubric_version = serializers.IntegerField(
        required=False, help_text="Default: the newest default rubric."
    )
    endpoint = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Endpoint name; empty for the site default.",
    )


class JudgeSerializer(serializers.ModelSerializer[JudgeConfig]):
    versions = JudgeVersionSerializer(many=True, read_only=True)

    class Meta:
        model = JudgeConfig
        fields = ["id", "name", "description", "versions", "created_at"]


class JudgeWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    description = TextBoxField(required=False, allow_blank=True, default="")
    version = JudgeVersionWriteSerializer(required=False)


class JudgeRunSerializer(serializers.ModelSerializer[JudgeRun]):
    judge = serializers.CharField(source="judge_version.config.name", read_only=True)
    version = serializers.IntegerField(source="judge_version.number", read_only=True)
    mode = serializers.CharField(source="judge_version.mode", read_only=True)
    queue_id = serializers.SerializerMethodField()
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=6, coerce_to_string=True, read_only=True
    )
    budget = serializers.SerializerMethodField()

    class Meta:
        model = JudgeRun
        fields = [
            "id",
            "judge",
            "version",
            "judge_version",
            "mode",
            "queue_id",
            "budget",
            "status",
            "progress",
            "error",
            "cancel_requested",
            "total_calls",
            "done_calls",
            "cached_calls",
            "error_calls",
            "retries",
            "tokens_in",
            "tokens_out",
            "cost",
            "totals",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]

    def get_queue_id(self, obj: JudgeRun) -> int | None:
        return obj.parameters.get("queue_id")

    def get_budget(self, obj: JudgeRun) -> str | None:
        return obj.parameters.get("budget")


class JudgeRunWriteSerializer(serializers.Serializer[Any]):
    judge_version = serializers.IntegerField()
    queue_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    output_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=200_000
    )
    prompt_version_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, min_length=2, max_length=2
    )
    pairs = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        required=False,
        max_length=100_000,
    )
    budget = serializers.DecimalField(
        max_digits=14,
        decimal_places=6,
        required=False,
        allow_null=True,
        default=None,
        help_text="Stop once the run's calls cost this much.",
    )


class LLMCallSerializer(serializers.ModelSerializer[LLMCall]):
    class Meta:
        model = LLMCall
        fields = [
            "id",
            "subject_key",
            "status",
            "error_kind",
            "error",
            "parse_error",
            "attempts",
            "retries",
            "repaired",
            "latency_ms",
            "tokens_in",
            "tokens_out",
            "cost",
            "model_name",
            "request_hash",
            "content",
            "raw_response",
            "created_at",
        ]


class JudgeReportSerializer(serializers.ModelSerializer[Report]):
    class Meta:
        model = Report
        fields = [
            "id",
            "title",
            "status",
            "progress",
            "error",
            "parameters",
            "snapshot_hash",
            "snapshot_counts",
            "created_at",
            "started_at",
            "finished_at",
        ]


class JudgeReportDetailSerializer(JudgeReportSerializer):
    class Meta(JudgeReportSerializer.Meta):
        fields = [*JudgeReportSerializer.Meta.fields, "results"]


class JudgeReportWriteSerializer(serializers.Serializer[Any]):
    run = serializers.IntegerField(required=False)
    judge_version = serializers.IntegerField(required=False)
    queue_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    bootstrap_draws = serializers.IntegerField(required=False, min_value=0, max_value=10_000)
    seed = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1)
