"""REST endpoints of agreement reports: request one, poll it, read it, retry or recompute it.

Reports are for leads and admins only: reviewers get 403, non-members 404.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.charts.agreement import CHARTS
from llmops_core.models import JobStatus, Report, Role
from llmops_core.selectors.reports import report_get, report_list
from llmops_core.services.reports import (
    ReportScope,
    report_recompute,
    report_request,
    report_retry,
)
from llmops_core.services.reports.scope import MAX_DRAWS, default_draws

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@extend_schema_field({"type": "string", "example": "2025-06-01"})
class DateOrTimeField(serializers.Field):  # type: ignore[type-arg]
    """An ISO 8601 time, or a date: the start of that day, or the end of it for ``until``."""

    default_error_messages = {
        "invalid": '"{value}" is not a date (YYYY-MM-DD) or an ISO 8601 time',
    }

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime:
        text = str(data).strip()
        if DATE_ONLY.match(text):
            try:
                day = datetime.fromisoformat(text).date()
            except ValueError:
                self.fail("invalid", value=text)
            moment = datetime.combine(day + timedelta(days=self.end_of_day), time())
        else:
            try:
                parsed = parse_datetime(text)
            except ValueError:
                parsed = None
            if parsed is None:
                self.fail("invalid", value=text)
            moment = parsed
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


MAX_ID = 2**63 - 1


class ReportRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What an agreement report should cover: a queue and/or filters (all optional)."""

    # Ids are 64-bit: a larger number is a 400 here, not an overflow in the database driver.
    queue_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    prompt_version_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=200,
    )
    reviewers = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        default=list,
        max_length=500,
        help_text="Usernames; only their ratings are counted.",
    )
    since = DateOrTimeField(
        required=False,
        allow_null=True,
        help_text="Ratings made at or after this time (a date: from 00:00).",
    )
    until = DateOrTimeField(
        required=False,
        allow_null=True,
        end_of_day=True,
        help_text="Ratings made before this time (a date: through that day).",
    )
    rubric_version_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The rubric version to report on; the latest one rated by default.",
    )
    bootstrap_draws = serializers.IntegerField(required=False, min_value=0, max_value=MAX_DRAWS)
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise ValidationError({"until": "must be later than since"})
        return attrs

    def scope(self) -> ReportScope:
        """Return the validated request as a report scope."""
        data = self.validated_data
        return ReportScope(
            queue_id=data.get("queue_id"),
            prompt_version_ids=tuple(data.get("prompt_version_ids") or ()),
            reviewers=tuple(data.get("reviewers") or ()),
            since=data.get("since"),
            until=data.get("until"),
            rubric_version_id=data.get("rubric_version_id"),
            bootstrap_draws=data.get("bootstrap_draws", default_draws()),
            seed=data.get("seed", 0),
        )


def report_urls(report: Report) -> dict[str, Any]:
    """Return the page, API and download URLs of a report."""
    slug, pk = report.project.slug, report.pk
    api = {"project_slug": slug, "pk": pk}
    return {
        "html": reverse("report-detail", args=[slug, pk]),
        "api": reverse("api-report", kwargs=api),
        "retry": reverse("api-report-retry", kwargs=api),
        "recompute": reverse("api-report-recompute", kwargs=api),
        "json": reverse("report-download", args=[slug, pk, "json"]),
        "csv": reverse("report-download", args=[slug, pk, "csv"]),
        "charts": {
            name: {
                fmt: reverse("report-chart", args=[slug, pk, name, fmt]) for fmt in ("svg", "png")
            }
            for name in CHARTS
        },
    }


class ReportSerializer(serializers.ModelSerializer[Report]):
    """A report row; ``results`` only on the detail endpoint (and never while unfinished)."""

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
            "snapshot_hash",
            "snapshot_counts",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "urls",
        ]

    def get_requested_by(self, obj: Report) -> str | None:
        return obj.requested_by.get_username() if obj.requested_by else None

    def get_urls(self, obj: Report) -> dict[str, Any]:
        return report_urls(obj)


class ReportDetailSerializer(ReportSerializer):
    # Absent when polled with ?results=0 (an output-only serializer: not read_only, so that
    # the schema may mark the field optional).
    results = serializers.JSONField(required=False)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "results"]


class ReportPagination(KeysetPagination):
    """Keyset pages, newest first: schedules add reports forever."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


def error_text(messages: Any) -> str:
    """Return validation messages (a list, a dict per list item, or text) as one line."""
    if isinstance(messages, dict):
        return "; ".join(f"{k}: {error_text(v)}" for k, v in messages.items())
    if isinstance(messages, list):
        return " ".join(error_text(m) for m in messages)
    return str(messages)


class ReportApiMixin(ProjectScopedMixin):
    """Leads and admins only; validation errors become one readable ``detail`` message."""

    read_role = Role.LEAD
    write_role = Role.LEAD

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ValidationError) and isinstance(exc.detail, dict):
            parts = [f"{field}: {error_text(messages)}" for field, messages in exc.detail.items()]
            body = {"detail": "invalid request: " + "; ".join(parts), "errors": exc.detail}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)  # type: ignore[misc]

    def get_report(self, pk: int) -> Report:
        report = report_get(project=self.project, pk=pk)
        if report is None:
            raise NotFound("No such report.")
        return report


class ReportListApi(ReportApiMixin, generics.ListAPIView[Report]):
    """List agreement reports, newest first (``?status=`` narrows); POST asks for a new one."""

    serializer_class = ReportSerializer
    pagination_class = ReportPagination

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=JobStatus.values)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Report]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no project
            return Report.objects.none()
        qs = report_list(project=self.project).select_related("project")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in JobStatus.values:
                raise ValidationError(
                    {"status": f'"{wanted}" is not one of {", ".join(JobStatus.values)}'}
                )
            qs = qs.filter(status=wanted)
        return qs

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report, _ = report_request(
            project=self.project, requested_by=request.user, scope=data.scope()
        )
        body = ReportSerializer(report).data
        location = {"Location": body["urls"]["api"]}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=location)


class ReportDetailApi(ReportApiMixin, APIView):
    """Poll a report (``?results=0`` leaves the results out); its results once it succeeded."""

    @extend_schema(
        parameters=[OpenApiParameter("results", OpenApiTypes.BOOL)],
        responses=ReportDetailSerializer,
    )
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        report = self.get_report(pk)
        try:
            with_results = serializers.BooleanField().to_internal_value(
                request.query_params.get("results", "1")
            )
        except ValidationError:
            raise ValidationError({"results": "give 1 or 0 (true or false)"}) from None
        if not with_results:
            return Response(ReportSerializer(report).data)
        return Response(ReportDetailSerializer(report).data)


class ReportRetryApi(ReportApiMixin, APIView):
    """Compute a failed report again, with the same parameters."""

    @extend_schema(request=None, responses={202: ReportSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        report = report_retry(report=self.get_report(pk), actor=request.user)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class ReportRecomputeApi(ReportApiMixin, APIView):
    """Ask for a fresh report over the same scope (the old one stays as it was)."""

    @extend_schema(request=None, responses={202: ReportSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        report, _ = report_recompute(report=self.get_report(pk), requested_by=request.user)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)
