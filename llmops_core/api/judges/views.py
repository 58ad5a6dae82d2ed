"""REST endpoints of judges: endpoints, judges and versions, runs, their calls, reports.

Leads and admins only: reviewers get 403, non-members 404 (``ProjectScopedMixin``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.judges import serializers as s
from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import (
    JudgeConfig,
    JudgeRun,
    JudgeVersion,
    LLMCall,
    LLMEndpoint,
    Report,
    Role,
    RubricVersion,
)
from llmops_core.permissions import signed_in
from llmops_core.selectors.judges import (
    endpoint_list,
    judge_call_list,
    judge_get,
    judge_list,
    judge_report_get,
    judge_report_list,
    judge_run_get,
    judge_run_list,
    judge_version_get,
    judge_version_list,
    rubric_version_choices,
)
from llmops_core.services.judges.configs import judge_create, judge_version_create
from llmops_core.services.judges.endpoints import endpoint_create
from llmops_core.services.judges.reports import judge_report_request
from llmops_core.services.judges.runs import judge_run_cancel, judge_run_create


class LeadScopedMixin(ProjectScopedMixin):
    """Judges cost money and see every rating: leads and admins only."""

    read_role = Role.LEAD
    write_role = Role.LEAD


class RecentFirstKeyset(KeysetPagination):
    ordering = "-id"
    page_size = 50


class LLMEndpointListApi(LeadScopedMixin, generics.ListAPIView[Any]):
    """List endpoints (never their keys); create one, with a key stored encrypted or an env var."""

    serializer_class = s.EndpointSerializer
    pagination_class = None
    queryset = LLMEndpoint.objects.none()  # for the schema; get_queryset scopes by project

    def get_queryset(self) -> QuerySet[Any]:
        return endpoint_list(project=self.project)

    @extend_schema(request=s.EndpointWriteSerializer, responses={201: s.EndpointSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.EndpointWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = endpoint_create(
            project=self.project, actor=signed_in(request.user), **data.validated_data
        )
        return Response(s.EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


def version_fields(project: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Return ``judge_version_create`` keywords from validated API data."""
    fields = dict(data)
    parameters = dict(fields.pop("parameters", {}) or {})
    if "temperature" in fields:
        parameters["temperature"] = fields.pop("temperature")
    rubric_id = fields.pop("rubric_version", None)
    choices = rubric_version_choices(project=project)
    rubric: RubricVersion | None = (
        choices.filter(pk=rubric_id).first()
        if rubric_id is not None
        else choices.filter(rubric__name="default").first()
    )
    if rubric is None:
        raise ValidationError({"rubric_version": "no such rubric version in this project"})
    endpoint_name = fields.pop("endpoint", "")
    endpoint = None
    if endpoint_name:
        endpoint = endpoint_list(project=project).filter(name=endpoint_name).first()
        if endpoint is None:
            raise ValidationError({"endpoint": f'no endpoint named "{endpoint_name}"'})
    return {**fields, "parameters": parameters, "rubric_version": rubric, "endpoint": endpoint}


