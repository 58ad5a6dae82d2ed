"""Ingest key pairs through the API: list and create (the secret is answered once), revoke."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.views import ProjectScopedMixin
from llmops_core.models import IngestKey, Role
from llmops_core.permissions import signed_in
from llmops_core.services.ingest_keys import ingest_key_create, ingest_key_revoke


class IngestKeySerializer(serializers.ModelSerializer[IngestKey]):
    active = serializers.BooleanField(source="is_active", read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = IngestKey
        fields = [
            "id",
            "name",
            "public_key",
            "last4",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields


class NewIngestKeySerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CreatedIngestKeySerializer(IngestKeySerializer):
    secret_key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(IngestKeySerializer.Meta):
        fields = [*IngestKeySerializer.Meta.fields, "secret_key"]
        read_only_fields = fields


class IngestKeyListApi(ProjectScopedMixin, generics.ListAPIView[IngestKey]):
    """List the project's ingest key pairs (leads); create one (its secret is shown once)."""

    model = IngestKey
    serializer_class = IngestKeySerializer
    read_role = Role.LEAD
    write_role = Role.LEAD

    def get_project_queryset(self) -> QuerySet[IngestKey]:
        return IngestKey.objects.filter(project=self.project).select_related("created_by")

    @extend_schema(request=NewIngestKeySerializer, responses={201: CreatedIngestKeySerializer})
    def post(self, request: Request, project_slug: str) -> Response:
        data = NewIngestKeySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, secret = ingest_key_create(
            project=self.project,
            name=data.validated_data["name"],
            created_by=signed_in(request.user),
        )
        body = dict(IngestKeySerializer(key).data)
        body["secret_key"] = secret
        return Response(body, status=status.HTTP_201_CREATED)


class IngestKeyRevokeApi(ProjectScopedMixin, APIView):
    """Revoke an ingest key pair: requests with it get 401 from then on."""

    read_role = Role.LEAD
    write_role = Role.LEAD

    @extend_schema(request=None, responses={200: IngestKeySerializer})
    def delete(self, request: Request, project_slug: str, pk: int) -> Response:
        key = get_object_or_404(IngestKey, pk=pk, project=self.project)
        revoked = ingest_key_revoke(key=key, actor=signed_in(request.user))
        return Response(IngestKeySerializer(revoked).data)
