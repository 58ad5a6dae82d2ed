"""Routing rules through the API (leads): list, create, read, edit, delete, pause and resume."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.selectors.routing import routing_rule_queryset, routing_rule_revisions
from annotate.services.routing import (
    routing_rule_create,
    routing_rule_delete,
    routing_rule_pause,
    routing_rule_update,
)
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Role, RoutingRule, RoutingRuleDay
from llmops_core.permissions import signed_in

REVISIONS_SHOWN = 50


class RoutingRuleSerializer(serializers.ModelSerializer[RoutingRule]):
    queue_name = serializers.CharField(source="queue.name", default=None, read_only=True)
    inclusion_probability = serializers.FloatField(
        source="probability",
        read_only=True,
        allow_null=True,
        help_text="Exact for a percentage (or all); null under a day cap, where it is unknown.",
    )

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "filter",
            "rate_percent",
            "day_cap",
            "seed",
            "queue",
            "queue_name",
            "judge_version",
            "judge_day_budget",
            "paused",
            "version",
            "inclusion_probability",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RuleInputSerializer(serializers.Serializer[Any]):
    """The fields a rule is written with; the service checks each against the project."""

    name = serializers.CharField(max_length=120, required=False)
    filter = serializers.JSONField(required=False)
    rate_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, required=False, allow_null=True
    )
    day_cap = serializers.IntegerField(required=False, allow_null=True)
    queue = serializers.IntegerField(required=False, allow_null=True)
    judge_version = serializers.IntegerField(required=False, allow_null=True)
    judge_day_budget = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {unknown[0]: f"not a field of a rule (one of {', '.join(self.fields)})"}
            )
        return attrs


class DaySerializer(serializers.ModelSerializer[RoutingRuleDay]):
    class Meta:
        model = RoutingRuleDay
        fields = [
            "date",
            "seen",
            "sampled",
            "sent_to_queue",
            "sent_to_judge",
            "skipped",
            "spend",
            "judge_cap_reached_at",
        ]
        read_only_fields = fields


def _detail(rule: RoutingRule) -> dict[str, Any]:
    body = dict(RoutingRuleSerializer(rule).data)
    body["days"] = DaySerializer(rule.days.order_by("-date")[:30], many=True).data
    body["revisions"] = [
        {
            "version": r.version,
            "definition": r.definition,
            "created_at": r.created_at,
            "created_by": r.created_by.username if r.created_by else None,
        }
        for r in routing_rule_revisions(rule=rule)[:REVISIONS_SHOWN]
    ]
    return body


class RoutingRuleListApi(ProjectScopedMixin, generics.ListAPIView[RoutingRule]):
    """List the project's routing rules; create one (leads)."""

    model = RoutingRule
    serializer_class = RoutingRuleSerializer
    read_role = Role.LEAD
    write_role = Role.LEAD

    def get_project_queryset(self) -> QuerySet[RoutingRule]:
        return routing_rule_queryset(project=self.project)

    @extend_schema(request=RuleInputSerializer, responses={201: RoutingRuleSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = RuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        seed = fields.pop("seed", None)
        rule = routing_rule_create(
            project=self.project, data=fields, actor=signed_in(request.user), seed=seed
        )
        return Response(_detail(rule), status=status.HTTP_201_CREATED)


class RoutingRuleDetailApi(ProjectScopedMixin, APIView):
    """Read a rule with its days and revisions; edit it (a new version); delete it."""

    read_role = Role.LEAD
    write_role = Role.LEAD

    def _rule(self, pk: int) -> RoutingRule:
        return get_object_or_404(routing_rule_queryset(project=self.project), pk=pk)

    @extend_schema(responses={200: RoutingRuleSerializer})
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        return Response(_detail(self._rule(pk)))

    @extend_schema(request=RuleInputSerializer, responses={200: RoutingRuleSerializer})
    def patch(self, request: Request, project_slug: str, pk: int) -> Response:
        rule = self._rule(pk)
        data = RuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "seed" in fields:
            raise serializers.ValidationError({"seed": "a rule's seed is fixed when it is made"})
        rule = routing_rule_update(rule=rule, data=fields, actor=signed_in(request.user))
        return Response(_detail(self._rule(rule.pk)))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, project_slug: str, pk: int) -> Response:
        routing_rule_delete(rule=self._rule(pk), actor=signed_in(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoutingRulePauseApi(ProjectScopedMixin, APIView):
    """Pause a rule (``pause/``) or resume it (``resume/``)."""

    read_role = Role.LEAD
    write_role = Role.LEAD
    paused = True

    @extend_schema(request=None, responses={200: RoutingRuleSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        rule = get_object_or_404(routing_rule_queryset(project=self.project), pk=pk)
        rule = routing_rule_pause(rule=rule, paused=self.paused, actor=signed_in(request.user))
        return Response(RoutingRuleSerializer(rule).data)