class JudgeListApi(LeadScopedMixin, generics.ListAPIView[Any]):
    """List judges with their versions; create a judge (optionally with its first version)."""

    serializer_class = s.JudgeSerializer
    queryset = JudgeConfig.objects.none()

    def get_queryset(self) -> QuerySet[JudgeConfig]:
        return judge_list(project=self.project)

    @extend_schema(request=s.JudgeWriteSerializer, responses={201: s.JudgeSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.JudgeWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = data.validated_data.get("version")
        judge = judge_create(
            project=self.project,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            actor=signed_in(request.user),
            first_version=version_fields(self.project, version) if version else None,
        )
        return Response(
            s.JudgeSerializer(judge_list(project=self.project).get(pk=judge.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class JudgeVersionListApi(LeadScopedMixin, generics.ListAPIView[Any]):
    """List a judge's versions; POST new content to get a new version (same content: 200)."""

    serializer_class = s.JudgeVersionSerializer
    pagination_class = None
    queryset = JudgeVersion.objects.none()

    def get_judge(self) -> JudgeConfig:
        judge = judge_get(project=self.project, name=self.kwargs["name"])
        if judge is None:
            raise NotFound(f'no judge named "{self.kwargs["name"]}"')
        return judge

    def get_queryset(self) -> QuerySet[JudgeVersion]:
        return judge_version_list(judge=self.get_judge()).select_related("config")

    @extend_schema(
        request=s.JudgeVersionWriteSerializer,
        responses={200: s.JudgeVersionSerializer, 201: s.JudgeVersionSerializer},
    )
    def post(self, request: Request, project_slug: str, name: str) -> Response:
        data = s.JudgeVersionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version, created = judge_version_create(
            judge=self.get_judge(),
            created_by=signed_in(request.user),
            **version_fields(self.project, data.validated_data),
        )
        return Response(
            s.JudgeVersionSerializer(version).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class JudgeRunListApi(LeadScopedMixin, generics.ListAPIView[Any]):
    """List judge runs (newest first, keyset pages); start one over a queue, outputs or pairs."""

    serializer_class = s.JudgeRunSerializer
    pagination_class = RecentFirstKeyset
    queryset = JudgeRun.objects.none()

    def get_queryset(self) -> QuerySet[JudgeRun]:
        return judge_run_list(project=self.project)

    @extend_schema(request=s.JudgeRunWriteSerializer, responses={202: s.JudgeRunSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.JudgeRunWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        version = judge_version_get(project=self.project, pk=values["judge_version"])
        if version is None:
            raise ValidationError({"judge_version": "no such judge version in this project"})
        versions = values.get("prompt_version_ids")
        run = judge_run_create(
            project=self.project,
            judge_version=version,
            queue_id=values.get("queue_id"),
            output_ids=values.get("output_ids"),
            pairs=values.get("pairs"),
            prompt_versions=(versions[0], versions[1]) if versions else None,
            budget=values["budget"],
            requested_by=signed_in(request.user),
        )
        run = judge_run_list(project=self.project).get(pk=run.pk)
        return Response(s.JudgeRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class JudgeRunScopedMixin(LeadScopedMixin):
    kwargs: dict[str, Any]

    def get_run(self) -> JudgeRun:
        run = judge_run_get(project=self.project, pk=self.kwargs["pk"])
        if run is None:
            raise NotFound("no such judge run")
        return run


class JudgeRunDetailApi(JudgeRunScopedMixin, APIView):
    """Poll a judge run: status, progress, counters and totals (p50/p95 latency, cost)."""

    @extend_schema(responses=s.JudgeRunSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        return Response(s.JudgeRunSerializer(self.get_run()).data)


class JudgeRunCancelApi(JudgeRunScopedMixin, APIView):
    """Cancel a judge run: recorded calls stay; no new call starts."""

    @extend_schema(request=None, responses={202: s.JudgeRunSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        judge_run_cancel(run=self.get_run(), actor=signed_in(request.user))
        return Response(s.JudgeRunSerializer(self.get_run()).data, status=status.HTTP_202_ACCEPTED)


class JudgeRunCallListApi(JudgeRunScopedMixin, generics.ListAPIView[Any]):
    """List a run's calls with raw responses and parse errors (keyset pages; ``?status=``)."""

    serializer_class = s.LLMCallSerializer
    pagination_class = KeysetPagination
    queryset = LLMCall.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("subject", OpenApiTypes.STR),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        params = self.request.query_params
        return judge_call_list(
            run=self.get_run(), status=params.get("status"), subject=params.get("subject")
        )


class JudgeReportListApi(LeadScopedMixin, generics.ListAPIView[Any]):
    """List judge comparison reports; request one for a run, or a judge version and a queue."""

    serializer_class = s.JudgeReportSerializer
    pagination_class = RecentFirstKeyset
    queryset = Report.objects.none()

    def get_queryset(self) -> QuerySet[Any]:
        return judge_report_list(project=self.project)

    @extend_schema(request=s.JudgeReportWriteSerializer, responses={202: s.JudgeReportSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.JudgeReportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        run = version = None
        if values.get("run") is not None:
            run = judge_run_get(project=self.project, pk=values["run"])
            if run is None:
                raise ValidationError({"run": "no such judge run in this project"})
        elif values.get("judge_version") is not None:
            version = judge_version_get(project=self.project, pk=values["judge_version"])
            if version is None:
                raise ValidationError({"judge_version": "no such judge version"})
        report = judge_report_request(
            project=self.project,
            run=run,
            judge_version=version,
            queue_id=values["queue_id"],
            requested_by=signed_in(request.user),
            bootstrap_draws=values.get("bootstrap_draws"),
            seed=values["seed"],
        )
        return Response(s.JudgeReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class JudgeReportDetailApi(LeadScopedMixin, APIView):
    """Read a judge comparison report: status while it computes, then every section."""

    @extend_schema(responses=s.JudgeReportDetailSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        report = judge_report_get(project=self.project, pk=pk)
        if report is None:
            raise NotFound("no such judge report")
        return Response(s.JudgeReportDetailSerializer(report).data)
