"""REST endpoints for rubrics: list them with their versions, create one, version one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api import serializers as s
from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import Rubric
from llmops_core.permissions import signed_in
from llmops_core.selectors.projects import rubric_list
from llmops_core.services.rubrics import CriterionSpec, rubric_create, rubric_version_create


def _specs(criteria: list[dict[str, Any]]) -> list[CriterionSpec]:
    return [
        CriterionSpec(
            name=c["name"],
            description=c.get("description", ""),
            anchors={str(k): v for k, v in (c.get("anchors") or {}).items()},
            scale_min=c.get("scale_min", 1),
            scale_max=c.get("scale_max", 5),
        )
        for c in criteria
    ]


class RubricListApi(ProjectScopedMixin, generics.ListAPIView[Any]):
    """List rubrics with their versions and criteria; create a rubric (leads)."""

    model = Rubric
    serializer_class = s.RubricSerializer

    def get_project_queryset(self) -> QuerySet[Any]:
        return rubric_list(project=self.project).order_by("name")

    @extend_schema(request=s.RubricWriteSerializer, responses={201: s.RubricSerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = s.RubricWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = rubric_create(
            project=self.project,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            criteria=_specs(data.validated_data["criteria"]),
            created_by=signed_in(request.user),
        )
        return Response(s.RubricSerializer(version.rubric).data, status=status.HTTP_201_CREATED)


class RubricVersionCreateApi(ProjectScopedMixin, APIView):
    """Create a new version of a rubric (changing criteria, scales or anchors)."""

    @extend_schema(
        request=s.RubricVersionWriteSerializer,
        responses={200: s.RubricVersionSerializer, 201: s.RubricVersionSerializer},
    )
    def post(self, request: Request, project_slug: str, pk: int) -> Response:
        rubric = get_object_or_404(rubric_list(project=self.project), pk=pk)
        data = s.RubricVersionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version, created = rubric_version_create(
            rubric=rubric,
            criteria=_specs(data.validated_data["criteria"]),
            created_by=signed_in(request.user),
            note=data.validated_data["note"],
        )
        return Response(
            s.RubricVersionSerializer(version).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
