"""Monitoring through the API: the figures of the monitoring page, for leads."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.views import ProjectScopedMixin
from llmops_core.forms.monitoring import MonitoringForm
from llmops_core.models import OutputRollup, Role
from llmops_core.selectors.feedback import feedback_in_window
from llmops_core.selectors.monitoring import monitoring_report

PARAMETERS = [
    OpenApiParameter("granularity", str, enum=["hour", "day", "week"], description="Default day."),
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Date or ISO 8601 date-time."),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Default now."),
    OpenApiParameter("version", int, description="A prompt version's id; 0 for no version."),
    OpenApiParameter("model", str),
]


class FiguresSerializer(serializers.Serializer):
    """The figures of a set of roll-ups; a figure with nothing to compute it from is null."""

    requests = serializers.IntegerField()
    errors = serializers.IntegerField()  # type: ignore[assignment]  # the metaclass moves it
    error_rate = serializers.FloatField(allow_null=True)
    error_pct = serializers.FloatField(allow_null=True)
    tokens_in = serializers.IntegerField(allow_null=True)
    tokens_out = serializers.IntegerField(allow_null=True)
    cost = serializers.FloatField(allow_null=True)
    cost_mean = serializers.FloatField(allow_null=True)
    latency_mean_ms = serializers.FloatField(allow_null=True)
    latency_p50_ms = serializers.FloatField(allow_null=True)
    latency_p95_ms = serializers.FloatField(allow_null=True)
    latency_p99_ms = serializers.FloatField(allow_null=True)
    errors_by_type = serializers.DictField(child=serializers.IntegerField())


class PeriodSerializer(FiguresSerializer):
    period = serializers.DateTimeField(help_text="The period's start (UTC).")


class GroupSerializer(FiguresSerializer):
    version_id = serializers.IntegerField(allow_null=True, help_text="Null: no prompt version.")
    prompt = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    model = serializers.CharField()


class MonitoringFiltersSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True)
    model = serializers.CharField(allow_null=True)


class FeedbackRowSerializer(serializers.Serializer):
    """End-user feedback given in the window on one prompt version's outputs."""

    version_id = serializers.IntegerField(allow_null=True, help_text="Null: no prompt version.")
    prompt = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    n = serializers.IntegerField()
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    down_rate = serializers.FloatField(allow_null=True, help_text="Null with no thumbs.")
    down_rate_reason = serializers.CharField()
    scores = serializers.IntegerField()
    score_mean = serializers.FloatField(allow_null=True)
    comments = serializers.IntegerField()
    corrections = serializers.IntegerField()


class MonitoringSerializer(serializers.Serializer):
    """The monitoring answer: totals, one row per period with outputs, the busiest groups."""

    granularity = serializers.ChoiceField(choices=["hour", "day", "week"])
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    filters = MonitoringFiltersSerializer()
    totals = FiguresSerializer(allow_null=True, help_text="Null when the window has no output.")
    series = PeriodSerializer(many=True)
    groups = GroupSerializer(many=True)
    groups_total = serializers.IntegerField()
    feedback = FeedbackRowSerializer(many=True, help_text="End-user feedback given in the window.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword, so declared with a trailing _
        return fields


class MonitoringApi(ProjectScopedMixin, APIView):
    """Requests, errors by type, tokens, cost and latency percentiles, over time (leads).

    Bounded rather than paginated: at most 168 hours, 92 days or 104 weeks a request (a 400
    says so), and the 200 busiest (prompt version, model) pairs (``groups_total`` counts all).
    """

    model = OutputRollup
    read_role = Role.LEAD

    @extend_schema(parameters=PARAMETERS, responses={200: MonitoringSerializer})
    def get(self, request: Request, project_slug: str) -> Response:
        form = MonitoringForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(_errors(form))
        window = form.window
        report = monitoring_report(project=self.project, window=window)
        report["feedback"] = feedback_in_window(
            project_id=self.project.pk,
            start=window.start,
            end=window.end,
            version=window.version,
            model=window.model,
        )
        return Response(report)


def _errors(form: MonitoringForm) -> dict[str, Any]:
    return {field: [str(m) for m in messages] for field, messages in form.errors.items()}
