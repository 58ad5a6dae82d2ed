"""REST endpoints of datasets and generation runs (leads and admins; reviewers 403, others 404).

Upload a dataset (a JSONL/CSV file, or JSON ``{"name", "inputs"}``), run a prompt version over
it (202: poll the run), list and read runs, cancel one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.pagination import KeysetPagination
from llmops_core.api.parsers import LargeJSONParser
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Dataset, DatasetRow, GenerationRun, Role
from llmops_core.selectors.generation import (
    dataset_get,
    dataset_list,
    dataset_rows,
    generation_lookup,
    generation_run_get,
    generation_run_list,
)
from llmops_core.services.datasets import dataset_create, dataset_parse
from llmops_core.services.generation import generation_run_cancel, generation_run_create

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class DatasetSerializer(serializers.ModelSerializer[Dataset]):
    class Meta:
        model = Dataset
        fields = ["id", "name", "version", "content_hash", "row_count", "created_at"]


class DatasetWriteSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=120)
    file = serializers.FileField(required=False)
    inputs = serializers.ListField(child=serializers.JSONField(), required=False, max_length=50_000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("file" in attrs) == ("inputs" in attrs):
            raise ValidationError("send a file or a list of inputs (one of them)")
        return attrs


class DatasetRowSerializer(serializers.ModelSerializer[DatasetRow]):
    input = serializers.JSONField()

    class Meta:
        model = DatasetRow
        fields = ["id", "index", "input", "content_hash"]


class GenerationRunSerializer(serializers.ModelSerializer[GenerationRun]):
    prompt = serializers.CharField(source="prompt_version.template.name", read_only=True)
    version = serializers.IntegerField(source="prompt_version.number", read_only=True)
    dataset = serializers.IntegerField(source="dataset_id", read_only=True)
    totals = serializers.DictField(read_only=True)
    parameters = serializers.DictField(read_only=True)

    class Meta:
        model = GenerationRun
        fields = [
            "id",
            "prompt",
            "version",
            "dataset",
            "status",
            "progress",
            "error",
            "parameters",
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
        ]


class GenerationRunWriteSerializer(serializers.Serializer[Any]):
    version_id = serializers.IntegerField(help_text="The prompt version's id.")
    dataset_id = serializers.IntegerField()
    endpoint_id = serializers.IntegerField(required=False, allow_null=True)
    queue_id = serializers.IntegerField(required=False, allow_null=True)
    judge_version_id = serializers.IntegerField(required=False, allow_null=True)


class GenerationScopedMixin(ProjectScopedMixin):
    read_role = Role.LEAD
    write_role = Role.LEAD


class DatasetListApi(GenerationScopedMixin, generics.ListAPIView[Any]):
    """List datasets; upload one (multipart ``file`` or JSON ``inputs``) as a new version."""

    model = Dataset
    serializer_class = DatasetSerializer
    parser_classes = [LargeJSONParser, MultiPartParser, FormParser]

    def get_project_queryset(self) -> QuerySet[Any]:
        return dataset_list(project=self.project)

    @extend_schema(request=DatasetWriteSerializer, responses={201: DatasetSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = DatasetWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("file")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise ValidationError({"file": f"over the {MAX_UPLOAD_BYTES}-byte limit"})
            inputs = dataset_parse(content=upload.read(), filename=upload.name)
        else:
            inputs = data.validated_data["inputs"]
        dataset, created = dataset_create(
            project=self.project,
            name=data.validated_data["name"],
            inputs=inputs,
            created_by=request.user,
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(DatasetSerializer(dataset).data, status=code)


class DatasetRowListApi(GenerationScopedMixin, generics.ListAPIView[Any]):
    """List a dataset's rows (keyset pages)."""

    model = DatasetRow
    serializer_class = DatasetRowSerializer
    pagination_class = KeysetPagination

    def get_project_queryset(self) -> QuerySet[Any]:
        dataset = dataset_get(project=self.project, pk=self.kwargs["pk"])
        if dataset is None:
            raise NotFound("No such dataset.")
        return dataset_rows(dataset=dataset)


def _lookup(project: Any, field: str, pk: int | None) -> Any:
    if pk is None:
        return None
    found = generation_lookup(project=project, field=field, pk=pk)
    if found is None:
        raise ValidationError({f"{field}_id": f"no {field.replace('_', ' ')} {pk} in this project"})
    return found


class GenerationRunListApi(GenerationScopedMixin, generics.ListAPIView[Any]):
    """List generation runs; POST to run a prompt version over a dataset (202)."""

    model = GenerationRun
    serializer_class = GenerationRunSerializer

    def get_project_queryset(self) -> QuerySet[Any]:
        return generation_run_list(project=self.project)

    @extend_schema(request=GenerationRunWriteSerializer, responses={202: GenerationRunSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = GenerationRunWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        dataset = dataset_get(project=self.project, pk=values["dataset_id"])
        if dataset is None:
            raise ValidationError({"dataset_id": f"no dataset {values['dataset_id']} here"})
        run = generation_run_create(
            version=_lookup(self.project, "version", values["version_id"]),
            dataset=dataset,
            endpoint=_lookup(self.project, "endpoint", values.get("endpoint_id")),
            judge_version=_lookup(self.project, "judge_version", values.get("judge_version_id")),
            queue_id=values.get("queue_id"),
            requested_by=request.user,
        )
        return Response(GenerationRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class GenerationRunDetailApi(GenerationScopedMixin, APIView):
    """Poll one generation run."""

    @extend_schema(responses=GenerationRunSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        run = generation_run_get(project=self.project, pk=pk)
        if run is None:
            raise NotFound("No such generation run.")
        return Response(GenerationRunSerializer(run).data)


class GenerationRunCancelApi(GenerationScopedMixin, APIView):
    """Ask a generation run to stop; outputs already made stay."""

    @extend_schema(request=None, responses=GenerationRunSerializer)
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        run = generation_run_get(project=self.project, pk=pk)
        if run is None:
            raise NotFound("No such generation run.")
        run = generation_run_cancel(run=run, actor=request.user)
        return Response(GenerationRunSerializer(run).data)
