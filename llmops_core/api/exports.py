"""REST endpoints of exports: create a job and poll it, download the file and its datasheet,
or stream a small export straight from the database.

Mounted with one line in ``llmops_core/api/urls.py``: ``path(P + "exports/", include(...))``.
Leads and admins only; real reviewer names only for admins who ask.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.schema import ApiErrorSerializer
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.io.writers import writer_for
from llmops_core.models import ExportFormat, ExportJob, ExportKind, JobStatus, Role
from llmops_core.selectors.exports import export_job_get, export_job_list
from llmops_core.services.exports import (
    ExportRun,
    datasheet_markdown,
    export_file_name,
    export_job_cancel,
    export_job_create,
    export_job_delete,
    export_job_enqueue,
    export_spec_build,
)

STREAM_MAX_RATINGS = getattr(settings, "EXPORT_STREAM_MAX_RATINGS", 50_000)


class ExportFiltersSerializer(serializers.Serializer[Any]):
    """Filters and options; ranges and ids are checked by the export service."""

    queue_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    prompt_version_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    since = serializers.CharField(
        required=False, allow_null=True, help_text="ISO date or time, inclusive"
    )
    until = serializers.CharField(
        required=False, allow_null=True, help_text="ISO date (that whole day included) or time"
    )
    min_ratings = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="reviewers per output",
    )
    min_agreement = serializers.FloatField(required=False, allow_null=True, help_text="0-1")
    exclude_flagged = serializers.BooleanField(required=False, default=False)
    rule = serializers.CharField(required=False, help_text='"mean", "all" or "criterion:<name>"')
    min_margin = serializers.FloatField(required=False, allow_null=True)
    sft_threshold = serializers.FloatField(required=False, allow_null=True)


class ExportCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    filters = ExportFiltersSerializer(required=False)
    real_names = serializers.BooleanField(required=False, default=False)


class ExportStreamSerializer(ExportFiltersSerializer):
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=[ExportFormat.JSONL, ExportFormat.CSV])
    real_names = serializers.BooleanField(required=False, default=False)


class _Rows(serializers.ListField):
    """A list of JSON objects (one per version, rubric or criterion)."""

    child = serializers.DictField()


class DatasheetSerializer(serializers.Serializer[Any]):
    """What an export holds, how it was made, how far reviewers agree, and its caveats.

    Built by ``llmops_core.services.exports.datasheet``; lists keep their order.
    """

    schema = serializers.CharField(help_text="The datasheet format and its version.")
    title = serializers.CharField()
    project = serializers.DictField(child=serializers.CharField(), help_text="slug and name")
    kind = serializers.ChoiceField(choices=ExportKind.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    file = serializers.DictField(help_text="name, rows, bytes and sha256 of the file")
    app_version = serializers.CharField()
    filters = serializers.DictField(help_text="The filters the export applied.")
    reviewer_names = serializers.CharField(help_text='"pseudonyms" or "real usernames"')
    counts = serializers.DictField(help_text="Rows, ratings, outputs (read, excluded, kept)...")
    rating_period = serializers.DictField(
        child=serializers.DateTimeField(allow_null=True), help_text="first and last rating"
    )
    reviewers_per_output = _Rows(help_text="{reviewers, outputs}: how many outputs had n.")
    queues = _Rows(help_text="{id, name, overlap, annotations} per queue read.")
    prompt_versions = _Rows(help_text="The prompt versions of the exported outputs.")
    rubrics = _Rows(help_text="The rubric versions and criteria the ratings were made under.")
    agreement = serializers.DictField(help_text="method, and per criterion: alpha and counts")
    columns = _Rows(help_text="{name, type} of each column of the file.")
    definitions = _Rows(help_text="{column, meaning} of the derived columns.")
    caveats = serializers.ListField(child=serializers.CharField())


class ExportJobSerializer(serializers.ModelSerializer[ExportJob]):
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, read_only=True
    )
    download_url = serializers.SerializerMethodField()
    datasheet_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "format",
            "status",
            "progress",
            "error",
            "rows",
            "sha256",
            "app_version",
            "filters",
            "real_names",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
            "datasheet_url",
        ]

    def _url(self, name: str, job: ExportJob) -> str | None:
        if job.status != JobStatus.SUCCEEDED:
            return None
        return reverse(name, args=[self.context["project_slug"], job.pk])

    def get_download_url(self, job: ExportJob) -> str | None:
        return self._url("api-export-download", job)

    def get_datasheet_url(self, job: ExportJob) -> str | None:
        return self._url("api-export-datasheet", job)


class ExportJobDetailSerializer(ExportJobSerializer):
    class Meta(ExportJobSerializer.Meta):
        fields = [*ExportJobSerializer.Meta.fields, "datasheet"]


# What an export file (downloaded or streamed) may be served as, one per writer.
EXPORT_MEDIA_TYPES = ("application/jsonl", "text/csv", "application/vnd.apache.parquet")


class NotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "the export has not succeeded yet"


class FileExpired(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "the export's file was deleted"


EXPIRED = (
    "the file of this export was deleted by the retention policy "
    "(EXPORT_RETENTION_DAYS); its record and datasheet remain: run the export again"
)


class ExportJobPagination(KeysetPagination):
    page_size = 50
    ordering = "-id"


class ExportScopedMixin(ProjectScopedMixin):
    read_role = Role.LEAD
    write_role = Role.LEAD

    def get_job(self, pk: int, *, finished: bool = False) -> ExportJob:
        job = export_job_get(project_id=self.project.pk, pk=pk)
        if job is None:
            raise NotFound("No such export.")
        if finished and job.status != JobStatus.SUCCEEDED:
            raise NotReady(
                f"export #{job.pk} is {job.status}; its file is ready once it has succeeded"
            )
        return job

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ``?format=`` names the export's file format here, not a DRF renderer.
        return super().perform_content_negotiation(request, force=True)  # type: ignore[misc]


class ExportJobListApi(ExportScopedMixin, generics.ListAPIView[ExportJob]):
    """List export jobs, newest first; POST one to start it in the background (202)."""

    serializer_class = ExportJobSerializer
    pagination_class = ExportJobPagination

    def get_queryset(self) -> QuerySet[ExportJob]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema generator
            return ExportJob.objects.none()
        return export_job_list(project_id=self.project.pk)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "project_slug": self.project.slug}

    @extend_schema(request=ExportCreateSerializer, responses={202: ExportJobSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        spec = export_spec_build(
            project=self.project,
            kind=values["kind"],
            fmt=values["format"],
            filters=values.get("filters"),
            real_names=values["real_names"],
            role=self.role,
        )
        job = export_job_create(spec=spec, project=self.project, requested_by=request.user)
        export_job_enqueue(job=job)
        body = ExportJobSerializer(job, context={"project_slug": self.project.slug}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ExportJobDetailApi(ExportScopedMixin, APIView):
    """Poll one export job: status, progress, row count, SHA-256 and datasheet."""

    @extend_schema(responses=ExportJobDetailSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        job = self.get_job(pk)
        return Response(ExportJobDetailSerializer(job, context={"project_slug": project_slug}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_slug: str, pk: int) -> Response:
        """Delete the export: its file and its record (a running one is cancelled first)."""
        export_job_delete(job=self.get_job(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportCancelApi(ExportScopedMixin, APIView):
    """Cancel a pending or running export (409 if it has finished already)."""

    @extend_schema(request=None, responses={200: ExportJobDetailSerializer})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        job = self.get_job(pk)
        if not export_job_cancel(job=job, actor=request.user):
            raise NotReady(f"export #{job.pk} has finished ({job.status}); nothing to cancel")
        return Response(ExportJobDetailSerializer(job, context={"project_slug": project_slug}).data)


class ExportDownloadApi(ExportScopedMixin, APIView):
    """Download the file of a finished export (409 until it has succeeded, 410 once the
    retention policy has deleted it)."""

    @extend_schema(
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in EXPORT_MEDIA_TYPES},
            409: ApiErrorSerializer,
            410: ApiErrorSerializer,
        }
    )
    def get(self, request: Request, project_slug: str, pk: int) -> FileResponse:
        job = self.get_job(pk, finished=True)
        if not job.file:
            raise FileExpired(EXPIRED)
        return export_file_response(job)


class ExportDatasheetApi(ExportScopedMixin, APIView):
    """The datasheet of a finished export: JSON, or Markdown with ``?format=md``."""

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "md"])],
        responses={
            200: DatasheetSerializer,
            (200, "text/markdown"): OpenApiTypes.STR,
            409: ApiErrorSerializer,
            410: ApiErrorSerializer,
        },
    )
    def get(self, request: Request, project_slug: str, pk: int) -> HttpResponse:
        job = self.get_job(pk, finished=True)
        if request.query_params.get("format") == "md":
            return datasheet_markdown_response(job)
        return Response(job.datasheet)


class ExportStreamApi(ExportScopedMixin, APIView):
    """Stream a small export (JSONL or CSV) straight from the database, without a job.

    Takes the filters as query parameters (``?kind=ratings&format=csv&queue_ids=3``);
    exports reading more than ``STREAM_MAX_RATINGS`` ratings get 400: run them as a job.
    """

    @extend_schema(
        parameters=[ExportStreamSerializer],
        responses={(200, media): OpenApiTypes.BINARY for media in EXPORT_MEDIA_TYPES},
    )
    def get(self, request: Request, project_slug: str) -> StreamingHttpResponse:
        data = ExportStreamSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        kind, fmt, real_names = values.pop("kind"), values.pop("format"), values.pop("real_names")
        spec = export_spec_build(
            project=self.project,
            kind=kind,
            fmt=fmt,
            filters=values,
            real_names=real_names,
            role=self.role,
        )
        run = ExportRun(spec)
        total = run.total_ratings()
        if total > STREAM_MAX_RATINGS:
            raise ValidationError(
                {
                    "detail": (
                        f"this export reads {total:,} ratings; streaming is limited to "
                        f"{STREAM_MAX_RATINGS:,}. Create an export job instead: POST "
                        f"{reverse('api-exports', args=[project_slug])}"
                    )
                }
            )
        writer = writer_for(fmt)
        response = StreamingHttpResponse(run.stream(), content_type=writer.media_type)
        name = f"{project_slug}-{kind}{writer.extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def export_file_response(job: ExportJob) -> FileResponse:
    """Return the file of a finished job as an attachment (shared with the HTML views)."""
    writer = writer_for(job.format)
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=export_file_name(job),
        content_type=writer.media_type,
    )
    response["X-Content-SHA256"] = job.sha256
    return response


def datasheet_markdown_response(job: ExportJob) -> HttpResponse:
    """Return a job's datasheet as a Markdown attachment (shared with the HTML views)."""
    response = HttpResponse(
        datasheet_markdown(job.datasheet), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_file_name(job)}.datasheet.md"'
    return response
