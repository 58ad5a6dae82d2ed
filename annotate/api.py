"""REST endpoints of the annotation app: queues."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.models import Queue
from annotate.selectors import queue_list_for_user
from annotate.services.queues import queue_add_outputs, queue_create
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import ModelOutput, RubricVersion


class QueueSerializer(serializers.ModelSerializer[Queue]):
    rubric = serializers.CharField(source="rubric_version.rubric.name", read_only=True)
    rubric_version = serializers.IntegerField(source="rubric_version.number", read_only=True)

    class Meta:
        model = Queue
        fields = [
            "id", "name", "rubric", "rubric_version", "overlap", "max_overlap",
            "disagreement_threshold", "blind", "guidelines", "lease_seconds", "status",
            "item_count", "created_at",
        ]


class QueueWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    rubric_version_id = serializers.IntegerField()
    overlap = serializers.IntegerField(min_value=1, max_value=50, default=3)
    max_overlap = serializers.IntegerField(min_value=1, max_value=50, required=False,
                                           allow_null=True, default=None)
    disagreement_threshold = serializers.IntegerField(min_value=1, required=False,
                                                      allow_null=True, default=None)
    blind = serializers.BooleanField(default=True)
    guidelines = serializers.CharField(allow_blank=True, default="")
    lease_seconds = serializers.IntegerField(min_value=10, default=900)
    reviewers = serializers.ListField(child=serializers.CharField(), default=list)
    output_ids = serializers.ListField(child=serializers.IntegerField(), default=list)
    prompt_version_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class AddItemsSerializer(serializers.Serializer[Any]):
    output_ids = serializers.ListField(child=serializers.IntegerField(), default=list)
    prompt_version_id = serializers.IntegerField(required=False, allow_null=True, default=None)


def _output_ids(project_id: int, data: dict[str, Any]) -> list[int]:
    ids = list(data["output_ids"])
    if data.get("prompt_version_id"):
        ids += list(
            ModelOutput.objects.filter(project_id=project_id,
                                       prompt_version_id=data["prompt_version_id"])
            .order_by("id").values_list("id", flat=True)
        )
    return ids


class QueueListApi(ProjectScopedMixin, generics.ListAPIView[Queue]):
    """List queues (reviewers see the ones they are assigned to); create one (leads)."""

    serializer_class = QueueSerializer

    def get_queryset(self) -> QuerySet[Queue]:
        return queue_list_for_user(user=self.request.user, project=self.project).order_by("-id")

    @extend_schema(request=QueueWriteSerializer, responses=QueueSerializer)
    def post(self, request: Request, project_slug: str) -> Response:
        data = QueueWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rubric_version = RubricVersion.objects.filter(
            pk=v["rubric_version_id"], rubric__project=self.project).first()
        if rubric_version is None:
            raise ValidationError({"rubric_version_id": "no such rubric version in this project"})
        users = list(get_user_model().objects.filter(username__in=v["reviewers"]))
        unknown = set(v["reviewers"]) - {u.get_username() for u in users}
        if unknown:
            raise ValidationError({"reviewers": f"unknown users: {', '.join(sorted(unknown))}"})
        queue = queue_create(
            project=self.project, name=v["name"], rubric_version=rubric_version,
            overlap=v["overlap"], max_overlap=v["max_overlap"],
            disagreement_threshold=v["disagreement_threshold"], blind=v["blind"],
            guidelines=v["guidelines"], lease_seconds=v["lease_seconds"], reviewers=users,
            created_by=request.user,
        )
        queue_add_outputs(queue=queue, output_ids=_output_ids(self.project.pk, v))
        return Response(QueueSerializer(queue).data, status=status.HTTP_201_CREATED)


class QueueDetailApi(ProjectScopedMixin, APIView):
    @extend_schema(responses=QueueSerializer)
    def get(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = get_object_or_404(queue_list_for_user(user=request.user, project=self.project),
                                  pk=pk)
        return Response(QueueSerializer(queue).data)


class QueueAddItemsApi(ProjectScopedMixin, APIView):
    """Add outputs (by id list or prompt version) to an open queue; duplicates are skipped."""

    @extend_schema(request=AddItemsSerializer, responses={200: serializers.DictField()})
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        queue = get_object_or_404(Queue, project=self.project, pk=pk)
        data = AddItemsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = queue_add_outputs(queue=queue, output_ids=_output_ids(self.project.pk,
                                                                      data.validated_data))
        return Response({"added": added, "item_count": queue.item_count})
