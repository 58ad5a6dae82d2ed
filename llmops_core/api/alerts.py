"""Alert rules (CRUD) and their events (list, acknowledge) through the API; leads only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import AlertDelivery, AlertEvent, AlertRule, Direction, NoData, Role
from llmops_core.permissions import signed_in
from llmops_core.selectors.alerts import alert_events_for_project, alert_rules_for_project
from llmops_core.services.alerts import (
    METRICS,
    RuleInput,
    alert_event_acknowledge,
    alert_rule_create,
    alert_rule_delete,
    alert_rule_update,
    rule_input_from,
    window_text,
)


class AlertRuleSerializer(serializers.ModelSerializer[AlertRule]):
    window = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    prompt_version = serializers.IntegerField(source="prompt_version_id", allow_null=True)
    model = serializers.CharField(source="model_name")
    has_webhook_secret = serializers.SerializerMethodField()

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "name",
            "metric",
            "unit",
            "window",
            "window_seconds",
            "direction",
            "warning_threshold",
            "alert_threshold",
            "no_data",
            "cooldown_seconds",
            "prompt_version",
            "model",
            "criterion",
            "webhook_url",
            "has_webhook_secret",
            "emails",
            "paused",
            "state",
            "last_value",
            "last_window_end",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_window(self, rule: AlertRule) -> str:
        return window_text(rule.window_seconds)

    def get_unit(self, rule: AlertRule) -> str:
        metric = METRICS.get(rule.metric)
        return metric.unit if metric else ""

    def get_has_webhook_secret(self, rule: AlertRule) -> bool:
        return bool(rule.webhook_secret)


class AlertRuleInputSerializer(serializers.Serializer[Any]):
    """What a lead sends; the service checks the rules between fields (and the egress)."""

    name = serializers.CharField(max_length=120)
    metric = serializers.ChoiceField(choices=[])
    window = serializers.CharField(max_length=16, help_text="e.g. 30m, 1h, 24h, 7d")
    alert_threshold = serializers.FloatField()
    warning_threshold = serializers.FloatField(required=False, allow_null=True, default=None)
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.ABOVE)
    no_data = serializers.ChoiceField(choices=NoData.choices, default=NoData.KEEP)
    cooldown_seconds = serializers.IntegerField(min_value=0, default=3600)
    prompt_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    model = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    criterion = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    webhook_url = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    webhook_secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        help_text="HMAC key (16+ characters); blank keeps it, or generates one for a new webhook.",
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), max_length=20, required=False, default=list
    )
    paused = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = sorted(METRICS)  # type: ignore[attr-defined]

    def rule_input(self, rule: AlertRule | None = None) -> RuleInput:
        """Return the validated data as a ``RuleInput`` (over ``rule``'s settings for PATCH)."""
        data: dict[str, Any] = dict(self.validated_data)
        renamed = {"prompt_version": "prompt_version_id", "model": "model_name"}
        values: dict[str, Any] = {renamed.get(str(k), str(k)): v for k, v in data.items()}
        if rule is not None:
            return rule_input_from(rule, **values)
        return RuleInput(**values)


class CreatedAlertRuleSerializer(AlertRuleSerializer):
    webhook_secret = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The webhook secret if this request generated it (shown once), else null.",
    )

    class Meta(AlertRuleSerializer.Meta):
        fields = [*AlertRuleSerializer.Meta.fields, "webhook_secret"]
        read_only_fields = fields


def _answer(rule: AlertRule, generated: str | None, code: int = status.HTTP_200_OK) -> Response:
    body = dict(AlertRuleSerializer(rule).data)
    body["webhook_secret"] = generated
    return Response(body, status=code)


