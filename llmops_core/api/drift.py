"""REST endpoints of drift reports and judge re-checks: ask for one, list them, poll one.

Leads and admins only: reviewers and adjudicators get 403, non-members 404. A drift report
compares two windows of outputs (``before`` and ``after``: since, until, and optionally a prompt
version and a model); without windows it compares the last seven days with the seven before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.reports import (
    MAX_ID,
    DateOrTimeField,
    ReportApiMixin,
    ReportPagination,
)
from llmops_core.models import Report
from llmops_core.selectors.drift import drift_report_get, drift_report_list
from llmops_core.selectors.drift_judges import judge_version_by_number
from llmops_core.services.drift import DriftSpec, Window, drift_report_request
from llmops_core.services.drift.judges import judge_staleness_request

WEEK = timedelta(days=7)


class WindowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One window: outputs created in [since, until), of one version and model if given."""

    since = DateOrTimeField()
    until = DateOrTimeField(end_of_day=True, help_text="A date: through that day.")
    prompt_version_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    model_name = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "must be later than since"})
        return attrs


class DriftRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Two windows (both or neither: then the last 7 days against the 7 before)."""

    before = WindowSerializer(required=False)
    after = WindowSerializer(required=False)
    judge_version_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Whose judge scores to compare; the most recently used judge by default.",
    )
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1, default=0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("before" in attrs) != ("after" in attrs):
            missing = "after" if "before" in attrs else "before"
            raise serializers.ValidationError({missing: "give both windows, or neither"})
        return attrs

    def spec(self) -> DriftSpec:
        """Return the validated request as a drift spec (minutes: the default windows)."""
        data = self.validated_data
        if "before" in data:
            before, after = Window(**data["before"]), Window(**data["after"])
        else:
            now = timezone.now().replace(second=0, microsecond=0)
            after = Window(now - WEEK, now)
            before = Window(now - 2 * WEEK, now - WEEK)
        return DriftSpec(before, after, data.get("judge_version_id"), data["seed"])


def drift_urls(report: Report) -> dict[str, Any]:
    """Return the page and API URLs of a drift report, and its charts'."""
    from llmops_core.charts.drift import CHARTS

    slug, pk = report.project.slug, report.pk
    return {
        "html": reverse("drift-detail", args=[slug, pk]),
        "api": reverse("api-drift-report", kwargs={"project_slug": slug, "pk": pk}),
        "charts": {
            name: {
                fmt: reverse("drift-chart", args=[slug, pk, name, fmt]) for fmt in ("svg", "png")
            }
            for name in CHARTS
        },
    }


class DriftReportSerializer(serializers.ModelSerializer[Report]):
    """A drift report row; ``results`` only on the detail endpoint."""

    requested_by = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "progress",
            "error",
            "attempts",
            "parameters",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "urls",
        ]

    def get_requested_by(self, obj: Report) -> str | None:
        return obj.requested_by.get_username() if obj.requested_by else None

    def get_urls(self, obj: Report) -> dict[str, Any]:
        return drift_urls(obj)


class DriftReportDetailSerializer(DriftReportSerializer):
    results = serializers.JSONField(required=False)

    class Meta(DriftReportSerializer.Meta):
        fields = [*DriftReportSerializer.Meta.fields, "results"]


class JudgeRecheckSerializer(serializers.ModelSerializer[Report]):
    """A judge re-check: its status and, once finished, its findings per criterion."""

    results = serializers.JSONField(required=False)

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "progress",
            "error",
            "parameters",
            "created_at",
            "finished_at",
            "results",
        ]


class DriftReportListApi(ReportApiMixin, generics.ListAPIView[Report]):
    """List drift reports, newest first; POST asks for one (202, computed by a worker)."""

    serializer_class = DriftReportSerializer
    pagination_class = ReportPagination
    model = Report

    def get_project_queryset(self) -> QuerySet[Report]:
        return drift_report_list(project=self.project).select_related("project")

    @extend_schema(request=DriftRequestSerializer, responses={202: DriftReportSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = DriftRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report, _ = drift_report_request(
            project=self.project, requested_by=request.user, spec=data.spec()
        )
        body = DriftReportSerializer(report).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["urls"]["api"]}
        )


class DriftReportDetailApi(ReportApiMixin, APIView):
    """Poll a drift report; its results once it succeeded."""

    @extend_schema(responses=DriftReportDetailSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        report = drift_report_get(project=self.project, pk=pk)
        if report is None:
            raise NotFound("No such drift report.")
        return Response(DriftReportDetailSerializer(report).data)


class JudgeRecheckApi(ReportApiMixin, APIView):
    """Re-check a judge version against fresh human ratings now (202; once per day)."""

    @extend_schema(request=None, responses={202: JudgeRecheckSerializer})
    def post(self, request: Request, project_slug: str, name: str, number: int) -> Response:
        version = judge_version_by_number(project_id=self.project.pk, name=name, number=number)
        if version is None:
            raise NotFound("No such judge version.")
        report, _ = judge_staleness_request(judge_version=version, requested_by=request.user)
        return Response(JudgeRecheckSerializer(report).data, status=status.HTTP_202_ACCEPTED)