class AlertRuleListApi(ProjectScopedMixin, generics.ListAPIView[AlertRule]):
    """List the project's alert rules with their state; create one (leads)."""

    model = AlertRule
    serializer_class = AlertRuleSerializer
    read_role = Role.LEAD
    write_role = Role.LEAD

    def get_project_queryset(self) -> QuerySet[AlertRule]:
        return alert_rules_for_project(self.project)

    @extend_schema(request=AlertRuleInputSerializer, responses={201: CreatedAlertRuleSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = AlertRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule, generated = alert_rule_create(
            project=self.project, data=data.rule_input(), actor=signed_in(request.user)
        )
        return _answer(rule, generated, status.HTTP_201_CREATED)


class AlertRuleDetailApi(ProjectScopedMixin, APIView):
    """Read, change (PUT: every field; PATCH: some) or delete one alert rule."""

    read_role = Role.LEAD
    write_role = Role.LEAD

    def _rule(self, pk: int) -> AlertRule:
        return get_object_or_404(AlertRule, pk=pk, project=self.project)

    @extend_schema(responses={200: AlertRuleSerializer})
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        return Response(AlertRuleSerializer(self._rule(pk)).data)

    def _change(self, request: Request, pk: int, *, partial: bool) -> Response:
        rule = self._rule(pk)
        data = AlertRuleInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        rule, generated = alert_rule_update(
            rule=rule,
            data=data.rule_input(rule if partial else None),
            actor=signed_in(request.user),
        )
        return _answer(rule, generated)

    @extend_schema(request=AlertRuleInputSerializer, responses={200: CreatedAlertRuleSerializer})
    def put(self, request: Request, project_slug: str, pk: int) -> Response:
        return self._change(request, pk, partial=False)

    @extend_schema(request=AlertRuleInputSerializer, responses={200: CreatedAlertRuleSerializer})
    def patch(self, request: Request, project_slug: str, pk: int) -> Response:
        return self._change(request, pk, partial=True)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, project_slug: str, pk: int) -> Response:
        alert_rule_delete(rule=self._rule(pk), actor=signed_in(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertDeliverySerializer(serializers.ModelSerializer[AlertDelivery]):
    class Meta:
        model = AlertDelivery
        fields = ["channel", "attempts", "last_error", "next_retry_at", "delivered_at", "gave_up"]
        read_only_fields = fields


class AlertEventSerializer(serializers.ModelSerializer[AlertEvent]):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, read_only=True, allow_null=True
    )
    deliveries = AlertDeliverySerializer(many=True, read_only=True)

    class Meta:
        model = AlertEvent
        fields = [
            "id",
            "rule",
            "rule_name",
            "kind",
            "from_state",
            "to_state",
            "value",
            "window_start",
            "window_end",
            "notify",
            "delivered",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
            "deliveries",
        ]
        read_only_fields = fields


class NewestFirst(KeysetPagination):
    ordering = "-id"


class AlertEventListApi(ProjectScopedMixin, generics.ListAPIView[AlertEvent]):
    """List the project's alert events, newest first (``?rule=<id>`` for one rule's)."""

    model = AlertEvent
    serializer_class = AlertEventSerializer
    pagination_class = NewestFirst
    read_role = Role.LEAD

    @extend_schema(parameters=[OpenApiParameter("rule", int, description="One rule's events.")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_project_queryset(self) -> QuerySet[AlertEvent]:
        raw = self.request.query_params.get("rule")
        rule_id = None
        if raw is not None:
            if not raw.isascii() or not raw.isdigit():
                raise ValidationError({"detail": 'query parameter "rule": give a rule id'})
            rule_id = int(raw)
        return alert_events_for_project(self.project, rule_id=rule_id)


class AlertEventAcknowledgeApi(ProjectScopedMixin, APIView):
    """Acknowledge a warning or alert event (idempotent)."""

    read_role = Role.LEAD
    write_role = Role.LEAD

    @extend_schema(request=None, responses={200: AlertEventSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        event = get_object_or_404(AlertEvent, pk=pk, rule__project=self.project)
        event = alert_event_acknowledge(event=event, actor=signed_in(request.user))
        return Response(AlertEventSerializer(event).data)
